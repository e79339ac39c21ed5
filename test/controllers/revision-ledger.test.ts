// The revision ledger on disk: what one inferd wrote, the next one reads (a restart), removals and a deleted
// service's drop persist, and a half-written file never replaces a whole one.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import {
  FileRevisionLedger,
  MemoryRevisionLedger,
  resolveRevision,
} from '../../src/controllers/inference-service/revisions.js';

const isvc = (uri: string): InferenceService => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'iris', namespace: 'team-a', generation: 1 },
  spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: uri } } },
});

test('revisions survive a new ledger over the same folder; remove and drop persist', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-ledger-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = 'team-a/iris';
  const a = new FileRevisionLedger(dir);
  const r1 = resolveRevision(isvc('gs://m/1'), a.list(key), '2026-12-06T19:00:00Z').latest;
  a.add(key, r1);
  const r2 = resolveRevision(isvc('gs://m/2'), a.list(key), '2026-12-06T19:01:00Z').latest;
  a.add(key, r2);

  const b = new FileRevisionLedger(dir);
  assert.deepEqual(
    b.list(key).map((r) => [r.name, r.spec.spec?.predictor.model?.storageUri]),
    [
      ['iris-predictor-00001', 'gs://m/1'],
      ['iris-predictor-00002', 'gs://m/2'],
    ],
  );
  assert.deepEqual(b.list('team-a/other'), []);
  b.remove(key, ['iris-predictor-00001']);
  // Numbers never go back after a collection.
  assert.equal(resolveRevision(isvc('gs://m/3'), b.list(key), '').latest.name, 'iris-predictor-00003');
  assert.deepEqual(
    new FileRevisionLedger(dir).list(key).map((r) => r.name),
    ['iris-predictor-00002'],
  );
  assert.deepEqual(readdirSync(join(dir, 'team-a')), ['iris.json'], 'no temporary file left');
  b.drop(key);
  assert.equal(existsSync(join(dir, 'team-a', 'iris.json')), false);
  assert.deepEqual(new FileRevisionLedger(dir).list(key), []);
});

const transformerRecord = (version: string, rev: string) => ({
  revisions: [
    {
      name: rev,
      spec: isvc('gs://m/1'),
      container: { name: 'kserve-container', command: ['inferd', 'run', 't.js'], env: [{ name: 'V', value: version }] },
    },
  ],
  everReady: [rev],
  rollout: {
    latestCreated: rev,
    latestReady: rev,
    latestRolledout: rev,
    traffic: [{ revisionName: rev, percent: 100, latestRevision: true }],
  },
});

test("a transformer's and an explainer's revisions survive a new ledger; forgetting one keeps the rest", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-ledger-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = 'team-a/iris';
  const a = new FileRevisionLedger(dir);
  a.add(key, resolveRevision(isvc('gs://m/1'), [], '2026-12-06T19:00:00Z').latest);
  a.setComponent(key, 'transformer', transformerRecord('v1', 'transformer-aaaaaaaa'));
  a.setComponent(key, 'explainer', transformerRecord('e1', 'explainer-bbbbbbbb'));

  const b = new FileRevisionLedger(dir);
  assert.deepEqual(b.component(key, 'transformer'), transformerRecord('v1', 'transformer-aaaaaaaa'));
  assert.deepEqual(b.component(key, 'explainer'), transformerRecord('e1', 'explainer-bbbbbbbb'));
  assert.deepEqual(
    b.list(key).map((r) => r.name),
    ['iris-predictor-00001'],
    "the predictor's revisions are kept beside them",
  );
  // A predictor revision added later keeps the components (one file, rewritten whole).
  b.add(key, resolveRevision(isvc('gs://m/2'), b.list(key), '2026-12-06T19:01:00Z').latest);
  b.setComponent(key, 'explainer', undefined);
  const c = new FileRevisionLedger(dir);
  assert.deepEqual(c.component(key, 'transformer'), transformerRecord('v1', 'transformer-aaaaaaaa'));
  assert.equal(c.component(key, 'explainer'), undefined);
  assert.equal(c.list(key).length, 2);
  // What a caller changes in a record it read is not the ledger's until it sets it.
  c.component(key, 'transformer')!.everReady.push('transformer-cccccccc');
  assert.deepEqual(c.component(key, 'transformer')?.everReady, ['transformer-aaaaaaaa']);
  // A deleted service drops its components with its revisions.
  c.drop(key);
  assert.equal(new FileRevisionLedger(dir).component(key, 'transformer'), undefined);
});

test('a ledger file written before components were recorded still loads, and gains them', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-ledger-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = 'team-a/iris';
  const r1 = resolveRevision(isvc('gs://m/1'), [], '2026-12-06T19:00:00Z').latest;
  // The previous version's format: `{"revisions":[...]}` and nothing else.
  mkdirSync(join(dir, 'team-a'), { recursive: true });
  writeFileSync(join(dir, 'team-a', 'iris.json'), JSON.stringify({ revisions: [r1] }));
  const a = new FileRevisionLedger(dir);
  assert.deepEqual(a.list(key), [r1]);
  assert.equal(a.component(key, 'transformer'), undefined);
  a.setComponent(key, 'transformer', transformerRecord('v1', 'transformer-aaaaaaaa'));
  const onDisk = JSON.parse(readFileSync(join(dir, 'team-a', 'iris.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(onDisk).sort(), ['components', 'revisions']);
  assert.deepEqual(new FileRevisionLedger(dir).list(key), [r1]);
  // A malformed component record is ignored (the component starts from its spec), the revisions still load.
  writeFileSync(
    join(dir, 'team-a', 'iris.json'),
    JSON.stringify({ revisions: [r1], components: { transformer: { revisions: 'x' } } }),
  );
  const b = new FileRevisionLedger(dir);
  assert.equal(b.component(key, 'transformer'), undefined);
  assert.deepEqual(b.list(key), [r1]);
});

test('the in-memory ledger keeps components the same way', () => {
  const m = new MemoryRevisionLedger();
  const key = 'team-a/iris';
  m.setComponent(key, 'transformer', transformerRecord('v1', 'transformer-aaaaaaaa'));
  assert.deepEqual(m.component(key, 'transformer'), transformerRecord('v1', 'transformer-aaaaaaaa'));
  m.drop(key);
  assert.equal(m.component(key, 'transformer'), undefined);
});
