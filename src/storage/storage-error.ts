// STORAGE_FAILED errors with a reason that the controller copies into status conditions as it is.

import { InferdError } from '../errors.js';

/** Reasons a storage initialization fails; each one is a valid status condition reason. */
export type StorageFailureReason =
  | 'ModelNotFound' // the local path, claim folder, object or prefix does not exist
  | 'StorageAccessDenied' // 401/403 from the storage server
  | 'StorageUnreachable' // connection refused, DNS, TLS, timeouts
  | 'StorageUnsupported' // a scheme inferd does not implement
  | 'StorageTooLarge' // a download or unpacked archive beyond maxBytes
  | 'InvalidArchive' // a broken archive, or one with entries escaping the model dir
  | 'InvalidStorageUri' // a URI that cannot be parsed (no bucket, no file name, unsafe path)
  | 'InvalidStorageCredentials' // a storage secret that cannot be read (bad JSON, missing key)
  | 'StorageRequestFailed' // any other non-2xx answer
  | 'StorageFailed' // a local I/O failure (disk full, permissions on the cache)
  | 'StorageAddressRefused' // a link-local/metadata address or inferd's own port (SSRF guard)
  | 'DownloadCancelled'; // the caller's AbortSignal fired

export function storageError(
  reason: StorageFailureReason,
  message: string,
  extra: Record<string, unknown> = {},
): InferdError {
  return new InferdError('STORAGE_FAILED', message, { reason, ...extra });
}

export function isStorageError(err: unknown, reason?: StorageFailureReason): err is InferdError {
  return (
    err instanceof InferdError &&
    err.code === 'STORAGE_FAILED' &&
    (reason === undefined || err.details.reason === reason)
  );
}
