// The revision ledger on disk: what one inferd wrote, the next one reads (a restart), removals and a deleted
// service's drop persist, and a half-written file never replaces a whole one.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import { FileRevisionLedger, resolveRevision } from '../../src/controllers/inference-service/revisions.js';

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
