// The intra-op pool (runtimes/intra-op): rows split across worker threads land where a single-thread call puts
// them, the workers really take blocks, a kernel that throws or a worker that dies fails the call (never a
// hang) and the pool recovers, and the env settings are validated.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isInferdError } from '../../../src/errors.js';
import { sharedArray, sharedFrom } from '../../../src/runtimes/intra-op/kernel.js';
import { IntraOpPool } from '../../../src/runtimes/intra-op/pool.js';
import { DEFAULT_MIN_ROWS, intraOpSettings, MIN_WORK_STEPS } from '../../../src/runtimes/intra-op/settings.js';

const KERNELS = new URL('./test-kernels.js', import.meta.url).href;

/** Bounds a promise so that a hang fails the test instead of stalling it. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (a hang)`)), ms);
    }),
  ]);
}

function scaleJob(rows: number) {
  const x = sharedFrom(
    Float64Array,
    Array.from({ length: rows }, (_, i) => i + 0.5),
  );
  return { arrays: { x, out: sharedArray(Float64Array, rows), who: sharedArray(Int32Array, rows) }, params: {} };
}

test('the workers alone compute every row, in blocks, exactly where the rows belong', async (t) => {
  const pool = new IntraOpPool({ threads: 2, callerRuns: false });
  t.after(() => pool.close());
  const h = await pool.register({ module: KERNELS, exportName: 'scaleKernel', state: { scale: 3 } });
  const job = scaleJob(1000);
  await within(pool.run(h, job, 1000, 64), 30_000);
  for (let r = 0; r < 1000; r++) assert.equal(job.arrays.out[r], (r + 0.5) * 3);
  const workers = new Set(pool.workerThreadIds());
  for (let r = 0; r < 1000; r++) assert.ok(workers.has(job.arrays.who[r]!), `row ${r} computed by a worker`);
  assert.equal(pool.stats.workerBlocks, Math.ceil(1000 / 64));
  assert.equal(pool.stats.callerBlocks, 0);
});

test('with the caller running too, the blocks add up and concurrent calls do not mix', async (t) => {
  const pool = new IntraOpPool({ threads: 2 });
  t.after(() => pool.close());
  const h = await pool.register({ module: KERNELS, exportName: 'scaleKernel', state: { scale: 2 } });
  const jobs = [scaleJob(700), scaleJob(300), scaleJob(1)];
  await within(Promise.all(jobs.map((j) => pool.run(h, j, j.arrays.x.length, 32))), 30_000);
  for (const j of jobs) for (let r = 0; r < j.arrays.x.length; r++) assert.equal(j.arrays.out[r], (r + 0.5) * 2);
  assert.equal(pool.stats.callerBlocks + pool.stats.workerBlocks, 22 + 10 + 1);
});

test('a worker thread that dies fails the call with INTERNAL, and the next call works on a new worker', async (t) => {
  const pool = new IntraOpPool({ threads: 1, callerRuns: false });
  t.after(() => pool.close());
  const bad = await pool.register({ module: KERNELS, exportName: 'exitingKernel', state: null });
  const good = await pool.register({ module: KERNELS, exportName: 'scaleKernel', state: { scale: 1 } });
  const before = pool.workerThreadIds()[0];
  await assert.rejects(within(pool.run(bad, scaleJob(10), 10, 4), 30_000), (err: unknown) => {
    assert.ok(isInferdError(err), String(err));
    assert.equal(err.code, 'INTERNAL');
    assert.match(err.message, /worker thread exited \(code 7\)/);
    return true;
  });
  assert.equal(pool.stats.restarts, 1);
  assert.notEqual(pool.workerThreadIds()[0], before);
  const job = scaleJob(100);
  await within(pool.run(good, job, 100, 16), 30_000); // re-registered in the new worker
  assert.equal(job.arrays.out[99], 99.5);
});

test('a kernel that throws in a worker fails the call; thrown on the calling thread it fails it too', async (t) => {
  const pool = new IntraOpPool({ threads: 1, callerRuns: false });
  t.after(() => pool.close());
  const h = await pool.register({ module: KERNELS, exportName: 'throwingKernel', state: null });
  await assert.rejects(within(pool.run(h, scaleJob(10), 10, 4), 30_000), /intra-op thread: kernel exploded/);
  const callerPool = new IntraOpPool({ threads: 2 });
  t.after(() => callerPool.close());
  const h2 = await callerPool.register({ module: KERNELS, exportName: 'throwingKernel', state: null });
  await assert.rejects(within(callerPool.run(h2, scaleJob(1000), 1000, 4), 30_000), /kernel exploded/);
  // The pool still serves calls afterwards.
  const h3 = await callerPool.register({ module: KERNELS, exportName: 'scaleKernel', state: { scale: 1 } });
  const job = scaleJob(50);
  await within(callerPool.run(h3, job, 50, 8), 30_000);
  assert.equal(job.arrays.out[49], 49.5);
});

test('a kernel that does not exist is refused at registration', async (t) => {
  const pool = new IntraOpPool({ threads: 2 });
  t.after(() => pool.close());
  await assert.rejects(pool.register({ module: KERNELS, exportName: 'nope', state: null }), /no kernel factory nope/);
});

test('settings: one thread unless set, the row threshold, positive integers only', () => {
  assert.deepEqual(intraOpSettings({}), { threads: 1, minRows: DEFAULT_MIN_ROWS, minWorkSteps: MIN_WORK_STEPS });
  assert.deepEqual(intraOpSettings({ INFERD_INTRA_OP_THREADS: '4' }).threads, 4);
  // An explicit row threshold decides alone.
  assert.deepEqual(intraOpSettings({ INFERD_INTRA_OP_MIN_ROWS: '10' }), { threads: 1, minRows: 10, minWorkSteps: 0 });
  for (const bad of ['0', '-1', '1.5', 'two']) {
    assert.throws(
      () => intraOpSettings({ INFERD_INTRA_OP_THREADS: bad }),
      (err: unknown) =>
        isInferdError(err) && err.code === 'INVALID_CONFIG' && /INFERD_INTRA_OP_THREADS/.test(err.message),
    );
  }
});

test('an idle pool (never ran a call) does not hold the process open', async (t) => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'inferd-pool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A module file, as a replica loads it (the bug did not show under `node -e`).
  const script = join(dir, 'idle-pool.mjs');
  const poolUrl = new URL('../../../src/runtimes/intra-op/pool.js', import.meta.url).href;
  writeFileSync(script, `import { IntraOpPool } from ${JSON.stringify(poolUrl)};\nnew IntraOpPool({ threads: 3 });\n`);
  const child = spawn(process.execPath, [script], { stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code, signal] = (await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])))) as [
    number | null,
    string | null,
  ];
  clearTimeout(timer);
  assert.deepEqual([code, signal], [0, null], 'the process exited by itself (killed after 10 s otherwise)');
});
