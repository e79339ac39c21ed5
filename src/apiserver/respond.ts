// Writing control-API responses: JSON bodies with content-length, Status bodies for errors.

import type { ServerResponse } from 'node:http';

/** Sends `body` as JSON with the given status code (a no-op if the response already started). */
export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}

/** Sends a plain-text body (`/healthz`). */
export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-cache, private',
  });
  res.end(text);
}
