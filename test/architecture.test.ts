// The module boundaries DESIGN.md draws, checked on the imports of every file under src/ (issue 12, item 3).
// The checker itself is tested on synthetic graphs below, so a rule that stopped firing would be caught.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type ArchitectureRules,
  checkArchitecture,
  folderCycles,
  type ImportEdge,
  importsOf,
  readImportGraph,
} from './support/import-graph.js';

// dist/test/architecture.test.js → the repository's src/ (the sources, not the compiled output).
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * The shared leaf modules: they import no inferd module, so any folder may use them without taking on a
 * dependency. errors.ts is the one error table (STYLE §3); log.ts is the structured logger; package.ts finds
 * the package root, version and shipped assets.
 */
const LEAVES = ['errors.ts', 'log.ts', 'package.ts'];

export const RULES: ArchitectureRules = {
  leaves: LEAVES,
  // Webhook logic as functions, and runtimes that a model server loads: no store, server, config or CLI.
  pureFolders: ['api', 'runtimes'],
  // The gateway reaches replicas over loopback HTTP and reads the routing table it is given (DESIGN.md).
  // Controllers and replicas meet in replica-protocol.ts (flags, env keys, IPC messages), not in each other.
  forbidden: { gateway: ['server', 'controllers'], controllers: ['server'] },
  // The CLI is an edge: it turns argv into calls; nothing depends on it.
  sealed: ['cli'],
  allowed: [],
};

test('src/ keeps the boundaries DESIGN.md draws (pure api/ and runtimes/, gateway apart, cli sealed, no cycles)', () => {
  assert.ok(existsSync(SRC), `src/ not found at ${SRC}`);
  const { files, edges, unresolved } = readImportGraph(SRC);
  // A sanity floor: a broken walk that found nothing would pass every rule.
  assert.ok(files.length > 200, `only ${files.length} files found under ${SRC}`);
  assert.ok(edges.length > 500, `only ${edges.length} import edges found`);
  assert.deepEqual(unresolved, [], 'every relative import names a file under src/');
  for (const leaf of LEAVES) assert.ok(files.includes(leaf), `leaf ${leaf} exists`);
  const problems = checkArchitecture(edges, RULES);
  assert.deepEqual(problems, [], `forbidden imports:\n  ${problems.join('\n  ')}`);
});

// ---- the checker, on synthetic graphs ----

const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({ from, to, typeOnly, line: 1 });
const BASE: ImportEdge[] = [
  edge('api/kinds.ts', 'errors.ts'),
  edge('runtimes/model.ts', 'errors.ts'),
  edge('gateway/gateway.ts', 'log.ts'),
  edge('cli/main.ts', 'server/main.ts'),
  edge('server/main.ts', 'runtimes/model.ts'),
  edge('gateway/gateway.ts', 'controllers/endpoints.ts', true),
];
const SYNTH: ArchitectureRules = { ...RULES, allowed: ['gateway/gateway.ts → controllers/endpoints.ts'] };

test('checker: a graph that keeps the rules has no problems', () => {
  assert.deepEqual(checkArchitecture(BASE, SYNTH), []);
});

test('checker: api/ or runtimes/ importing anything but a leaf fails, naming file, line and rule', () => {
  const apiToStore = checkArchitecture([...BASE, { ...edge('api/admission.ts', 'store/store.ts'), line: 7 }], SYNTH);
  assert.deepEqual(apiToStore, [
    'api/admission.ts:7 imports store/store.ts: api/ imports only itself and the leaves (errors.ts, log.ts, package.ts)',
  ]);
  assert.equal(checkArchitecture([...BASE, edge('runtimes/sklearn/index.ts', 'config.ts')], SYNTH).length, 1);
  // Type-only is still a dependency of the sources.
  assert.equal(checkArchitecture([...BASE, edge('runtimes/model.ts', 'server/metrics.ts', true)], SYNTH).length, 1);
  // Inside the folder is fine.
  assert.deepEqual(checkArchitecture([...BASE, edge('api/admission.ts', 'api/kinds.ts')], SYNTH), []);
});

