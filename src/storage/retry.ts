// Which failures are worth another try, and how long to wait before it.

import { isStorageError } from './storage-error.js';

/** Transient: the server could not be reached, or answered 5xx/429. Never a deadline or cancellation. */
export function isRetryable(err: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return false;
  if (isStorageError(err, 'StorageUnreachable')) return err.details['tls'] !== true; // a bad certificate stays bad
  if (isStorageError(err, 'StorageRequestFailed')) {
    const status = Number(err.details['status']);
    return status >= 500 || status === 429;
  }
  return false;
}

/** Exponential back-off with ±25% jitter: base, 2·base, 4·base, ... */
export function backoffMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  return Math.round(baseMs * 2 ** attempt * (0.75 + random() * 0.5));
}

/** Resolves after ms, or rejects with the signal's reason. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
