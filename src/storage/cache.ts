// Content-addressed download cache under cacheDir:
//
//   cacheDir/
//     entries/<sha256(key)>/   one finished model per key (key = URI + ETag/Last-Modified/listing digest)
//     index/<sha256(uri)>.json the validators last seen for a URI, for conditional GETs
//     tmp/<random>/            downloads in progress; renamed into entries/ only when complete
//
// An entry is never written in place: a crash leaves a tmp folder, never a half model under entries/.

import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { InitializeResult } from './types.js';

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export function entryDir(cacheDir: string, key: string): string {
  return join(cacheDir, 'entries', sha256(key));
}

export async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Returns the entry for `key`, filling it first if absent: `fill` writes the model into an empty temp folder,
 * which is then renamed into place. If another process finished the same entry first, its copy wins.
 */
export async function populateEntry(
  cacheDir: string,
  key: string,
  fill: (dir: string) => Promise<void>,
  log: Logger,
): Promise<InitializeResult> {
  const final = entryDir(cacheDir, key);
  if (await isDir(final)) return { modelDir: final, cached: true };
  const tmp = await makeTempDir(cacheDir);
  try {
    await fill(tmp);
    await mkdir(join(cacheDir, 'entries'), { recursive: true });
    try {
      await rename(tmp, final);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await isDir(final))) {
        log.debug('storage: cache entry completed concurrently by another process', { entry: final });
        await rm(tmp, { recursive: true, force: true });
        return { modelDir: final, cached: false };
      }
      throw err;
    }
    return { modelDir: final, cached: false };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** A fresh empty folder under cacheDir/tmp (same file system as the entries, so rename is atomic). */
export async function makeTempDir(cacheDir: string): Promise<string> {
  const base = join(cacheDir, 'tmp');
  await mkdir(base, { recursive: true });
  return mkdtemp(join(base, 'dl-'));
}

/** Moves a finished temp folder into place as the entry for `key` (used when the key is known only afterwards). */
export async function commitTempDir(cacheDir: string, tmp: string, key: string): Promise<string> {
  const final = entryDir(cacheDir, key);
  await mkdir(join(cacheDir, 'entries'), { recursive: true });
  try {
    await rename(tmp, final);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (!((code === 'ENOTEMPTY' || code === 'EEXIST') && (await isDir(final)))) throw err;
    await rm(tmp, { recursive: true, force: true });
  }
  return final;
}

/**
 * Removes temp folders left by crashed downloads. Only folders untouched for longer than maxAgeMs go (far
 * beyond any download's timeout), so another process's download in progress is never pulled away.
 */
export async function pruneStaleTemp(cacheDir: string, maxAgeMs: number, now = Date.now()): Promise<string[]> {
  const base = join(cacheDir, 'tmp');
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return removed;
  }
  for (const name of names) {
    const p = join(base, name);
    try {
      if (now - (await stat(p)).mtimeMs > maxAgeMs) {
        await rm(p, { recursive: true, force: true });
        removed.push(p);
      }
    } catch {
      // gone already
    }
  }
  return removed;
}

/** What a previous download of a URI saw, for conditional requests. */
export interface IndexRecord {
  key: string;
  etag?: string;
  lastModified?: string;
}

const indexPath = (cacheDir: string, uri: string) => join(cacheDir, 'index', `${sha256(uri)}.json`);

export async function readIndex(cacheDir: string, uri: string): Promise<IndexRecord | undefined> {
  try {
    const rec = JSON.parse(await readFile(indexPath(cacheDir, uri), 'utf8')) as IndexRecord;
    return typeof rec.key === 'string' ? rec : undefined;
  } catch {
    return undefined;
  }
}

export async function writeIndex(cacheDir: string, uri: string, rec: IndexRecord): Promise<void> {
  const path = indexPath(cacheDir, uri);
  await mkdir(join(cacheDir, 'index'), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, JSON.stringify(rec));
  await rename(tmp, path);
}

/** Marks an entry as just used (its mtime is the LRU clock). */
export async function touchEntry(dir: string): Promise<void> {
  const now = new Date();
  await utimes(dir, now, now).catch(() => {});
}

/** Bytes under a folder (files and links, not following links). */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const p = join(dir, name);
    const st = await lstat(p).catch(() => undefined);
    if (!st) continue;
    total += st.isDirectory() ? await diskUsage(p) : st.size;
  }
  return total;
}

export interface EvictOptions {
  /** Budget for entries/ in bytes. */
  maxBytes: number;
  /** Entry folders that must stay (models in use). */
  keep: ReadonlySet<string>;
  /** Entries used more recently than this are kept too (a model between its download and its replica). */
  graceMs: number;
  log: Logger;
  now?: number;
}

export interface EvictResult {
  /** Bytes of entries/ after eviction. */
  bytes: number;
  evicted: string[];
  /** Bytes over budget that could not be freed because every remaining entry is in use. */
  overBudget: number;
}

/**
 * Removes least recently used entries until entries/ fits maxBytes, never one in `keep` or used within
 * graceMs. An entry is renamed into tmp/ first, so a reader never sees half of a deleted model.
 */
export async function evictLru(cacheDir: string, opts: EvictOptions): Promise<EvictResult> {
  const base = join(cacheDir, 'entries');
  const now = opts.now ?? Date.now();
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return { bytes: 0, evicted: [], overBudget: 0 };
  }
  const entries: { dir: string; bytes: number; usedMs: number }[] = [];
  for (const name of names) {
    const dir = join(base, name);
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    entries.push({ dir, bytes: await diskUsage(dir), usedMs: st.mtimeMs });
  }
  let total = entries.reduce((s, e) => s + e.bytes, 0);
  const evicted: string[] = [];
  entries.sort((a, b) => a.usedMs - b.usedMs);
  for (const e of entries) {
    if (total <= opts.maxBytes) break;
    if (opts.keep.has(e.dir) || now - e.usedMs < opts.graceMs) continue;
    try {
      const tmp = await makeTempDir(cacheDir);
      const trash = join(tmp, 'evicted');
      await rename(e.dir, trash);
      await rm(tmp, { recursive: true, force: true });
    } catch (err) {
      opts.log.warn('storage: could not evict a cache entry', { entry: e.dir, error: String(err) });
      continue;
    }
    total -= e.bytes;
    evicted.push(e.dir);
    opts.log.info('storage: evicted least recently used cache entry', { entry: e.dir, bytes: e.bytes });
  }
  return { bytes: total, evicted, overBudget: Math.max(0, total - opts.maxBytes) };
}
