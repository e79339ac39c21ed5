// Small JSON answers the gateway makes itself (404, 503, 502), KServe-shaped: `{"error":"..."}`.

import type { ServerResponse } from 'node:http';

export function replyJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function replyError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string | number> = {},
): void {
  replyJson(res, status, { error: message }, headers);
}
