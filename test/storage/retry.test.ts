import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, isRetryable } from '../../src/storage/retry.js';
import { storageError } from '../../src/storage/storage-error.js';

test('retry: only transient failures are retried', () => {
  const live = new AbortController().signal;
  assert.equal(isRetryable(storageError('StorageUnreachable', 'refused'), live), true);
  assert.equal(isRetryable(storageError('StorageUnreachable', 'bad cert', { tls: true }), live), false);
  assert.equal(isRetryable(storageError('StorageRequestFailed', '503', { status: 503 }), live), true);
  assert.equal(isRetryable(storageError('StorageRequestFailed', '429', { status: 429 }), live), true);
  assert.equal(isRetryable(storageError('StorageRequestFailed', '400', { status: 400 }), live), false);
  assert.equal(isRetryable(storageError('StorageAccessDenied', '403'), live), false);
  assert.equal(isRetryable(storageError('ModelNotFound', '404'), live), false);
  assert.equal(
    isRetryable(storageError('StorageUnreachable', 'x'), AbortSignal.abort()),
    false,
    'never after a deadline',
  );
});

test('retry: back-off doubles, with bounded jitter', () => {
  assert.equal(
    backoffMs(0, 500, () => 0.5),
    500,
  );
  assert.equal(
    backoffMs(1, 500, () => 0.5),
    1000,
  );
  assert.equal(
    backoffMs(2, 500, () => 0),
    1500,
  );
  assert.equal(
    backoffMs(2, 500, () => 1),
    2500,
  );
});
