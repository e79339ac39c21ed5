// Request bodies with `Content-Encoding` (Triton's clients compress with gzip or deflate when asked). The
// decoded size is bounded by the same limit as the body itself, so a small compressed bomb is a 413,
// not a replica out of memory. Any other coding is a 415.

import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { InferdError } from '../errors.js';
import { tooLarge } from './body-reader.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

/** The body decoded per its Content-Encoding: the same Buffer for identity, else a promise. */
export function decodeContent(encoding: string, body: Buffer, limitBytes: number): Buffer | Promise<Buffer> {
  const coding = encoding.trim().toLowerCase();
  if (coding === '' || coding === 'identity') return body;
  const decode = coding === 'gzip' || coding === 'x-gzip' ? gunzip : coding === 'deflate' ? inflate : undefined;
  if (!decode) {
    return Promise.reject(
      new InferdError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding '${encoding}' is not supported; send the body uncompressed or with gzip or deflate`,
      ),
    );
  }
  return decode(body, { maxOutputLength: limitBytes }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limitBytes);
    throw new InferdError('INVALID_INPUT', `the body is not valid ${coding} data: ${err.message}`);
  });
}
