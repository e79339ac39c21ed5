// deploy/Dockerfile without a container engine (issue 19 acceptance): a linter checks the rules (pinned base,
// non-root user, no piped installers, npm ci), and the image's final stage is laid out on disk from its own
// COPY lines and its ENTRYPOINT run directly, as a container would run it.

import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { parseAllDocuments } from 'yaml';
import { loadServiceDefinition } from '../../src/server/grpc/service.js';
import { repoRoot } from '../helpers/paths.js';
import { copyArgs, lintDockerfile, parseDockerfile, stagesOf } from './dockerfile-lint.js';

const DOCKERFILE = join(repoRoot, 'deploy', 'Dockerfile');
const text = readFileSync(DOCKERFILE, 'utf8');
const stages = stagesOf(parseDockerfile(text));
const final = stages.at(-1)!;
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { files: string[]; version: string };

test('deploy/Dockerfile passes the lint: pinned bases, non-root uid 65532, npm ci, no curl|sh, probes documented', () => {
  assert.deepEqual(lintDockerfile(text), []);
  assert.ok(stages.length >= 3, 'multi-stage: build, deps, runtime');
  assert.equal(final.instructions.find((i) => i.op === 'USER')?.args, '65532:65532');
  assert.equal(final.instructions.find((i) => i.op === 'WORKDIR')?.args, '/app');
  assert.deepEqual(JSON.parse(final.instructions.find((i) => i.op === 'ENTRYPOINT')!.args), [
    'node',
    '/app/dist/src/cli/main.js',
  ]);
  // The runtime stage compiles nothing and fetches nothing.
  const finalRuns = final.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  assert.ok(
    !finalRuns.some((r) => /\b(npm|apt-get|curl|wget|tsc)\b/.test(r.replace(/rm -rf .*/, ''))),
    finalRuns.join('\n'),
  );
});

test('the lint catches what it is for (the checks can fail)', () => {
  const bad = [
    'FROM node:latest AS build',
    'RUN curl -fsSL https://example.com/install.sh | sh',
    'RUN npm install',
    'ADD https://example.com/x.tgz /x',
    'FROM ubuntu',
    'USER root',
  ].join('\n');
  assert.deepEqual(lintDockerfile(bad), [
    'FROM node:latest: pin the base image by version (x.y[.z]) or digest',
    'FROM ubuntu: pin the base image by version (x.y[.z]) or digest',
    'line 2: a downloaded script piped to a shell',
    'line 3: npm install; use npm ci (the lockfile)',
    'line 4: ADD of a URL; download nothing',
    'no `npm ci --omit=dev` stage',
    "USER root: a numeric non-root uid (Kubernetes' runAsNonRoot checks a number)",
    'neither a HEALTHCHECK nor the probes documented in a comment',
  ]);
  assert.deepEqual(
    lintDockerfile(
      `FROM node:20.20.2-slim@sha256:${'a'.repeat(64)}\nRUN npm ci --omit=dev\nHEALTHCHECK CMD true\nUSER 1000`,
    ),
    [],
  );
});

test('the runtime stage copies only the code, production modules and the assets package.json ships', () => {
  const copies = final.instructions.filter((i) => i.op === 'COPY').map((i) => copyArgs(i.args));
  const sources = copies.flatMap((c) => c.sources.map((s) => (c.from ? `${c.from}:${s}` : s)));
  assert.deepEqual(sources.sort(), [
    'build:/src/dist/src',
    'deps:/src/node_modules',
    'models',
    'package.json',
    'src/runtimes/python/worker.py',
    'src/server/grpc/grpc_predict_v2.proto',
    'src/ui/public',
  ]);
  // Every file the npm package ships must be in the image too (examples/ are documentation, not runtime).
  for (const f of pkg.files.filter((x) => x !== 'examples')) {
    assert.ok(
      sources.some((s) => s === f || s.endsWith(`:/src/${f}`)),
      `the image has ${f}`,
    );
  }
  const deps = stages.find((s) => s.name === 'deps')!;
  assert.ok(deps.instructions.some((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args)));
  // Small: other platforms' onnxruntime binaries (~240 MiB) are dropped before the copy.
  assert.ok(deps.instructions.some((i) => i.op === 'RUN' && /onnxruntime-node\/bin.*! -name linux/.test(i.args)));
});

/** `.dockerignore` semantics for top-level paths: the last matching pattern wins, `!` re-includes. */
function ignored(path: string, patterns: readonly string[]): boolean {
  let out = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const p = negate ? raw.slice(1) : raw;
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    if (re.test(path)) out = !negate;
  }
  return out;
}

test('.dockerignore keeps every path the Dockerfile copies from the context, and leaves out the rest', () => {
  const patterns = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const contextSources = stages.flatMap((s) =>
    s.instructions
      .filter((i) => i.op === 'COPY')
      .map((i) => copyArgs(i.args))
      .filter((c) => !c.from)
      .flatMap((c) => c.sources),
  );
  for (const src of contextSources) assert.equal(ignored(src, patterns), false, `${src} reaches the build`);
  for (const out of ['node_modules', 'dist', '.git', 'test/fixtures', 'bench', 'docs', '.env']) {
    assert.equal(ignored(out, patterns), true, `${out} stays out of the build context`);
  }
});

/**
 * The final stage on disk: each COPY applied (a `--from` stage's /src is the repository root, where this
 * checkout's build put dist/ and npm put node_modules), so the entrypoint runs from the image's layout.
 */
