// Writes responses the way uvicorn does for KServe: lower-case `date`, `server`, `content-length`,
// `content-type`, in that order, compact JSON. Node adds its own hop-by-hop `Connection`/`Keep-Alive`
// after them (docs/compatibility.md). The date string is rebuilt once a second, not per response.

import type { ServerResponse } from 'node:http';
import { ERROR_TABLE, type InferdError } from '../errors.js';

export const JSON_TYPE = 'application/json';
export const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const SERVER_NAME = 'inferd';

export interface Responder {
  /** Sends `body` (already JSON text) with `content-type: application/json`. */
  json(res: ServerResponse, status: number, body: string, extraHeaders?: readonly string[]): void;
  /** Sends a body with any content type. */
  send(res: ServerResponse, status: number, contentType: string | null, body: string, extra?: readonly string[]): void;
  /**
   * Sends a binary-extension body: `header` (JSON text) then `buffers`, with
   * `inference-header-content-length` and `content-type: application/octet-stream`. Buffers are written
   * as they are (no copy into one body).
   */
  binary(res: ServerResponse, status: number, header: string, buffers: readonly Buffer[]): void;
}

export const OCTET_STREAM_TYPE = 'application/octet-stream';

/** `{"error":"..."}`: KServe's error body. */
export function errorBody(message: string): string {
  return `{"error":${JSON.stringify(message)}}`;
}

/** KServe's `{"error": message}` with the status from the one error table. */
export function sendInferdError(r: Responder, res: ServerResponse, err: InferdError): void {
  r.json(res, ERROR_TABLE[err.code].http, errorBody(err.message));
}

/** Sees every answer's status, content type and body parts (the payload logger); set only when needed. */
export type SendObserver = (
  res: ServerResponse,
  status: number,
  contentType: string | null,
  body: readonly (string | Buffer)[],
) => void;

/**
 * @param isClosing true once the server stops accepting: answers then carry `connection: close` so
 *   keep-alive clients move to another replica instead of waiting on this one.
 * @param observe called after each answer is written (none by default: no cost on the hot path).
 */
export function createResponder(isClosing: () => boolean, observe?: SendObserver): Responder {
  let second = 0;
  let date = '';
  const httpDate = () => {
    const now = Date.now();
    const s = Math.floor(now / 1000);
    if (s !== second) {
      second = s;
      date = new Date(now).toUTCString();
    }
    return date;
  };
  const send: Responder['send'] = (res, status, contentType, body, extra) => {
    // A request already answered (its timeout fired first) keeps that answer.
    if (res.headersSent) return;
    const headers = ['date', httpDate(), 'server', SERVER_NAME];
    if (extra) for (const h of extra) headers.push(h);
    headers.push('content-length', String(Buffer.byteLength(body)));
    if (contentType !== null) headers.push('content-type', contentType);
    if (isClosing()) headers.push('connection', 'close');
    res.sendDate = false;
    res.writeHead(status, headers);
    res.end(body);
    if (observe) observe(res, status, contentType, [body]);
  };
  const binary: Responder['binary'] = (res, status, header, buffers) => {
    if (res.headersSent) return;
    const headerBytes = Buffer.byteLength(header);
    let length = headerBytes;
    for (const b of buffers) length += b.length;
    const headers = ['date', httpDate(), 'server', SERVER_NAME, 'inference-header-content-length', String(headerBytes)];
    headers.push('content-length', String(length), 'content-type', OCTET_STREAM_TYPE);
    if (isClosing()) headers.push('connection', 'close');
    res.sendDate = false;
    res.writeHead(status, headers);
    res.cork();
    res.write(header);
    for (let i = 0; i < buffers.length - 1; i++) res.write(buffers[i]!);
    if (buffers.length > 0) res.end(buffers[buffers.length - 1]);
    else res.end();
    res.uncork();
    if (observe) observe(res, status, OCTET_STREAM_TYPE, [header, ...buffers]);
  };
  return {
    send,
    binary,
    json: (res, status, body, extra) => send(res, status, JSON_TYPE, body, extra),
  };
}
