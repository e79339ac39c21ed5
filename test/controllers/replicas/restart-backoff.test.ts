// The replica manager's restart back-off on a fake clock: a crashed replica waits 1x, 2x, ... the base
// delay (capped) before its restart, and a replica Ready for stableAfterMs starts over at the base. Real
// (tiny) child processes; the waits between restarts are the clock's, not real time.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ReplicaManager, type ReplicaView } from '../../../src/controllers/replicas/replica-manager.js';
import { silentLogger } from '../../../src/log.js';
import { FakeClock } from '../../support/fake-clock.js';

/** Resolves with the replica's view once `ok` holds, waiting on the manager's change events (bounded). */
function waitFor(m: ReplicaManager, key: string, ok: (v: ReplicaView) => boolean, what: string) {
  return new Promise<ReplicaView>((resolve, reject) => {
    const check = () => {
      const v = m.get(key);
      if (v && ok(v)) {
        clearTimeout(timer);
        m.off('change', check);
        resolve(v);
      }
    };
    const timer = setTimeout(() => {
      m.off('change', check);
      reject(new Error(`timed out waiting for ${what}; last: ${JSON.stringify(m.get(key))}`));
    }, 10_000);
    m.on('change', check);
    check();
  });
}

test('restart back-off doubles up to its cap and starts over after a stable run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-backoff-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A model server that is Ready at once and serves until killed.
  const entry = join(dir, 'ready.cjs');
  writeFileSync(entry, "process.send({ type: 'ready', port: 1 });\n");
  const clock = new FakeClock();
  const m = new ReplicaManager({
    entry,
    log: silentLogger,
    restartBackoffMs: 1_000,
    restartBackoffMaxMs: 2_000,
    stableAfterMs: 30_000,
    clock,
  });
  t.after(() => m.stopAll());
  const key = 'default/iris/iris-predictor-00001';
  m.ensure({
    key,
    revision: 'iris-predictor-00001',
    modelName: 'iris',
    modelDir: dir,
    modelFormat: 'sklearn',
    env: {},
  });

  /** Kills the Ready replica now and returns the back-off it was given. */
  const crash = async (restarts: number): Promise<number> => {
    const ready = await waitFor(m, key, (v) => v.phase === 'Ready' && v.restarts === restarts, 'Ready');
    assert.ok(ready.pid);
    process.kill(ready.pid, 'SIGKILL');
    const backoff = await waitFor(m, key, (v) => v.phase === 'BackOff', 'BackOff');
    assert.equal(backoff.failure?.reason, 'ReplicaCrashed');
    assert.equal(clock.pendingDelays().length, 1);
    const delay = clock.pendingDelays()[0]!;
    assert.equal(backoff.nextRestartAt, clock.now() + delay);
    return delay;
  };

  assert.equal(await crash(0), 1_000);
  clock.advance(999);
  assert.equal(m.get(key)?.phase, 'BackOff', 'not restarted before its back-off is over');
  clock.advance(1);
  assert.equal(await crash(1), 2_000, 'doubled');
  clock.advance(2_000);
  assert.equal(await crash(2), 2_000, 'capped');
  clock.advance(2_000);
  await waitFor(m, key, (v) => v.phase === 'Ready' && v.restarts === 3, 'Ready after 3 restarts');
  clock.advance(30_000); // Ready this long: stable
  assert.equal(await crash(3), 1_000, 'back to the base delay');
});
