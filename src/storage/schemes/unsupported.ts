// Schemes KServe accepts that inferd does not implement yet: a clear StorageUnsupported naming what works.

import { storageError } from '../storage-error.js';
import type { Downloader } from '../types.js';

export function unsupported(scheme: string, supported: () => string[]): Downloader {
  return {
    example: `${scheme}://...`,
    fetch: async (ctx) => {
      throw storageError(
        'StorageUnsupported',
        `storage scheme ${scheme}:// is not supported yet (storageUri ${ctx.uri}); supported: ${supported().join(', ')}`,
        { scheme },
      );
    },
  };
}
