// A replica's HTTP/1.1 response head, parsed without side effects: where the head ends (findHeadEnd), the
// status line and header fields (parseResponseHead), and how the body is framed (bodyFraming). Strict where
// the framing is at stake (RFC 9112 §6.3): a content-length that is not digits, differing duplicates, or
// obsolete line folding make the answer unreadable (the gateway answers 502) rather than guessed at.

import { HOP_BY_HOP } from './request-head.js';

const CRLF2 = Buffer.from('\r\n\r\n');

export interface ResponseHead {
  status: number;
  /** The reason phrase as sent ('' when none). */
  reason: string;
  /** The forwarded header fields, name and value alternating, minus hop-by-hop ones. */
  headers: string[];
  /** The forwarded header lines as the replica wrote them, each ending in CRLF ('' for a streamed answer). */
  lines: string;
  /** The content-length; -1 when none (or when Transfer-Encoding overrides it). */
  length: number;
  /** The last transfer coding is chunked. */
  chunked: boolean;
  /** The connection may carry another exchange (HTTP/1.1 default, `Connection: close/keep-alive`, framing). */
  keep: boolean;
}

export interface HeadError {
  error: string;
}

/** How an answer's body ends: no body, after `length` bytes, at the last chunk, or when the socket closes. */
export type Framing = 'none' | 'length' | 'chunked' | 'close';

/**
 * Where the head in `b` ends (the index of its CRLFCRLF), searching from `from`; -1 when more bytes are
 * needed; -2 when the head is (or already grew) larger than `maxBytes`.
 */
export function findHeadEnd(b: Buffer, from: number, maxBytes: number): number {
  const end = b.indexOf(CRLF2, from);
  if (end < 0) return b.length > maxBytes ? -2 : -1;
  return end + 4 > maxBytes ? -2 : end;
}

/** The status line and header fields of `text` (the head without its final CRLFCRLF), or why not. */
export function parseResponseHead(text: string): ResponseHead | HeadError {
  // "HTTP/1.x SSS reason"
  if (!text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 32) return { error: 'not an HTTP/1.x status line' };
  const minor = text.charCodeAt(7) - 48;
  if (minor < 0 || minor > 9) return { error: 'not an HTTP/1.x status line' };
  const status = Number(text.slice(9, 12));
  if (!Number.isInteger(status) || status < 100 || status > 999) return { error: 'bad status code' };
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  if (eol > 12 && text.charCodeAt(12) !== 32) return { error: 'bad status code' };
  if (status === 101) return { error: '101 Switching Protocols, but no upgrade was asked for' };
  const reason = eol > 13 ? text.slice(13, eol) : '';
  const headers: string[] = [];
  let lines = '';
  let length = -1;
  let chunked = false;
  let te = false;
  let keep = minor >= 1;
  let pos = eol + 2;
  while (pos < text.length) {
    let end = text.indexOf('\r\n', pos);
    if (end < 0) end = text.length;
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) return { error: 'obsolete line folding' };
    const colon = text.indexOf(':', pos);
    if (colon <= pos || colon > end) return { error: 'a header line without a name and colon' };
    const name = text.slice(pos, colon);
    const value = text.slice(colon + 1, end).trim();
    const lineStart = pos;
    pos = end + 2;
    const n = name.length;
    if (n === 14 || n === 17 || n === 10 || n === 2 || n === 7 || n === 16) {
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) return { error: 'bad content-length' };
        const v = Number(value);
        if (length >= 0 && length !== v) return { error: 'differing content-length values' };
        length = v;
      } else if (lower === 'transfer-encoding') {
        te = true;
        chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
        continue;
      } else if (lower === 'connection') {
        const v = value.toLowerCase();
        if (/(?:^|,)\s*close\s*(?:,|$)/.test(v)) keep = false;
        else if (/(?:^|,)\s*keep-alive\s*(?:,|$)/.test(v)) keep = true;
        continue;
      } else if (HOP_BY_HOP.has(lower)) continue;
    }
    headers.push(name, value);
    lines += text.slice(lineStart, end) + '\r\n';
  }
  if (te) {
    // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3); the length is not forwarded.
    if (length >= 0) {
      for (let i = 0; i < headers.length; i += 2) {
        if (headers[i]!.length === 14 && headers[i]!.toLowerCase() === 'content-length') {
          headers.splice(i, 2);
          i -= 2;
        }
      }
    }
    length = -1;
    if (!chunked) keep = false;
    lines = ''; // never written directly: streamed
  }
  return { status, reason, headers, lines, length, chunked, keep };
}

/**
 * How the body of a final (≥ 200) answer is framed. HEAD answers, 204 and 304 have none (RFC 9112 §6.3),
 * whatever their headers say; a close-delimited body means the connection cannot be reused.
 */
export function bodyFraming(head: ResponseHead, isHead: boolean): Framing {
  if (isHead || head.status === 204 || head.status === 304) return 'none';
  if (head.chunked) return 'chunked';
  if (head.length >= 0) return 'length';
  return 'close';
}
