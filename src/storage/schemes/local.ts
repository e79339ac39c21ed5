// Local paths and file:// URIs. A directory is the model dir as it is; a single file becomes a cache folder
// holding a symlink to it (KServe links, never copies); a single archive is unpacked into the cache.

import { realpath, stat, symlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { archiveKind, unpackArchive, unpackLimits } from '../archive.js';
import { populateEntry } from '../cache.js';
import { storageError } from '../storage-error.js';
import type { DownloadContext, Downloader, InitializeResult } from '../types.js';

/** Uses a path on this machine as the model; `uri` names it in errors. */
export async function useLocalPath(path: string, uri: string, ctx: DownloadContext): Promise<InitializeResult> {
  const abs = resolve(path);
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(abs);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw storageError('ModelNotFound', `model not found: ${abs} does not exist (storageUri ${uri})`, { uri });
    }
    throw storageError('StorageFailed', `cannot read ${abs} (storageUri ${uri}): ${code ?? String(err)}`, { uri });
  }
  if (st.isDirectory()) return { modelDir: abs, cached: false };
  if (!st.isFile()) {
    throw storageError(
      'ModelNotFound',
      `model not found: ${abs} is neither a file nor a directory (storageUri ${uri})`,
    );
  }
  const real = await realpath(abs);
  const name = basename(abs);
  const kind = archiveKind(name);
  if (kind) {
    const key = `local-archive\n${real}\n${st.size}\n${st.mtimeMs}`;
    return populateEntry(
      ctx.cacheDir,
      key,
      (dir) => unpackArchive(real, kind, dir, { ...unpackLimits(ctx, uri), keep: true }).then(() => {}),
      ctx.log,
    );
  }
  return populateEntry(ctx.cacheDir, `local-file\n${real}`, (dir) => symlink(real, join(dir, name)), ctx.log);
}

/** `file:///abs/path` (or `file://relative/path`, as KServe strips the prefix) to a path. */
export function filePathOf(uri: string): string {
  if (uri.startsWith('file:///') || uri.startsWith('file://localhost/')) return fileURLToPath(uri);
  return decodeURIComponent(uri.slice('file://'.length));
}

export const localDownloader: Downloader = {
  example: '/abs/or/relative/path',
  fetch: (ctx) => useLocalPath(ctx.uri, ctx.uri, ctx),
};

export const fileDownloader: Downloader = {
  example: 'file:///path/to/model',
  fetch: (ctx) => useLocalPath(filePathOf(ctx.uri), ctx.uri, ctx),
};
