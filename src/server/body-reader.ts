// Reads a request body into one Buffer with a byte limit (KServe has none; a replica must not buffer
// without bound). Callback style: this sits on every predict request and a promise per body costs.

import type { IncomingMessage } from 'node:http';
import { InferdError } from '../errors.js';

/** The binary extension's request header, lower-case as Node gives it (one place: the V2 handlers load lazily). */
export const INFERENCE_HEADER = 'inference-header-content-length';

export type BodyCallback = (err: InferdError | null, body: Buffer) => void;

const EMPTY = Buffer.alloc(0);

export function tooLarge(limitBytes: number): InferdError {
  return new InferdError('PAYLOAD_TOO_LARGE', `Request body exceeds the limit of ${limitBytes} bytes.`, {
    limitBytes,
  });
}

/**
 * Calls `done` once with the whole body, or with PAYLOAD_TOO_LARGE as soon as the declared or received
 * length passes `limitBytes` (the rest is left unread; the caller answers with `connection: close`).
 * A client that goes away mid-body never gets a callback: there is nobody to answer.
 *
 * A binary-extension body (`inference-header-content-length`, no content-encoding, declared length) is read
 * straight into one buffer placed so that its tensor bytes, right after the JSON header, start 8-byte aligned:
 * typed arrays then view them without a copy (rest/v2-binary.ts), and there is no chunk list to concat.
 */
export function readBody(req: IncomingMessage, limitBytes: number, done: BodyCallback): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) {
    done(tooLarge(limitBytes), EMPTY);
    return;
  }
  const jsonLength = req.headers[INFERENCE_HEADER];
  if (declared !== undefined && typeof jsonLength === 'string' && req.headers['content-encoding'] === undefined) {
    const length = Number(declared);
    const alignAt = Number(jsonLength);
    if (length > 0 && Number.isSafeInteger(length) && Number.isSafeInteger(alignAt) && alignAt >= 0) {
      readAligned(req, length, alignAt, done);
      return;
    }
  }
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  let finished = false;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limitBytes) {
      finished = true;
      req.off('data', onData);
      req.pause();
      done(tooLarge(limitBytes), EMPTY);
      return;
    }
    if (first === undefined) first = chunk;
    else if (chunks === undefined) chunks = [first, chunk];
    else chunks.push(chunk);
  };
  req.on('data', onData);
  req.on('end', () => {
    if (finished) return;
    finished = true;
    done(null, chunks ? Buffer.concat(chunks, size) : (first ?? EMPTY));
  });
}

/** The body of a declared `length` into one buffer whose byte `alignAt` (mod 8) is 8-byte aligned. */
function readAligned(req: IncomingMessage, length: number, alignAt: number, done: BodyCallback): void {
  const pad = (8 - (alignAt % 8)) % 8;
  // Unpooled, so byteOffset 0 of its own ArrayBuffer: `pad` puts byte `alignAt` on an 8-byte boundary. The
  // length was checked against the limit; uninitialised, so the OS commits its pages only as bytes arrive.
  const body = Buffer.allocUnsafeSlow(pad + length).subarray(pad);
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    // Node's parser stops a content-length body at its length; more would be a parser bug, not a client's.
    chunk.copy(body, size);
    size += chunk.length;
  });
  req.on('end', () => done(null, size === length ? body : body.subarray(0, size)));
}
