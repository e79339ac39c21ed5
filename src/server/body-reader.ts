// Reads a request body into one Buffer with a byte limit (KServe has none; a replica must not buffer
// without bound). Callback style: this sits on every predict request and a promise per body costs.

import type { IncomingMessage } from 'node:http';
import { InferdError } from '../errors.js';

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
 */
export function readBody(req: IncomingMessage, limitBytes: number, done: BodyCallback): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) {
    done(tooLarge(limitBytes), EMPTY);
    return;
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
