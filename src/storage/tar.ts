// A streaming tar reader (POSIX ustar, pax `x` headers, GNU long names `L`/`K`) that writes through SafeWriter.
//
//   [512-byte header][data, padded to 512]...[512 zero bytes][512 zero bytes]
//   header: name 0..100 | mode 100..108 | size 124..136 | chksum 148..156 | type 156 | linkname 157..257 |
//           magic 257..263 | prefix 345..500 (POSIX ustar only)

import type { Logger } from '../log.js';
import { ByteReader, TruncatedError } from './byte-reader.js';
import { invalidArchive, type SafeWriter } from './safe-writer.js';

const BLOCK = 512;
const META_LIMIT = 1024 * 1024; // long names and pax records

function cstring(b: Buffer, start: number, end: number): string {
  const s = b.subarray(start, end);
  const nul = s.indexOf(0);
  return (nul === -1 ? s : s.subarray(0, nul)).toString('utf8');
}

function octal(b: Buffer, start: number, end: number): number {
  if (b[start]! & 0x80) {
    // GNU base-256 for values beyond 8 GiB
    let v = 0;
    for (let i = start + 1; i < end; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = cstring(b, start, end).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return Number.NaN;
  return Number.parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = octal(h, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === stored;
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number.parseInt(body.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = body.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

export async function extractTar(
  source: AsyncIterable<Buffer>,
  writer: SafeWriter,
  what: string,
  log: Logger,
): Promise<number> {
  const r = new ByteReader(source);
  let entries = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  try {
    for (;;) {
      const h = await r.exact(BLOCK);
      if (h === null) break; // some writers omit the end blocks
      if (h.every((b) => b === 0)) break;
      if (!checksumOk(h)) throw invalidArchive(what, 'Failed to unpack archive file. The file format is not valid.');
      const type = String.fromCharCode(h[156]!);
      const size = pax['size'] !== undefined ? Number(pax['size']) : octal(h, 124, 136);
      if (!Number.isSafeInteger(size) || size < 0) throw invalidArchive(what, 'an entry has an invalid size');
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      const magic = h.subarray(257, 263).toString('latin1');
      const prefix = magic === 'ustar\0' ? cstring(h, 345, 500) : '';
      const baseName = cstring(h, 0, 100);
      const name = pax['path'] ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
      const linkName = pax['linkpath'] ?? longLink ?? cstring(h, 157, 257);
      const mode = octal(h, 100, 108) || 0o644;

      if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
        if (size > META_LIMIT) throw invalidArchive(what, `a ${type} header of ${size} bytes`);
        const body = (await r.exact(padded)) ?? Buffer.alloc(0);
        const data = body.subarray(0, size);
        if (type === 'L') longName = cstring(data, 0, data.length);
        else if (type === 'K') longLink = cstring(data, 0, data.length);
        else if (type === 'x') pax = { ...pax, ...parsePax(data) };
        continue; // 'g' (global pax) carries nothing inferd uses
      }
      longName = undefined;
      longLink = undefined;
      pax = {};
      entries++;

      switch (type) {
        case '0':
        case '\0':
        case '7': {
          writer.precheck(size); // an honest header announcing a bomb is refused before a byte is written
          const sink = await writer.file(name, mode);
          try {
            await r.stream(size, (chunk) => sink.write(chunk));
          } catch (err) {
            await sink.abort();
            throw err;
          }
          await sink.close();
          await r.skip(padded - size);
          break;
        }
        case '5':
          await writer.mkdir(name);
          await r.skip(padded);
          break;
        case '2':
          await writer.symlink(name, linkName);
          await r.skip(padded);
          break;
        case '1':
          await writer.hardlink(name, linkName);
          await r.skip(padded);
          break;
        default:
          // devices, fifos, volume labels: never useful in a model, never created
          log.warn('storage: skipping special archive entry', { archive: what, entry: name, type });
          await r.skip(padded);
      }
    }
  } catch (err) {
    if (err instanceof TruncatedError) throw invalidArchive(what, 'the archive is truncated');
    throw err;
  } finally {
    await r.close().catch(() => {});
  }
  return entries;
}
