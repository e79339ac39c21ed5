// What is around the pickle in a .joblib/.pkl file: joblib compresses the whole stream (zlib for `compress=3`,
// or gzip/bz2/xz/lzma/lz4 when asked) and recognises the compressor by the file's first bytes, as we do here.
// zlib and gzip are decompressed with node:zlib; the others would need extra native code, so they are refused
// with a message that says how to re-save the model.

import { InferdError } from '../../../errors.js';

/** Uncompressed models larger than this are refused rather than exhausting memory (a zip bomb, say). */
export const MAX_UNCOMPRESSED_MODEL_BYTES = 1024 * 1024 * 1024; // 1 GiB

const UNSUPPORTED_PREFIXES: ReadonlyArray<[string, number[]]> = [
  ['bz2', [0x42, 0x5a]], // 'BZ'
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a]],
  ['lzma', [0x5d, 0x00]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/**
 * The pickle stream inside a joblib or pickle file's bytes. node:zlib is imported only for a compressed file: it
 * costs each thread that loads it ~190 KiB of heap, and most model files are not compressed.
 */
export async function pickleStreamOf(file: Uint8Array, fileName: string): Promise<Uint8Array> {
  if (file.length === 0) throw loadFailed(`${fileName} is empty`);
  const zlibStream = file[0] === 0x78;
  const gzipStream = startsWith(file, [0x1f, 0x8b]);
  if (zlibStream || gzipStream) {
    const { gunzipSync, inflateSync } = await import('node:zlib');
    try {
      const options = { maxOutputLength: MAX_UNCOMPRESSED_MODEL_BYTES };
      return zlibStream ? inflateSync(file, options) : gunzipSync(file, options);
    } catch (cause) {
      const what = zlibStream ? 'zlib' : 'gzip';
      const detail =
        cause instanceof RangeError ? `it inflates past ${MAX_UNCOMPRESSED_MODEL_BYTES} bytes` : String(cause);
      throw loadFailed(`${fileName} looks ${what}-compressed but cannot be decompressed: ${detail}`, cause);
    }
  }
  for (const [name, prefix] of UNSUPPORTED_PREFIXES) {
    if (startsWith(file, prefix)) {
      throw loadFailed(
        `${fileName} is ${name}-compressed, which the native sklearn runtime cannot read; ` +
          `re-save it with joblib.dump(model, path, compress=3) (zlib) or without compression`,
      );
    }
  }
  if (startsWith(file, [0x5a, 0x46])) {
    throw loadFailed(`${fileName} was written by joblib < 0.10 (zfile format); re-save it with a current joblib`);
  }
  return file;
}

function loadFailed(message: string, cause?: unknown): InferdError {
  return new InferdError('MODEL_LOAD_FAILED', message, { reason: 'ModelLoadFailed', ...(cause ? { cause } : {}) });
}
