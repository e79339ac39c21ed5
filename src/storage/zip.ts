// A zip reader over a file on disk: central directory first (EOCD, ZIP64), then each entry's data through
// inflateRaw, checked against its CRC-32 and declared size, written through SafeWriter.
//
//   [local header + data]... [central directory entries] [ZIP64 EOCD + locator]? [EOCD (+ comment)]

import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import type { Logger } from '../log.js';
import { invalidArchive, type SafeWriter } from './safe-writer.js';

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  mode: number; // unix mode from the external attributes (0 if not made on unix)
}

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}

const u64 = (b: Buffer, at: number) => Number(b.readBigUInt64LE(at));

async function readDirectory(fh: FileHandle, fileSize: number, what: string, maxEntries: number): Promise<ZipEntry[]> {
  const bad = (why: string) =>
    invalidArchive(what, `Failed to unpack archive file. The file format is not valid. (${why})`);
  const tailLen = Math.min(fileSize, 22 + 0xffff);
  const tailStart = fileSize - tailLen;
  const tail = await readAt(fh, tailStart, tailLen);
  let e = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      e = i;
      break;
    }
  }
  if (e < 0) throw bad('no end of central directory');
  let count = tail.readUInt16LE(e + 10);
  let cdSize = tail.readUInt32LE(e + 12);
  let cdOffset = tail.readUInt32LE(e + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAt = tailStart + e - 20;
    const loc = locAt >= 0 ? await readAt(fh, locAt, 20) : Buffer.alloc(0);
    if (loc.length < 20 || loc.readUInt32LE(0) !== EOCD64_LOCATOR) throw bad('missing ZIP64 locator');
    const rec = await readAt(fh, u64(loc, 8), 56);
    if (rec.length < 56 || rec.readUInt32LE(0) !== EOCD64) throw bad('missing ZIP64 end record');
    count = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
  }
  if (count > maxEntries) throw invalidArchive(what, `more than ${maxEntries} entries`);
  if (cdOffset + cdSize > fileSize) throw bad('central directory beyond the end of the file');
  const cd = await readAt(fh, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw bad('broken central directory');
    const madeBy = cd.readUInt16LE(p + 4) >> 8;
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const external = cd.readUInt32LE(p + 38);
    let offset = cd.readUInt32LE(p + 42);
    const name = cd.subarray(p + 46, p + 46 + nameLen).toString(flags & 0x800 ? 'utf8' : 'latin1');
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    for (let x = 0; x + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(x);
      const len = extra.readUInt16LE(x + 2);
      if (id === 0x0001) {
        // ZIP64: 8-byte values, in this order, for exactly the fields that overflowed
        const values: number[] = [];
        for (let q = x + 4; q + 8 <= x + 4 + len; q += 8) values.push(u64(extra, q));
        if (size === 0xffffffff) size = values.shift() ?? size;
        if (compressedSize === 0xffffffff) compressedSize = values.shift() ?? compressedSize;
        if (offset === 0xffffffff) offset = values.shift() ?? offset;
      }
      x += 4 + len;
    }
    const mode = madeBy === 3 ? external >>> 16 : 0; // 3 = unix
    entries.push({ name, method, flags, crc, compressedSize, size, offset, mode });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

async function dataStart(fh: FileHandle, entry: ZipEntry, what: string): Promise<number> {
  const h = await readAt(fh, entry.offset, 30);
  if (h.length < 30 || h.readUInt32LE(0) !== LOCAL) {
    throw invalidArchive(what, `Failed to unpack archive file. The file format is not valid. (entry '${entry.name}')`);
  }
  return entry.offset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
}

/** Reads one entry's uncompressed bytes in chunks, checking size and CRC. */
async function* entryData(path: string, fh: FileHandle, entry: ZipEntry, what: string): AsyncGenerator<Buffer> {
  if (entry.flags & 0x1) throw invalidArchive(what, `entry '${entry.name}' is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) {
    throw invalidArchive(
      what,
      `entry '${entry.name}' uses compression method ${entry.method} (only stored and deflate)`,
    );
  }
  const start = await dataStart(fh, entry, what);
  if (entry.compressedSize === 0) {
    if (entry.size !== 0) throw invalidArchive(what, `entry '${entry.name}' has no data`);
    return;
  }
  const raw = createReadStream(path, { start, end: start + entry.compressedSize - 1 });
  const stream = entry.method === 8 ? raw.pipe(createInflateRaw()) : raw;
  raw.on('error', (err) => stream.destroy(err));
  let n = 0;
  let crc = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > entry.size) throw invalidArchive(what, `entry '${entry.name}' is larger than its declared size`);
      crc = crc32(chunk, crc);
      yield chunk;
    }
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('Z_')) {
      throw invalidArchive(what, `entry '${entry.name}' has corrupt compressed data`);
    }
    throw err;
  } finally {
    stream.destroy();
    raw.destroy();
  }
  if (n !== entry.size) throw invalidArchive(what, `entry '${entry.name}' is shorter than its declared size`);
  if (crc >>> 0 !== entry.crc >>> 0) throw invalidArchive(what, `entry '${entry.name}' fails its CRC check`);
}

export async function extractZip(
  path: string,
  writer: SafeWriter,
  what: string,
  log: Logger,
  maxEntries: number,
): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const entries = await readDirectory(fh, size, what, maxEntries);
    // refuse an obvious bomb before writing anything; the writer still counts real bytes
    const declared = entries.reduce((s, e) => s + e.size, 0);
    writer.precheck(declared);
    for (const entry of entries) {
      const type = entry.mode & S_IFMT;
      if (entry.name.endsWith('/') || type === S_IFDIR) {
        await writer.mkdir(entry.name);
      } else if (type === S_IFLNK) {
        if (entry.size > 4096) throw invalidArchive(what, `symlink '${entry.name}' has a ${entry.size}-byte target`);
        const parts: Buffer[] = [];
        for await (const c of entryData(path, fh, entry, what)) parts.push(c);
        await writer.symlink(entry.name, Buffer.concat(parts).toString('utf8'));
      } else if (type === 0 || type === 0o100000) {
        const sink = await writer.file(entry.name, entry.mode);
        try {
          for await (const c of entryData(path, fh, entry, what)) await sink.write(c);
        } catch (err) {
          await sink.abort();
          throw err;
        }
        await sink.close();
      } else {
        log.warn('storage: skipping special archive entry', { archive: what, entry: entry.name });
      }
    }
    return entries.length;
  } finally {
    await fh.close();
  }
}
