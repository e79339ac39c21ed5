// pvc://{claim}/{path}: in KServe the webhook mounts the claim; locally a claim is a folder,
// pvcRoots[claim] or {pvcDefaultRoot}/{claim}, used in place like a local path.

import { posix } from 'node:path';
import { isDir } from '../cache.js';
import { storageError } from '../storage-error.js';
import type { DownloadContext, Downloader, InitializeResult } from '../types.js';
import { useLocalPath } from './local.js';

export function parsePvcUri(uri: string): { claim: string; path: string } {
  const rest = uri.slice('pvc://'.length);
  const slash = rest.indexOf('/');
  const claim = slash === -1 ? rest : rest.slice(0, slash);
  const raw = slash === -1 ? '' : decodeURIComponent(rest.slice(slash + 1));
  if (!claim) throw storageError('InvalidStorageUri', `invalid storageUri ${uri}: expected pvc://{claim}/{path}`);
  const norm = posix.normalize(raw || '.');
  if (norm === '..' || norm.startsWith('../') || posix.isAbsolute(norm)) {
    throw storageError('InvalidStorageUri', `invalid storageUri ${uri}: the path leaves the claim`);
  }
  return { claim, path: norm === '.' ? '' : norm };
}

async function fetchPvc(ctx: DownloadContext): Promise<InitializeResult> {
  const { claim, path } = parsePvcUri(ctx.uri);
  const root = ctx.pvcRoots[claim] ?? (ctx.pvcDefaultRoot ? posix.join(ctx.pvcDefaultRoot, claim) : undefined);
  if (root === undefined) {
    throw storageError(
      'ModelNotFound',
      `PVC '${claim}' is not mapped to a folder (storageUri ${ctx.uri}): give pvcRoots['${claim}'] or pvcDefaultRoot`,
      { claim },
    );
  }
  if (!(await isDir(root))) {
    throw storageError(
      'ModelNotFound',
      `PVC '${claim}' not found: folder ${root} does not exist (storageUri ${ctx.uri})`,
      {
        claim,
        folder: root,
      },
    );
  }
  return useLocalPath(path ? posix.join(root, path) : root, ctx.uri, ctx);
}

export const pvcDownloader: Downloader = { example: 'pvc://{claim}/{path}', fetch: fetchPvc };
