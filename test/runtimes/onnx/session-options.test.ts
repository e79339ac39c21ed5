import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferdError } from '../../../src/errors.js';
import { threadsFromEnv } from '../../../src/runtimes/onnx/index.js';
import { sessionOptions } from '../../../src/runtimes/onnx/session-options.js';

test('one intra-op and one inter-op thread by default (replicas are separate processes)', () => {
  assert.deepEqual(threadsFromEnv(), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  assert.deepEqual(threadsFromEnv({ OMP_NUM_THREADS: '' }), { intraOpNumThreads: 1, interOpNumThreads: 1 });
});

test('ORT_INTRA_OP_NUM_THREADS wins over OMP_NUM_THREADS', () => {
  assert.equal(threadsFromEnv({ OMP_NUM_THREADS: '3' }).intraOpNumThreads, 3);
  assert.equal(threadsFromEnv({ ORT_INTRA_OP_NUM_THREADS: '2', OMP_NUM_THREADS: '3' }).intraOpNumThreads, 2);
  assert.equal(threadsFromEnv({ ORT_INTER_OP_NUM_THREADS: '4' }).interOpNumThreads, 4);
});

for (const bad of ['0', '-1', '1.5', 'two', '1e400']) {
  test(`EXPECTED FAILURE - ORT_INTRA_OP_NUM_THREADS=${bad} is INVALID_CONFIG at that variable`, () => {
    assert.throws(
      () => threadsFromEnv({ ORT_INTRA_OP_NUM_THREADS: bad }),
      (err) =>
        err instanceof InferdError && err.code === 'INVALID_CONFIG' && err.details.path === 'ORT_INTRA_OP_NUM_THREADS',
    );
  });
}

test('session options: CPU provider, all graph optimizations, the thread counts given', () => {
  const opts = sessionOptions({ intraOpNumThreads: 2, interOpNumThreads: 1 }, 'm');
  assert.deepEqual(opts.executionProviders, ['cpu']);
  assert.equal(opts.graphOptimizationLevel, 'all');
  assert.equal(opts.intraOpNumThreads, 2);
  assert.equal(opts.interOpNumThreads, 1);
  assert.equal(opts.executionMode, 'sequential');
});