function layOutImage(): { root: string; app: string; env: Record<string, string>; entrypoint: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'inferd-image-'));
  const workdir = final.instructions.find((i) => i.op === 'WORKDIR')!.args;
  const env: Record<string, string> = {};
  for (const ins of final.instructions) {
    if (ins.op === 'ENV') {
      const [k, v] = ins.args.split('=') as [string, string];
      env[k] = v;
    }
    if (ins.op !== 'COPY') continue;
    const c = copyArgs(ins.args);
    for (const src of c.sources) {
      if (c.from) {
        const stage = stages.find((s) => s.name === c.from)!;
        assert.equal(stage.instructions.find((i) => i.op === 'WORKDIR')?.args, '/src');
        assert.ok(src.startsWith('/src/'));
      }
      const from = join(repoRoot, c.from ? src.slice('/src/'.length) : src);
      const dest = join(root, c.dest.startsWith('/') ? c.dest : join(workdir, c.dest));
      // `COPY a b/` and `COPY a .` copy into the directory; otherwise the destination is the path itself.
      const target = c.dest.endsWith('/') || c.dest === '.' ? join(dest, basename(from)) : dest;
      mkdirSync(dirname(target), { recursive: true });
      if (from.endsWith('node_modules'))
        symlinkSync(from, target, 'dir'); // too big to copy per test run
      else cpSync(from, target, { recursive: true });
    }
  }
  const entrypoint = JSON.parse(final.instructions.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
  return { root, app: join(root, workdir), env, entrypoint };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.parentPath.includes('node_modules') && e.name !== 'node_modules')
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

test("the image's entrypoint runs its subcommands from the image layout: --help, crds, model-server", async (t) => {
  const image = layOutImage();
  t.after(() => rmSync(image.root, { recursive: true, force: true }));
  const before = listFiles(image.root);
  // node from PATH, as `node` in the ENTRYPOINT; the script path is the image's, under the laid-out root.
  const [, script] = image.entrypoint as [string, string];
  const argv0 = [join(image.root, script)];
  const env = { PATH: process.env['PATH'] ?? '', HOME: join(image.root, 'nonexistent-home'), ...image.env };
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [...argv0, ...args], { cwd: image.app, env, encoding: 'utf8' });

  const help = await run(['--help']);
  for (const cmd of ['crds', 'model-server', 'serve']) assert.match(help.stdout, new RegExp(`\\n  ${cmd} `));

  const crds = parseAllDocuments((await run(['crds'])).stdout).map((d) => d.toJS() as Record<string, unknown>);
  assert.deepEqual(
    crds.map((c) => (c['metadata'] as { name: string }).name),
    [
      'inferenceservices.serving.kserve.io',
      'trainedmodels.serving.kserve.io',
      'clusterservingruntimes.serving.kserve.io',
      'servingruntimes.serving.kserve.io',
      'inferencegraphs.serving.kserve.io',
    ],
  );
  const list = JSON.parse((await run(['crds', '-o', 'json'])).stdout) as { kind: string; items: unknown[] };
  assert.equal(list.kind, 'List');
  assert.equal(list.items.length, 5);
  await assert.rejects(run(['crds', '-o', 'wide']), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /--output: expected yaml or json, got "wide"/);
    return true;
  });

  assert.match((await run(['model-server', '--help'])).stdout, /--model_name/);

  // The model server a predictor pod runs, on the demo model shipped in the image.
  const server = spawn(
    process.execPath,
    [
      ...argv0,
      'model-server',
      '--model_name',
      'sklearn-iris',
      '--model_dir',
      join(image.app, 'models', 'sklearn-iris'),
      '--http_port',
      '0',
      '--grpc_port',
      '0',
      '--http_host',
      '127.0.0.1',
    ],
    { cwd: image.app, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => stop(server));
  const { port, grpcPort } = await listening(server);
  assert.ok(grpcPort > 0, 'the gRPC server started (it reads the proto shipped beside the code)');
  const res = await fetch(`http://127.0.0.1:${port}/v1/models/sklearn-iris:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      instances: [
        [6.8, 2.8, 4.8, 1.4],
        [6.0, 3.4, 4.5, 1.6],
      ],
    }),
  });
  assert.equal(await res.text(), '{"predictions":[1,1]}');
  // gRPC loads on the first call, from the proto the image ships beside the code.
  assert.deepEqual(await grpcServerLive(grpcPort), { live: true });
  assert.equal(await stop(server), 0);
  // readOnlyRootFilesystem: nothing under the image's root was written.
  assert.deepEqual(listFiles(image.root), before);
});

async function grpcServerLive(port: number): Promise<unknown> {
  const Client = grpc.makeGenericClientConstructor(loadServiceDefinition(), 'GRPCInferenceService');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) => {
      const live = client as unknown as {
        ServerLive(req: object, opts: grpc.CallOptions, cb: (err: Error | null, reply: unknown) => void): void;
      };
      live.ServerLive({}, { deadline: Date.now() + 30_000 }, (err, reply) => (err ? reject(err) : resolve(reply)));
    });
  } finally {
    client.close();
  }
}

/** The ports from the model server's "model server listening" log line; bounded by its exit or 60 s. */
async function listening(proc: ChildProcess): Promise<{ port: number; grpcPort: number }> {
  let out = '';
  const found = new Promise<{ port: number; grpcPort: number }>((resolve) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (line.includes('model server listening')) resolve(JSON.parse(line) as { port: number; grpcPort: number });
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`model server did not start in 60 s:\n${out}`)), 60_000);
  });
  const exited = once(proc, 'exit').then(() => {
    throw new Error(`model server exited before listening:\n${out}`);
  });
  try {
    return await Promise.race([found, timeout, exited]);
  } finally {
    clearTimeout(timer);
  }
}

async function stop(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
  }
  return proc.exitCode;
}