test('checker: the gateway importing server/ or controllers/ fails unless that exact edge is allow-listed', () => {
  const p = checkArchitecture([...BASE, edge('gateway/proxy.ts', 'server/batcher.ts')], SYNTH);
  assert.equal(p.length, 1);
  assert.match(p[0] ?? '', /gateway\/proxy\.ts:1 imports server\/batcher\.ts: gateway\/ must not import server\//);
  // Allow-listing is per file pair: another gateway file importing the same module is a new violation.
  const q = checkArchitecture([...BASE, edge('gateway/proxy.ts', 'controllers/endpoints.ts')], SYNTH);
  assert.equal(q.length, 1);
  assert.match(q[0] ?? '', /must not import controllers\//);
});

test('checker: controllers/ importing server/ fails (they meet in replica-protocol.ts)', () => {
  const p = checkArchitecture([...BASE, edge('controllers/replicas/x.ts', 'server/main.ts', true)], SYNTH);
  assert.equal(p.length, 1);
  assert.match(p[0] ?? '', /controllers\/ must not import server\//);
  assert.deepEqual(checkArchitecture([...BASE, edge('controllers/replicas/x.ts', 'replica-protocol.ts')], SYNTH), []);
});

test('the gateway and the replica read no process.env but in the documented process entry (server/main.ts)', () => {
  const readers: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && readFileSync(p, 'utf8').includes('process.env')) {
        readers.push(relative(SRC, p).split(sep).join('/'));
      }
    }
  };
  walk(join(SRC, 'gateway'));
  walk(join(SRC, 'server'));
  assert.deepEqual(readers, ['server/main.ts']);
  // ... and it reads it once: a standby passes its service's env down instead of writing it into process.env
  const main = readFileSync(join(SRC, 'server', 'main.ts'), 'utf8');
  assert.doesNotMatch(main, /process\.env\[[^\]]+\]\s*=|Object\.assign\(process\.env/);
});

test('checker: importing cli/ from outside fails; cli importing itself does not', () => {
  const p = checkArchitecture([...BASE, edge('store/store.ts', 'cli/duration.ts')], SYNTH);
  assert.equal(p.length, 1);
  assert.match(p[0] ?? '', /nothing outside cli\/ imports it/);
  assert.deepEqual(checkArchitecture([...BASE, edge('cli/main.ts', 'cli/flags.ts')], SYNTH), []);
});

test('checker: a leaf that imports another module is no longer a leaf', () => {
  const p = checkArchitecture([...BASE, edge('errors.ts', 'log.ts')], SYNTH);
  assert.deepEqual(p, ['errors.ts:1 imports log.ts: errors.ts is a leaf and imports nothing']);
});

test('checker: an allow-listed edge that is gone is reported, so the list shrinks', () => {
  const p = checkArchitecture(BASE, { ...SYNTH, allowed: [...SYNTH.allowed, 'config.ts → cli/duration.ts'] });
  assert.deepEqual(p, ['allow-listed config.ts → cli/duration.ts is no longer a violation: remove it from the list']);
});

test('checker: a runtime cycle between folders fails; a type-only one does not', () => {
  const cyc = [edge('store/store.ts', 'apiserver/routes.ts'), edge('apiserver/routes.ts', 'store/store.ts')];
  assert.deepEqual(checkArchitecture([...BASE, ...cyc], SYNTH), [
    'runtime import cycle between folders: apiserver → store → apiserver',
  ]);
  const typeOnly = [edge('store/store.ts', 'apiserver/routes.ts', true), edge('apiserver/routes.ts', 'store/x.ts')];
  assert.deepEqual(checkArchitecture([...BASE, ...typeOnly], SYNTH), []);
  // A longer ring, and a root module (config.ts) counts as its own unit.
  const ring = [edge('a/x.ts', 'b/y.ts'), edge('b/y.ts', 'config.ts'), edge('config.ts', 'a/z.ts')];
  assert.deepEqual(folderCycles(ring), [['a', 'b', 'config.ts', 'a']]);
  // Cycles inside one folder are not between folders.
  assert.deepEqual(folderCycles([edge('a/x.ts', 'a/y.ts'), edge('a/y.ts', 'a/x.ts')]), []);
});

test('parser: static, side-effect, re-export and literal dynamic imports are edges; type-only ones are marked', () => {
  const src = [
    "import { a } from './a.js';",
    "import type { B } from './b.js';",
    "import { type C, type D } from './cd.js';",
    "import { type E, f } from './ef.js';",
    "import './side.js';",
    "export { g } from './g.js';",
    "export type { H } from './h.js';",
    "export * from './star.js';",
    'async function load(spec: string) {',
    "  await import('./lazy.js');",
    '  await import(spec);',
    "  type T = typeof import('./typed.js');",
    '}',
    "import { readFileSync } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(
    importsOf('x.ts', src).map((i) => `${i.specifier}${i.typeOnly ? ' (type)' : ''}@${i.line}`),
    [
      './a.js@1',
      './b.js (type)@2',
      './cd.js (type)@3',
      './ef.js@4',
      './side.js@5',
      './g.js@6',
      './h.js (type)@7',
      './star.js@8',
      './lazy.js@10',
      './typed.js (type)@12',
      'node:fs@14',
    ],
  );
});
