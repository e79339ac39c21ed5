// What s3:// and gs:// share: list a prefix, pick the objects the way KServe does, and download them into one
// cache entry keyed by the listing (keys, sizes, ETags), so an unchanged prefix is never downloaded twice.
//
// KServe semantics: a URI naming exactly one object downloads that file; otherwise every object under
// `prefix/` keeps its path relative to the prefix. (KServe also matches `prefix*`, which turns
// `models/iris` + `models/iris2/x` into `2/x`; inferd only takes whole path segments.)

import { mkdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { archiveKind, unpackArchive, unpackLimits } from './archive.js';
import { entryDir, isDir, makeTempDir, populateEntry, sha256 } from './cache.js';
import { type HttpResponse, saveBody } from './http-client.js';
import { storageError } from './storage-error.js';
import type { DownloadContext, InitializeResult } from './types.js';

export interface StoreObject {
  key: string;
  size: number;
  /** ETag, generation or md5: anything that changes when the content does. */
  version: string;
}

export interface ObjectSource {
  /** Every object whose key starts with `prefix` (all pages). */
  list(prefix: string, signal: AbortSignal): Promise<StoreObject[]>;
  /** A 2xx response with the object's bytes. */
  open(obj: StoreObject, signal: AbortSignal): Promise<HttpResponse>;
}

export const MAX_OBJECTS = 100_000;
const CONCURRENCY = 4; // KServe's S3_MAX_FILE_CONCURRENCY

export interface PlannedFile {
  obj: StoreObject;
  /** Path inside the model dir. */
  rel: string;
}

/** The files a bucket path stands for, per KServe's rules; pure. */
export function planObjects(objects: StoreObject[], path: string, uri: string): PlannedFile[] {
  const exact = path !== '' && !path.endsWith('/') ? objects.find((o) => o.key === path) : undefined;
  if (exact) return [{ obj: exact, rel: posix.basename(exact.key) }];
  const dir = path === '' || path.endsWith('/') ? path : `${path}/`;
  const out: PlannedFile[] = [];
  for (const obj of objects) {
    if (!obj.key.startsWith(dir) || obj.key.endsWith('/')) continue; // folder markers
    const rel = posix.normalize(obj.key.slice(dir.length));
    if (rel === '.' || rel === '..' || rel.startsWith('../') || rel.startsWith('/')) {
      throw storageError(
        'InvalidStorageUri',
        `object '${obj.key}' in ${uri} would be written outside the model directory; refusing it`,
      );
    }
    out.push({ obj, rel });
  }
  return out;
}

/** Lists, plans and downloads `path` (a key or a prefix) from `source` into the cache. */
export async function downloadObjects(
  ctx: DownloadContext,
  source: ObjectSource,
  path: string,
  safeUri: string,
): Promise<InitializeResult> {
  const objects = await source.list(path, ctx.signal);
  const files = planObjects(objects, path, safeUri);
  if (files.length === 0) {
    throw storageError('ModelNotFound', `Failed to fetch model. No model found in ${safeUri}.`, { uri: safeUri });
  }
  const total = files.reduce((s, f) => s + f.obj.size, 0);
  if (total > ctx.maxBytes) {
    throw storageError(
      'StorageTooLarge',
      `${safeUri} holds ${total} bytes, beyond the limit of ${ctx.maxBytes} (maxBytes)`,
      {
        maxBytes: ctx.maxBytes,
      },
    );
  }
  const listing = files.map((f) => `${f.rel}\t${f.obj.size}\t${f.obj.version}`).sort();
  const key = `${ctx.scope}${ctx.uri}\nlisting-sha256:${sha256(listing.join('\n'))}`;
  if (await isDir(entryDir(ctx.cacheDir, key))) {
    ctx.log.info('storage: cache hit (listing unchanged)', { uri: safeUri, files: files.length });
    return { modelDir: entryDir(ctx.cacheDir, key), cached: true };
  }
  ctx.log.info('storage: downloading', { uri: safeUri, files: files.length, bytes: total });
  ctx.progress.addTotal(total);
  return populateEntry(ctx.cacheDir, key, (dir) => fill(ctx, source, files, dir, safeUri), ctx.log);
}

async function fill(
  ctx: DownloadContext,
  source: ObjectSource,
  files: PlannedFile[],
  dir: string,
  safeUri: string,
): Promise<void> {
  const budget = { used: 0, max: ctx.maxBytes };
  const single = files.length === 1 ? archiveKind(files[0]!.rel) : undefined;
  if (single) {
    const scratch = await makeTempDir(ctx.cacheDir);
    try {
      const file = join(scratch, posix.basename(files[0]!.rel));
      await fetchOne(ctx, source, files[0]!, file, budget, ctx.signal, safeUri);
      const u = await unpackArchive(file, single, dir, unpackLimits(ctx, safeUri));
      ctx.log.info('storage: unpacked archive', { uri: safeUri, entries: u.entries, bytes: u.bytes });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return;
  }
  // a small pool; the first failure stops the others
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let next = 0;
  const worker = async () => {
    while (next < files.length && !signal.aborted) {
      const f = files[next++]!;
      const target = join(dir, ...f.rel.split('/'));
      await mkdir(posix.dirname(target), { recursive: true });
      await fetchOne(ctx, source, f, target, budget, signal, safeUri);
    }
  };
  const workers = Array.from({ length: Math.min(CONCURRENCY, files.length) }, () =>
    worker().catch((err: unknown) => {
      stop.abort(err);
      throw err;
    }),
  );
  const results = await Promise.allSettled(workers);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw ctx.signal.aborted ? ctx.signal.reason : failed.reason;
}

async function fetchOne(
  ctx: DownloadContext,
  source: ObjectSource,
  f: PlannedFile,
  target: string,
  budget: { used: number; max: number },
  signal: AbortSignal,
  safeUri: string,
): Promise<void> {
  const res = await source.open(f.obj, signal);
  await saveBody(res, target, { signal, budget, progress: ctx.progress, what: safeUri });
}
