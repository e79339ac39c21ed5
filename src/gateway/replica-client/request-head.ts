// The request head sent to a replica: `METHOD path HTTP/1.1` and the client's headers minus hop-by-hop ones
// (RFC 9110 §7.6.1), including those the client's `Connection` names.

import type { IncomingMessage } from 'node:http';

// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded.
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/** True for a hop-by-hop header name in any case, without lower-casing the common (other) names. */
export function isHopByHop(name: string): boolean {
  const n = name.length;
  if (n !== 2 && n !== 7 && n !== 10 && n !== 16 && n !== 17) return false;
  return HOP_BY_HOP.has(name.toLowerCase());
}

export const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** Characters no request target may carry on the wire (llhttp refuses them anyway; checked, not assumed). */
export const BAD_TARGET = /[\x00-\x20\x7f]/;

/** `METHOD path HTTP/1.1`, the client's headers minus hop-by-hop ones (and those its Connection names). */
export function requestHead(req: IncomingMessage, method: string, path: string, port: number): string {
  let head = method + ' ' + path + ' HTTP/1.1\r\n';
  const raw = req.rawHeaders;
  const named = connectionNamed(req.headers.connection);
  let host = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (isHopByHop(name)) continue;
    if (named?.has(name.toLowerCase())) continue;
    if (name.length === 4 && !host && name.toLowerCase() === 'host') host = true;
    head += name + ': ' + raw[i + 1] + '\r\n';
  }
  // HTTP/1.0 clients may send no Host; the replica (HTTP/1.1) requires one.
  if (!host) head += 'host: 127.0.0.1:' + port + '\r\n';
  return head + '\r\n';
}

/** Extra header names a client's `Connection` lists (RFC 9110 §7.6.1); undefined in the usual case. */
function connectionNamed(value: string | undefined): Set<string> | undefined {
  if (value === undefined || value.length === 0) return undefined;
  const v = value.toLowerCase();
  if (v === 'keep-alive' || v === 'close') return undefined;
  const out = new Set<string>();
  for (const t of v.split(',')) {
    const name = t.trim();
    if (name && name !== 'keep-alive' && name !== 'close') out.add(name);
  }
  return out.size > 0 ? out : undefined;
}
