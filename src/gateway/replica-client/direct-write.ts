// The direct-write shortcut: a whole small answer goes onto a keep-alive HTTP/1.1 client's socket in one
// write, as the replica framed it, instead of through `writeHead` + `end`. It relies on Node-private fields of
// ServerResponse (`_header`, `_headerSent`, `_keepAliveTimeout`, `_maxRequestsPerSocket`, the socket's
// `_httpMessage`), so a self-check runs once at start-up (directWriteAvailable) and the proxy falls back to
// writeHead + end when Node's internals are not as expected.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';

type Internals = ServerResponse & {
  _header: string | null;
  _headerSent: boolean;
  _keepAliveTimeout?: number;
  _maxRequestsPerSocket?: number;
};

/** What a header value or reason phrase may hold on the wire (Node's checkInvalidHeaderChar, plus no CR/LF). */
const INVALID_HEAD_CHAR = /[^\t\x20-\x7e\x80-\xff\r\n]|\r(?!\n)|(?<!\r)\n/;

/**
 * Writes a whole small answer straight onto the client's socket: the status line, the replica's header lines
 * minus hop-by-hop ones, the keep-alive lines Node would add, and the body, as one latin1 write; then ends
 * `res` without letting it write anything, so the server's per-response bookkeeping (finish, keep-alive,
 * the next pipelined request) runs as usual. Only for the common case: an HTTP/1.1 keep-alive client whose
 * socket this response owns right now, nothing written yet, not HEAD. Returns false to use writeHead + end.
 */
export function writeDirect(
  res: ServerResponse,
  req: IncomingMessage,
  status: number,
  reason: string,
  lines: string,
  body: Buffer,
): boolean {
  const r = res as Internals;
  const socket = res.socket;
  if (
    socket === null ||
    (socket as { _httpMessage?: unknown })._httpMessage !== res ||
    r._header !== null ||
    !res.shouldKeepAlive ||
    req.httpVersionMinor !== 1 ||
    req.method === 'HEAD' ||
    status < 200 ||
    status === 204 ||
    status === 304 ||
    r._maxRequestsPerSocket ||
    !socket.writable
  ) {
    return false;
  }
  const phrase = reason.length > 0 ? reason : (http.STATUS_CODES[status] ?? 'unknown');
  const timeout = r._keepAliveTimeout ? Math.floor(r._keepAliveTimeout / 1000) : 0;
  const head =
    'HTTP/1.1 ' +
    status +
    ' ' +
    phrase +
    '\r\n' +
    lines +
    (timeout > 0
      ? 'Connection: keep-alive\r\nKeep-Alive: timeout=' + timeout + '\r\n\r\n'
      : 'Connection: keep-alive\r\n\r\n');
  if (INVALID_HEAD_CHAR.test(head)) return false;
  r._header = head;
  r._headerSent = true;
  res.statusCode = status;
  socket.write(body.length > 0 ? head + body.toString('latin1') : head, 'latin1');
  res.end();
  return true;
}

/**
 * True when a ServerResponse built the way Node's server builds one has the private fields writeDirect
 * relies on, with the meaning it relies on: `_header` null and `_headerSent` false before anything was
 * written, `assignSocket` links the socket back through `_httpMessage`, and a set `_header` reads as
 * `headersSent` (so `end()` writes no head of its own). Never throws.
 */
export function directWriteSelfCheck(): boolean {
  const socket = new net.Socket();
  try {
    const req = new http.IncomingMessage(socket);
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.method = 'GET';
    const res = new http.ServerResponse(req) as Internals;
    if (res._header !== null || res._headerSent !== false) return false;
    if (typeof res.shouldKeepAlive !== 'boolean' || res.headersSent !== false) return false;
    res.assignSocket(socket);
    const linked = (socket as { _httpMessage?: unknown })._httpMessage === res && res.socket === socket;
    res._header = 'HTTP/1.1 200 OK\r\n\r\n';
    const sent = res.headersSent;
    res._header = null;
    res.detachSocket(socket);
    return linked && sent;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

let available: boolean | undefined;

/** The self-check's answer, computed once per process. */
export function directWriteAvailable(): boolean {
  available ??= directWriteSelfCheck();
  return available;
}

/** @internal Runs the self-check again (tests that change what Node looks like). */
export function recheckDirectWrite(): boolean {
  available = directWriteSelfCheck();
  return available;
}
