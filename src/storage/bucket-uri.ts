// `s3://bucket/path` and `gs://bucket/path` split into bucket and path.

import { storageError } from './storage-error.js';

export function parseBucketUri(uri: string, scheme: 's3' | 'gs'): { bucket: string; path: string } {
  const rest = uri.slice(`${scheme}://`.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash + 1);
  if (!bucket)
    throw storageError('InvalidStorageUri', `invalid storageUri ${uri}: expected ${scheme}://{bucket}/{path}`);
  return { bucket, path };
}
