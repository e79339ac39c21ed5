// The Replica contract both kinds share: whenSettled rejects with an InferdError that carries the failure's
// reason and exit code (a real process that exits while loading; no model needed).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogBuffer } from '../../../src/controllers/replicas/log-buffer.js';
import type { Replica } from '../../../src/controllers/replicas/replica.js';
import { ReplicaProcess } from '../../../src/controllers/replicas/replica-process.js';
import { InferdError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';

test('whenSettled rejects with an InferdError carrying details.reason and exitCode', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-replica-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A "model server" that says it is loading and exits: ModelLoadFailed with its exit code.
  const entry = join(dir, 'exits.cjs');
  writeFileSync(entry, "process.send({ type: 'state', state: 'Loading' }, () => process.exit(3));\n");
  const replica: Replica = new ReplicaProcess({
    spec: {
      key: 'default/iris/iris-predictor-00001',
      revision: 'iris-predictor-00001',
      modelName: 'iris',
      modelDir: dir,
      modelFormat: 'sklearn',
      env: {},
    },
    entry,
    logs: new LogBuffer(undefined),
    log: silentLogger,
  });
  assert.equal(replica.kind, 'process');
  assert.equal(replica.key, 'default/iris/iris-predictor-00001');
  replica.start();
  t.after(() => replica.stop(1_000));
  await assert.rejects(replica.whenSettled(), (err: unknown) => {
    assert.ok(err instanceof InferdError, `not an InferdError: ${String(err)}`);
    assert.equal(err.code, 'MODEL_LOAD_FAILED');
    assert.equal(err.details.reason, 'ModelLoadFailed');
    assert.equal(err.details.exitCode, 3);
    assert.match(err.message, /exited \(code 3\) while loading/);
    return true;
  });
  assert.equal(replica.phase, 'Exited');
});
