// Archives KServe unpacks into the model directory: `.zip`, `.tar`, `.tar.gz`/`.tgz`, chosen by file name
// (like KServe's mimetype guess) and checked against the file's magic bytes.

import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Logger } from '../log.js';
import { invalidArchive, SafeWriter, type WriterLimits } from './safe-writer.js';
import { extractTar } from './tar.js';
import { extractZip } from './zip.js';

export type ArchiveKind = 'zip' | 'tar' | 'tar.gz';

export const DEFAULT_MAX_ENTRIES = 100_000;

/** The archive kind a file name announces, or undefined for a plain file. */
export function archiveKind(fileName: string): ArchiveKind | undefined {
  const n = fileName.toLowerCase();
  if (n.endsWith('.zip')) return 'zip';
  if (n.endsWith('.tar.gz') || n.endsWith('.tgz')) return 'tar.gz';
  if (n.endsWith('.tar')) return 'tar';
  return undefined;
}

async function sniff(file: string): Promise<'zip' | 'gzip' | 'tar' | 'unknown'> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(263);
    const { bytesRead } = await fh.read(b, 0, 263, 0);
    if (bytesRead >= 4 && b.readUInt32LE(0) === 0x04034b50) return 'zip';
    if (bytesRead >= 4 && b.readUInt32LE(0) === 0x06054b50) return 'zip'; // empty zip
    if (bytesRead >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (bytesRead >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return 'unknown';
  } finally {
    await fh.close();
  }
}

export interface UnpackOptions {
  maxBytes: number;
  /** Contents may be at most max(ratioFloorBytes, maxRatio × the archive's size); absent: no ratio cap. */
  maxRatio?: number;
  ratioFloorBytes?: number;
  maxEntries?: number;
  /** How to name the archive in errors (its URI, never a signed URL). */
  what: string;
  log: Logger;
  /** Leave the archive file where it is (a user's local file); otherwise it is deleted once unpacked. */
  keep?: boolean;
}

/** Unpacks `file` (which must lie outside destDir) into `destDir`, then deletes the archive unless `keep`. */
export async function unpackArchive(
  file: string,
  kind: ArchiveKind,
  destDir: string,
  opts: UnpackOptions,
): Promise<{ entries: number; bytes: number }> {
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const limits: WriterLimits = { maxBytes: opts.maxBytes, maxEntries };
  if (opts.maxRatio !== undefined && opts.maxRatio > 0) {
    const archiveBytes = (await stat(file)).size;
    const byRatio = Math.max(opts.ratioFloorBytes ?? 0, Math.ceil(archiveBytes * opts.maxRatio));
    if (byRatio < opts.maxBytes) {
      limits.maxBytes = byRatio;
      limits.ratio = { archiveBytes, maxRatio: opts.maxRatio };
    }
  }
  const writer = await SafeWriter.create(destDir, limits, opts.what);
  const magic = await sniff(file);
  const invalid = () => invalidArchive(opts.what, 'Failed to unpack archive file. The file format is not valid.');
  let entries: number;
  if (kind === 'zip') {
    if (magic !== 'zip') throw invalid();
    entries = await extractZip(file, writer, opts.what, opts.log, maxEntries);
  } else {
    if (magic !== 'gzip' && magic !== 'tar') throw invalid();
    const raw = createReadStream(file);
    const source = magic === 'gzip' ? raw.pipe(createGunzip()) : raw;
    raw.on('error', (err) => source.destroy(err));
    try {
      entries = await extractTar(source as AsyncIterable<Buffer>, writer, opts.what, opts.log);
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('Z_')) throw invalid();
      throw err;
    } finally {
      source.destroy();
      raw.destroy();
    }
  }
  await writer.finish();
  if (!opts.keep) await rm(file, { force: true });
  return { entries, bytes: writer.bytes };
}

/** The unpack limits of a download (size cap, ratio cap) and how to name it in errors. */
export function unpackLimits(
  ctx: { maxBytes: number; maxRatio: number; ratioFloorBytes: number; log: Logger },
  what: string,
): UnpackOptions {
  return { maxBytes: ctx.maxBytes, maxRatio: ctx.maxRatio, ratioFloorBytes: ctx.ratioFloorBytes, what, log: ctx.log };
}
