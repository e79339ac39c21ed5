// Request bodies with `Content-Encoding` (Triton's clients compress with gzip or deflate when asked). The
// decoded size is bounded by the same limit as the body itself, so a small compressed bomb is a 413,
// not a replica out of memory. Any other coding is a 415.

import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { InferdError } from '../errors.js';
import { tooLarge } from './body-reader.js';

type Decode = (buf: Buffer, opts: { maxOutputLength: number }) => Promise<Buffer>;
// node:zlib loads with the first encoded body (most bodies are not; a packed model's thread saves its RSS).
const require = createRequire(import.meta.url);
let codecs: { gunzip: Decode; inflate: Decode } | undefined;
const zlibCodecs = () => {
  if (!codecs) {
    const zlib = require('node:zlib') as typeof import('node:zlib');
    codecs = { gunzip: promisify(zlib.gunzip) as Decode, inflate: promisify(zlib.inflate) as Decode };
  }
  return codecs;
};

/** The body decoded per its Content-Encoding: the same Buffer for identity, else a promise. */
export function decodeContent(encoding: string, body: Buffer, limitBytes: number): Buffer | Promise<Buffer> {
  const coding = encoding.trim().toLowerCase();
  if (coding === '' || coding === 'identity') return body;
  const decode =
    coding === 'gzip' || coding === 'x-gzip'
      ? zlibCodecs().gunzip
      : coding === 'deflate'
        ? zlibCodecs().inflate
        : undefined;
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
