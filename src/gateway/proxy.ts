// Forwards one request to a replica on loopback. The hot path is a small HTTP/1.1 client of its own: per
// replica port a bounded pool of keep-alive `net.Socket`s (no Nagle delay); the request head (method, path,
// the client's headers minus hop-by-hop ones) and a body of known length leave in one write; the answer is
// framed by its `content-length` with a compact parser (chunked and close-delimited answers are streamed);
// a small whole answer goes onto a keep-alive HTTP/1.1 client's socket in one write as the replica framed it
// (`writeDirect`), anything else through `writeHead` + `end`. Node's `http.request` + `pipe()` costs 1.6–2.5×
// more CPU per request on this path (docs/benchmarks.md, "Proxy hop experiment"), which is why it is not
// used there.
//
// Requests the compact client does not take go through `http.request` as before: chunked uploads that grow
// past requestBufferBytes, `Expect: 100-continue`, `Upgrade`, anything not HTTP/1.x.
//
// Request bodies (issue 10): up to requestBufferBytes (1 MiB) they are read whole before a replica socket is
// taken (nginx's `proxy_request_buffering`), within bodyTimeoutMs, else 408; larger ones stream at no less
// than minBodyBytesPerSec. Over maxBodyBytes: 413 before the replica sees a byte. Refusals close the
// connection with a lingering close (lingering-close.ts) so the client reads them.
//
// Failures: a replica that cannot be reached, closes the socket before answering, or answers something
// the parser refuses gets a 502 JSON answer (once the answer's head has gone to the client, the client's
// connection is cut instead). A request is sent again once, on a fresh or other socket, only when no byte
// of an answer came back and either the method is idempotent or nothing reached the replica (the connect
// failed). A client that goes away destroys the upstream socket, so the replica sees the disconnect.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { ChunkedBodyError, ChunkedDecoder } from './chunked.js';
import { replyError } from './json-reply.js';
import { lingerBeforeClose } from './lingering-close.js';

// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/** True for a hop-by-hop header name in any case, without lower-casing the common (other) names. */
function isHopByHop(name: string): boolean {
  const n = name.length;
  if (n !== 2 && n !== 7 && n !== 10 && n !== 16 && n !== 17) return false;
  return HOP_BY_HOP.has(name.toLowerCase());
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** Characters no request target may carry on the wire (llhttp refuses them anyway; checked, not assumed). */
const BAD_TARGET = /[\x00-\x20\x7f]/;
const CRLF2 = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

export interface ReplicaProxyOptions {
  /** Open sockets per replica port (busy + idle); requests beyond wait in a queue. Default 256. */
  maxSocketsPerPort?: number;
  /** Idle keep-alive sockets kept per port. Default 64. */
  maxIdlePerPort?: number;
  /** Requests waiting for a socket per port before the gateway answers 503. Default 4096. */
  maxQueuedPerPort?: number;
  /** An idle socket is closed after between this and half of it. Default 30 s (replicas keep 65 s). */
  idleTimeoutMs?: number;
  /** Connecting to a replica longer than this fails the request (502). Default 5 s. */
  connectTimeoutMs?: number;
  /** No complete answer this long after the request was sent → 504. Default 0: none (the replica's own
   * `spec.predictor.timeout` answers 504 itself). */
  responseTimeoutMs?: number;
  /** Request bodies up to this size are read whole before a replica socket is taken (nginx's
   * `proxy_request_buffering`), so a slow client never holds one; larger ones are streamed. Default 1 MiB. */
  requestBufferBytes?: number;
  /** Largest request body forwarded (`inferd serve --max-body-bytes`); larger ones get 413 from the gateway
   * before the replica sees a byte. Default 16 MiB (the replica's own JSON limit). */
  maxBodyBytes?: number;
  /** The same for binary-extension requests (`Inference-Header-Content-Length`). Default 128 MiB, or
   * maxBodyBytes when larger. */
  maxBinaryBodyBytes?: number;
  /** A buffered body must arrive whole within this; a streamed one must send at least minBodyBytesPerSec
   * over each such window. Otherwise 408 and the connection is closed. Default 30 s. */
  bodyTimeoutMs?: number;
  /** Slowest acceptable upload rate of a streamed (large) body, measured per bodyTimeoutMs window. Default 32 KiB/s. */
  minBodyBytesPerSec?: number;
  /** Answers up to this size are read whole and sent with one `end()`; larger ones are streamed. Default 256 KiB. */
  responseBufferBytes?: number;
  /** Largest response head accepted. Default 64 KiB. */
  maxResponseHeadBytes?: number;
  /** 'http' routes every request through `http.request` + `pipe()` (the old path; for A/B measurements). */
  transport?: 'pooled' | 'http';
  /** A whole answer for a keep-alive HTTP/1.1 client is written on the client's socket as the replica framed
   * it (hop-by-hop lines replaced), in one write, instead of through `writeHead` + `end`. Default true. */
  directWrite?: boolean;
}

type Required_<T> = { [K in keyof T]-?: T[K] };

const DEFAULTS: Required_<ReplicaProxyOptions> = {
  maxSocketsPerPort: 256,
  maxIdlePerPort: 64,
  maxQueuedPerPort: 4096,
  idleTimeoutMs: 30_000,
  connectTimeoutMs: 5_000,
  responseTimeoutMs: 0,
  requestBufferBytes: 1024 * 1024, // 1 MiB
  maxBodyBytes: 16 * 1024 * 1024, // 16 MiB
  maxBinaryBodyBytes: 128 * 1024 * 1024, // 128 MiB
  bodyTimeoutMs: 30_000,
  minBodyBytesPerSec: 32 * 1024,
  responseBufferBytes: 256 * 1024,
  maxResponseHeadBytes: 64 * 1024,
  transport: 'pooled',
  directWrite: true,
};

/** Small bodies go out as one latin1 string write (header + body in one buffer, no writev). */
const STRING_WRITE_MAX = 16 * 1024;

export interface ProxyStats {
  /** Sockets opened to replicas since start. */
  connects: number;
  /** Requests that went through the pooled client / through http.request. */
  pooled: number;
  fallback: number;
  /** Requests sent a second time after a socket failed before any answer. */
  retries: number;
  /** Open sockets per port (busy + idle), idle per port, queued per port. */
  ports: Record<number, { open: number; idle: number; queued: number }>;
}

export class ReplicaProxy {
  private readonly opts: Required_<ReplicaProxyOptions>;
  private readonly pools = new Map<number, Pool>();
  private agent: http.Agent | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly watches = new Set<BodyWatch>();
  private watchTimer: NodeJS.Timeout | undefined;
  /** @internal counters for tests and the bench */
  readonly counters = { connects: 0, pooled: 0, fallback: 0, retries: 0 };

  constructor(options: ReplicaProxyOptions = {}) {
    this.opts = { ...DEFAULTS };
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (this.opts as Record<string, unknown>)[k] = v;
  }

  forward(req: IncomingMessage, res: ServerResponse, port: number, path: string): void {
    const h = req.headers;
    const limit =
      h['inference-header-content-length'] === undefined
        ? this.opts.maxBodyBytes
        : Math.max(this.opts.maxBinaryBodyBytes, this.opts.maxBodyBytes);
    let length = 0;
    let badLength = false;
    const cl = h['content-length'];
    if (cl !== undefined) {
      length = Number(cl);
      badLength = !Number.isSafeInteger(length) || length < 0;
      if (!badLength && length > limit) {
        refuseBody(req, res, 413, tooLarge(length, limit));
        return;
      }
    }
    if (
      this.opts.transport !== 'pooled' ||
      badLength ||
      h.expect !== undefined ||
      h.upgrade !== undefined ||
      req.httpVersionMajor !== 1 ||
      BAD_TARGET.test(path)
    ) {
      this.forwardHttp(req, res, port, path, limit, undefined);
      return;
    }
    const method = req.method ?? 'GET';
    if (h['transfer-encoding'] !== undefined) {
      this.bufferChunked(req, res, port, path, method, limit);
      return;
    }
    this.counters.pooled++;
    const ex = new Exchange(this, req, res, port, requestHead(req, method, path, port), method);
    res.on('close', () => ex.clientClosed());
    if (length === 0) {
      ex.body = EMPTY;
      this.dispatch(ex);
    } else if (length <= this.opts.requestBufferBytes) {
      // Read whole before a replica socket is taken; a client too slow to send it gets 408 (bodyTimeoutMs).
      const parts: Buffer[] = [];
      let size = 0;
      const watch = this.watchBody(true, (why) => ex.bodyFailed(why));
      ex.watch = watch;
      req.on('data', (c: Buffer) => {
        parts.push(c);
        size += c.length;
        watch.bytes = size;
      });
      req.on('end', () => {
        this.unwatch(watch);
        ex.body = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
        if (!ex.done) this.dispatch(ex);
      });
    } else {
      // Streamed: the head goes as soon as a socket is free, the body follows as it arrives (at no less than
      // minBodyBytesPerSec). Paused until then (a held request was resumed by the gateway; a queued one must
      // not lose chunks meanwhile).
      req.pause();
      this.dispatch(ex);
    }
  }

  /**
   * A chunked upload: read whole up to requestBufferBytes and sent with a content-length like any buffered
   * body; one that grows past that is streamed through the fallback path with what was read so far.
   */
  private bufferChunked(
    req: IncomingMessage,
    res: ServerResponse,
    port: number,
    path: string,
    method: string,
    limit: number,
  ): void {
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const stop = () => {
      settled = true;
      this.unwatch(watch);
      req.off('data', onData);
      req.off('end', onEnd);
      res.off('close', onClose);
    };
    const watch = this.watchBody(true, (why) => {
      if (settled) return;
      stop();
      refuseBody(req, res, 408, why);
    });
    const onData = (c: Buffer) => {
      parts.push(c);
      size += c.length;
      watch.bytes = size;
      if (size > limit) {
        stop();
        refuseBody(req, res, 413, tooLarge(size, limit));
      } else if (size > this.opts.requestBufferBytes) {
        stop();
        req.pause();
        this.forwardHttp(req, res, port, path, limit, parts);
      }
    };
    const onEnd = () => {
      stop();
      this.counters.pooled++;
      const head = requestHead(req, method, path, port);
      const ex = new Exchange(this, req, res, port, `${head.slice(0, -2)}content-length: ${size}\r\n\r\n`, method);
      res.on('close', () => ex.clientClosed());
      ex.body = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      this.dispatch(ex);
    };
    const onClose = () => stop(); // the client went away before its body was whole
    req.on('data', onData);
    req.on('end', onEnd);
    res.on('close', onClose);
  }

  /** @internal Starts watching a request body's progress (see bodyTimeoutMs). */
  watchBody(whole: boolean, expire: (why: string) => void): BodyWatch {
    const w = new BodyWatch(whole, expire, Date.now());
    this.watches.add(w);
    if (this.watchTimer === undefined) {
      const ms = this.opts.bodyTimeoutMs;
      this.watchTimer = setInterval(() => this.sweepBodies(), Math.max(20, Math.min(1_000, Math.floor(ms / 4))));
      this.watchTimer.unref();
    }
    return w;
  }

  /** @internal */
  unwatch(w: BodyWatch): void {
    this.watches.delete(w);
  }

  /** Bodies too slow: a buffered one not whole within bodyTimeoutMs, a streamed one under the minimum rate. */
  private sweepBodies(): void {
    const now = Date.now();
    const ms = this.opts.bodyTimeoutMs;
    const rate = this.opts.minBodyBytesPerSec;
    for (const w of this.watches) {
      const elapsed = now - w.windowStart;
      if (elapsed < ms) continue;
      if (w.whole) {
        this.watches.delete(w);
        w.expire(`the request body did not arrive within ${ms} ms (${w.bytes} bytes received); send it faster`);
        continue;
      }
      const got = w.bytes - w.windowBytes;
      if (w.stalled || got >= (rate * elapsed) / 1000) {
        w.windowStart = now;
        w.windowBytes = w.bytes;
        continue;
      }
      this.watches.delete(w);
      w.expire(
        `the request body arrived at ${Math.round((got * 1000) / elapsed)} bytes/s, under the gateway's minimum of ${rate} bytes/s`,
      );
    }
  }

  /** Closes the idle sockets to `port` (a replica that moved to another port or stopped). */
  dropIdle(port: number): void {
    const pool = this.pools.get(port);
    if (!pool) return;
    for (const c of pool.idle.splice(0)) c.sock.destroy();
  }

  stats(): ProxyStats {
    const ports: ProxyStats['ports'] = {};
    for (const [port, p] of this.pools) ports[port] = { open: p.open, idle: p.idle.length, queued: p.queued() };
    return { ...this.counters, ports };
  }

  close(): void {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watches.clear();
    for (const pool of this.pools.values()) {
      for (const ex of pool.waiters) ex.fail(new Error('the gateway is shutting down'), false);
      pool.waiters.length = 0;
      for (const c of [...pool.all]) c.sock.destroy();
    }
    this.pools.clear();
    this.agent?.destroy();
  }

  /** @internal Finds a socket for `ex`: an idle one, a new one, or a place in the queue. */
  dispatch(ex: Exchange): void {
    if (this.closed) {
      ex.fail(new Error('the gateway is shutting down'), false);
      return;
    }
    let pool = this.pools.get(ex.port);
    if (!pool) {
      pool = new Pool(ex.port);
      this.pools.set(ex.port, pool);
      this.startSweeper();
    }
    const idle = pool.idle.pop();
    if (idle) {
      idle.start(ex);
      return;
    }
    if (pool.open < this.opts.maxSocketsPerPort) {
      this.connect(pool).start(ex);
      return;
    }
    if (pool.queued() >= this.opts.maxQueuedPerPort) {
      ex.reply(503, `too many requests waiting for the model server on port ${ex.port}`);
      return;
    }
    pool.waiters.push(ex);
  }

  /** @internal A socket finished an exchange and may be reused. */
  release(conn: Conn): void {
    const pool = conn.pool;
    if (this.closed || !conn.reusable()) {
      conn.sock.destroy();
      return;
    }
    const next = pool.nextWaiter();
    if (next) {
      conn.start(next);
      return;
    }
    if (pool.idle.length >= this.opts.maxIdlePerPort) {
      conn.sock.destroy();
      return;
    }
    pool.idle.push(conn);
  }

  /** @internal A socket closed: its slot may go to a waiting request. */
  closedConn(conn: Conn): void {
    const pool = conn.pool;
    pool.open--;
    pool.all.delete(conn);
    const i = pool.idle.indexOf(conn);
    if (i >= 0) pool.idle.splice(i, 1);
    if (this.closed) return;
    const next = pool.nextWaiter();
    if (next) this.connect(pool).start(next);
    else if (pool.open === 0 && this.pools.get(pool.port) === pool) this.pools.delete(pool.port);
  }

  /** @internal */
  get options(): Required_<ReplicaProxyOptions> {
    return this.opts;
  }

  private connect(pool: Pool): Conn {
    this.counters.connects++;
    pool.open++;
    const conn = new Conn(this, pool);
    pool.all.add(conn);
    return conn;
  }

  /** Closes sockets idle since the previous sweep: each idle socket lives between T/2 and T unused. */
  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(
      () => {
        for (const pool of this.pools.values()) {
          for (const c of [...pool.idle]) {
            if (c.sweepMark === c.served) c.sock.destroy();
            else c.sweepMark = c.served;
          }
        }
        if (this.pools.size === 0 && this.sweeper) {
          clearInterval(this.sweeper);
          this.sweeper = undefined;
        }
      },
      Math.max(1, Math.floor(this.opts.idleTimeoutMs / 2)),
    );
    this.sweeper.unref();
  }

  /** The old path, for what the pooled client does not take: http.request with bodies piped both ways. */
  private forwardHttp(
    req: IncomingMessage,
    res: ServerResponse,
    port: number,
    path: string,
    limit: number,
    prefix: Buffer[] | undefined,
  ): void {
    this.counters.fallback++;
    this.agent ??= new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, keepAliveMsecs: 10_000 });
    const headers: http.OutgoingHttpHeaders = {};
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (!HOP_BY_HOP.has(name)) headers[name] = raw[i + 1];
    }
    let upstream: http.ClientRequest;
    // Set once the gateway answered itself (413/408): the upstream's errors no longer reach the client.
    let refused = false;
    try {
      upstream = http.request(
        { host: '127.0.0.1', port, method: req.method, path, headers, agent: this.agent, setHost: false },
        (up) => {
          if (refused) {
            up.resume();
            return;
          }
          const out: http.OutgoingHttpHeaders = {};
          for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
          res.writeHead(up.statusCode ?? 502, out);
          up.pipe(res);
        },
      );
    } catch (err) {
      replyError(res, 400, `the request cannot be forwarded: ${(err as Error).message}`);
      req.resume();
      return;
    }
    upstream.on('socket', (s) => s.setNoDelay(true));
    upstream.on('error', (err) => {
      if (refused) return;
      if (!res.headersSent) replyError(res, 502, `the model server did not answer: ${err.message}`);
      else res.destroy(err);
    });
    const refuse = (status: number, why: string) => {
      if (refused) return;
      refused = true;
      this.unwatch(watch);
      upstream.destroy();
      if (res.headersSent) res.destroy();
      else refuseBody(req, res, status, why);
    };
    // The body is forwarded as it arrives, counted against the limit and the minimum rate.
    let size = 0;
    const watch = this.watchBody(false, (why) => refuse(408, why));
    for (const p of prefix ?? []) {
      upstream.write(p);
      size += p.length;
    }
    watch.bytes = size;
    watch.windowBytes = size;
    // A client that goes away cancels the upstream request.
    res.on('close', () => {
      this.unwatch(watch);
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.on('drain', () => {
      watch.stalled = false;
      req.resume();
    });
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      watch.bytes = size;
      if (size > limit) refuse(413, tooLarge(size, limit));
      else if (!upstream.write(c)) {
        watch.stalled = true; // the replica reads slower: not the client's fault
        req.pause();
      }
    });
    req.on('end', () => {
      this.unwatch(watch);
      if (!refused) upstream.end();
    });
    req.resume();
  }
}

/** 413's message: what was sent and the limit, and how to raise it. */
function tooLarge(size: number, limit: number): string {
  return `the request body (${size} bytes or more) is larger than the gateway's limit of ${limit} bytes (inferd serve --max-body-bytes)`;
}

/**
 * Answers a request whose body the gateway will not forward (413, 408) and closes the connection
 * gracefully (lingering-close.ts), so the client reads the answer instead of a reset.
 */
function refuseBody(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  lingerBeforeClose(req.socket);
  if (res.headersSent) res.destroy();
  else replyError(res, status, message, { connection: 'close' });
  req.resume();
}

/** A request body's progress, checked by ReplicaProxy's sweep. */
class BodyWatch {
  bytes = 0;
  /** `bytes` when the current window started. */
  windowBytes = 0;
  windowStart: number;
  /** The replica is not reading (back-pressure): the window does not count against the client. */
  stalled = false;
  constructor(
    /** Buffered: must be whole within one window; streamed: at least the minimum rate over each window. */
    readonly whole: boolean,
    readonly expire: (why: string) => void,
    now: number,
  ) {
    this.windowStart = now;
  }
}

/** `METHOD path HTTP/1.1`, the client's headers minus hop-by-hop ones (and those its Connection names). */
function requestHead(req: IncomingMessage, method: string, path: string, port: number): string {
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

/** What a header value or reason phrase may hold on the wire (Node's checkInvalidHeaderChar, plus no CR/LF). */
const INVALID_HEAD_CHAR = /[^\t\x20-\x7e\x80-\xff\r\n]|\r(?!\n)|(?<!\r)\n/;

/**
 * Writes a whole small answer straight onto the client's socket: the status line, the replica's header lines
 * minus hop-by-hop ones, the keep-alive lines Node would add, and the body, as one latin1 write; then ends
 * `res` without letting it write anything, so the server's per-response bookkeeping (finish, keep-alive,
 * the next pipelined request) runs as usual. Only for the common case: an HTTP/1.1 keep-alive client whose
 * socket this response owns right now, nothing written yet, not HEAD. Returns false to use writeHead + end.
 */
function writeDirect(
  res: ServerResponse,
  req: IncomingMessage,
  status: number,
  reason: string,
  lines: string,
  body: Buffer,
): boolean {
  const r = res as ServerResponse & {
    _header: string | null;
    _headerSent: boolean;
    _keepAliveTimeout?: number;
    _maxRequestsPerSocket?: number;
  };
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

class Pool {
  readonly idle: Conn[] = [];
  readonly all = new Set<Conn>();
  readonly waiters: Exchange[] = [];
  private head = 0;
  open = 0;
  constructor(readonly port: number) {}

  queued(): number {
    return this.waiters.length - this.head;
  }

  nextWaiter(): Exchange | undefined {
    while (this.head < this.waiters.length) {
      const ex = this.waiters[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters.splice(0, this.head);
        this.head = 0;
      }
      if (!ex.done) return ex;
    }
    this.waiters.length = 0;
    this.head = 0;
    return undefined;
  }
}

/** One client request on its way: what to send, and where the answer goes. */
class Exchange {
  /** The request body when read whole; undefined while it is streamed from the client. */
  body: Buffer | undefined;
  conn: Conn | undefined;
  /** Answered, failed, or the client went away: nothing more is sent to the client. */
  done = false;
  /** The answer's head went to the client (a streamed answer): failures now cut the connection. */
  streaming = false;
  retried = false;
  /** Response bytes read from the replica for this request. */
  received = 0;
  /** The whole request body was handed to the socket. */
  requestSent = false;
  /** The body's progress while it is read (see bodyTimeoutMs). */
  watch: BodyWatch | undefined;
  readonly isHead: boolean;
  private timer: NodeJS.Timeout | undefined;
  private onResDrain: (() => void) | undefined;

  constructor(
    readonly proxy: ReplicaProxy,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly port: number,
    readonly head: string,
    readonly method: string,
  ) {
    this.isHead = method === 'HEAD';
  }

  /** Writes the request to `conn`'s socket (called when the socket is assigned). */
  send(conn: Conn): void {
    this.conn = conn;
    this.received = 0;
    const timeout = this.proxy.options.responseTimeoutMs;
    if (timeout > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => this.timedOut(timeout), timeout);
      this.timer.unref();
    }
    const sock = conn.sock;
    const body = this.body;
    if (body !== undefined) {
      if (body.length === 0) sock.write(this.head, 'latin1');
      else if (body.length <= STRING_WRITE_MAX) sock.write(this.head + body.toString('latin1'), 'latin1');
      else {
        sock.cork();
        sock.write(this.head, 'latin1');
        sock.write(body);
        sock.uncork();
      }
      this.requestSent = true;
      return;
    }
    // Streamed body: the head now, then each chunk as the client sends it, with back-pressure both ways,
    // at no less than the minimum rate.
    sock.write(this.head, 'latin1');
    const req = this.req;
    if (this.watch) this.proxy.unwatch(this.watch); // a retry on another socket: a fresh window
    const watch = this.proxy.watchBody(false, (why) => this.bodyFailed(why));
    this.watch = watch;
    const onDrain = () => {
      watch.stalled = false;
      req.resume();
    };
    const onData = (c: Buffer) => {
      watch.bytes += c.length;
      if (!sock.write(c)) {
        watch.stalled = true; // the replica reads slower: not the client's fault
        req.pause();
      }
    };
    const onEnd = () => {
      this.requestSent = true;
      this.proxy.unwatch(watch);
    };
    sock.on('drain', onDrain);
    req.on('data', onData);
    req.on('end', onEnd);
    req.resume();
    conn.onDetach = () => {
      sock.off('drain', onDrain);
      req.off('data', onData);
      req.off('end', onEnd);
      req.resume(); // the rest of an unsent body is read and dropped
    };
  }

  /** The replica's whole answer, head and body. */
  deliver(status: number, reason: string, headers: string[], body: Buffer | Buffer[], lines: string): void {
    if (this.done) return;
    this.finish();
    const res = this.res;
    if (
      !Array.isArray(body) &&
      body.length <= STRING_WRITE_MAX &&
      this.proxy.options.directWrite &&
      writeDirect(res, this.req, status, reason, lines, body)
    ) {
      return;
    }
    try {
      if (reason.length > 0) res.writeHead(status, reason, headers);
      else res.writeHead(status, headers);
    } catch (err) {
      this.reply(502, `the model server's answer cannot be forwarded: ${(err as Error).message}`);
      return;
    }
    if (Array.isArray(body)) {
      const last = body.length - 1;
      for (let i = 0; i < last; i++) res.write(body[i]);
      if (last >= 0) res.end(body[last]);
      else res.end();
    } else if (body.length === 0) res.end();
    else if (body.length <= STRING_WRITE_MAX) res.end(body.toString('latin1'), 'latin1');
    else res.end(body);
  }

  /** A streamed answer: its head now, the body through `write` and `endStream`. False when not forwardable. */
  startStream(status: number, reason: string, headers: string[]): boolean {
    if (this.done) return true;
    try {
      if (reason.length > 0) this.res.writeHead(status, reason, headers);
      else this.res.writeHead(status, headers);
    } catch (err) {
      this.reply(502, `the model server's answer cannot be forwarded: ${(err as Error).message}`);
      return false;
    }
    this.streaming = true;
    return true;
  }

  write(chunk: Buffer): void {
    if (this.done || chunk.length === 0) return;
    if (!this.res.write(chunk) && this.onResDrain === undefined && this.conn) {
      // The client reads slower than the replica sends: stop reading the replica until it catches up.
      const sock = this.conn.sock;
      sock.pause();
      this.onResDrain = () => {
        this.onResDrain = undefined;
        sock.resume();
      };
      this.res.once('drain', this.onResDrain);
    }
  }

  /** Drops a wait for the client's 'drain' (the answer is over); the socket's reading is resumed by its Conn. */
  private stopWaitingForDrain(): void {
    if (this.onResDrain !== undefined) {
      this.res.off('drain', this.onResDrain);
      this.onResDrain = undefined;
    }
  }

  endStream(): void {
    if (this.done) return;
    this.finish();
    this.res.end();
  }

  /** The socket failed before the answer was complete. `nothingSent`: the connect itself was refused. */
  upstreamFailed(conn: Conn, err: Error, nothingSent: boolean): void {
    if (this.done) return;
    if (this.streaming) {
      this.finish();
      this.res.destroy(err);
      return;
    }
    if (
      !this.retried &&
      this.received === 0 &&
      this.body !== undefined &&
      (nothingSent || (conn.served > 0 && IDEMPOTENT.has(this.method)))
    ) {
      this.retried = true;
      this.conn = undefined;
      this.proxy.counters.retries++;
      this.proxy.dispatch(this);
      return;
    }
    this.fail(err, true);
  }

  fail(err: Error, fromReplica: boolean): void {
    if (this.done) return;
    if (this.streaming) {
      this.finish();
      this.res.destroy(err);
      return;
    }
    this.reply(502, fromReplica ? `the model server did not answer: ${err.message}` : err.message);
  }

  reply(status: number, message: string): void {
    if (this.done) return;
    this.finish();
    if (this.res.headersSent) this.res.destroy();
    else replyError(this.res, status, message);
    // A body not read yet is drained so the client's connection stays usable.
    if (this.body === undefined || !this.req.complete) this.req.resume();
  }

  /** The client sent its body too slowly: 408, and the replica (if it has the request) sees a disconnect. */
  bodyFailed(why: string): void {
    if (this.done) return;
    const conn = this.conn;
    this.finish();
    if (conn && conn.ex === this) conn.sock.destroy();
    refuseBody(this.req, this.res, 408, why);
  }

  /** The client's response closed: finished normally, or the client went away first. */
  clientClosed(): void {
    if (this.done) return;
    this.finish();
    const conn = this.conn;
    // The replica sees the disconnect (it drops queued work for it); the socket is not reused.
    if (conn && conn.ex === this) conn.sock.destroy();
  }

  private timedOut(ms: number): void {
    this.timer = undefined;
    if (this.done) return;
    const conn = this.conn;
    if (this.streaming) this.fail(new Error(`no complete answer after ${ms} ms`), true);
    else this.reply(504, `the model server did not answer within ${ms} ms`);
    if (conn && conn.ex === this) conn.sock.destroy();
  }

  private finish(): void {
    this.done = true;
    if (this.watch) this.proxy.unwatch(this.watch);
    this.stopWaitingForDrain();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

enum Mode {
  Idle,
  Head,
  /** content-length body, read whole */
  Fixed,
  /** content-length body, streamed */
  FixedStream,
  Chunked,
  /** no framing: the body ends when the replica closes the socket */
  Close,
}

/** One keep-alive socket to a replica and the parser for the answers on it. */
class Conn {
  readonly sock: net.Socket;
  ex: Exchange | undefined;
  /** Answers completed on this socket (a reused socket has served ≥ 1). */
  served = 0;
  sweepMark = -1;
  /** Called when the socket stops carrying the current exchange's request body. */
  onDetach: (() => void) | undefined;
  private connected = false;
  private connectTimedOut = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private error: Error | undefined;
  private mode = Mode.Idle;
  private pending: Buffer | undefined;
  private keep = true;
  private status = 0;
  private reason = '';
  private headers: string[] = [];
  /** The forwarded header lines as the replica wrote them, each ending in CRLF (for writeDirect). */
  private lines = '';
  private length = -1;
  private chunked = false;
  private remaining = 0;
  private parts: Buffer[] | undefined;
  private decoder: ChunkedDecoder | undefined;

  constructor(
    private readonly proxy: ReplicaProxy,
    readonly pool: Pool,
  ) {
    const sock = net.connect(pool.port, '127.0.0.1');
    this.sock = sock;
    sock.setNoDelay(true);
    const ms = proxy.options.connectTimeoutMs;
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      this.connectTimedOut = true;
      sock.destroy(new Error(`connect to 127.0.0.1:${pool.port} timed out after ${ms} ms`));
    }, ms);
    this.connectTimer.unref();
    sock.once('connect', () => {
      this.connected = true;
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    });
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', (err: Error) => {
      this.error ??= err;
    });
    sock.on('close', () => this.onClose());
  }

  reusable(): boolean {
    return this.keep && !this.sock.destroyed && this.sock.writable;
  }

  start(ex: Exchange): void {
    this.ex = ex;
    this.mode = Mode.Head;
    this.keep = true;
    this.pending = undefined;
    ex.send(this);
  }

  private onData(d: Buffer): void {
    const ex = this.ex;
    if (ex === undefined || this.mode === Mode.Idle) {
      this.sock.destroy(); // bytes nobody asked for: the socket's framing cannot be trusted
      return;
    }
    ex.received += d.length;
    try {
      this.consume(ex, d);
    } catch (err) {
      if (this.ex === ex) this.protocolError(ex, err instanceof ChunkedBodyError ? err.message : String(err));
      else ex.res.destroy(); // failed while handing a finished answer to the client; the socket is fine
    }
  }

  private consume(ex: Exchange, chunk: Buffer): void {
    let buf = chunk;
    for (;;) {
      switch (this.mode) {
        case Mode.Head: {
          let b = buf;
          let from = 0;
          if (this.pending !== undefined) {
            from = Math.max(0, this.pending.length - 3);
            b = Buffer.concat([this.pending, buf]);
            this.pending = undefined;
          }
          const end = b.indexOf(CRLF2, from);
          if (end < 0) {
            if (b.length > this.proxy.options.maxResponseHeadBytes) {
              this.protocolError(ex, 'response head too large');
              return;
            }
            this.pending = b;
            return;
          }
          if (!this.parseHead(b.toString('latin1', 0, end))) {
            this.protocolError(ex, 'malformed response head');
            return;
          }
          buf = b.subarray(end + 4);
          if (this.status < 200) {
            // 1xx informational answers (not asked for, but allowed): skipped. 101 was refused by parseHead.
            if (buf.length === 0) return;
            continue;
          }
          if (ex.isHead || this.status === 204 || this.status === 304) {
            if (buf.length > 0) this.keep = false;
            this.complete(ex, EMPTY);
            return;
          }
          if (this.chunked) {
            this.decoder ??= new ChunkedDecoder();
            if (!ex.startStream(this.status, this.reason, this.headers)) {
              this.sock.destroy();
              return;
            }
            this.mode = Mode.Chunked;
            if (buf.length === 0) return;
            continue;
          }
          const length = this.length;
          if (length >= 0) {
            if (buf.length >= length) {
              if (buf.length > length) this.keep = false;
              this.complete(ex, length === buf.length ? buf : buf.subarray(0, length));
              return;
            }
            this.remaining = length - buf.length;
            if (length <= this.proxy.options.responseBufferBytes) {
              this.mode = Mode.Fixed;
              this.parts = buf.length > 0 ? [buf] : [];
              return;
            }
            if (!ex.startStream(this.status, this.reason, this.headers)) {
              this.sock.destroy();
              return;
            }
            this.mode = Mode.FixedStream;
            ex.write(buf);
            return;
          }
          // Neither length nor chunked: the body runs to the end of the connection.
          this.keep = false;
          if (!ex.startStream(this.status, this.reason, this.headers)) {
            this.sock.destroy();
            return;
          }
          this.mode = Mode.Close;
          ex.write(buf);
          return;
        }
        case Mode.Fixed:
        case Mode.FixedStream: {
          const stream = this.mode === Mode.FixedStream;
          if (buf.length < this.remaining) {
            this.remaining -= buf.length;
            if (stream) ex.write(buf);
            else this.parts!.push(buf);
            return;
          }
          if (buf.length > this.remaining) this.keep = false;
          const tail = buf.length === this.remaining ? buf : buf.subarray(0, this.remaining);
          this.remaining = 0;
          if (stream) {
            ex.write(tail);
            this.completeStream(ex);
          } else {
            const parts = this.parts!;
            this.parts = undefined;
            if (tail.length > 0) parts.push(tail);
            this.complete(ex, parts);
          }
          return;
        }
        case Mode.Chunked: {
          const end = this.decoder!.push(buf, (slice) => ex.write(slice));
          if (end < 0) return;
          if (end < buf.length) this.keep = false;
          this.decoder = undefined;
          this.completeStream(ex);
          return;
        }
        case Mode.Close:
          ex.write(buf);
          return;
        case Mode.Idle:
          this.sock.destroy();
          return;
      }
    }
  }

  /** Status line and header fields; false when malformed. Sets status, reason, headers, length, chunked, keep. */
  private parseHead(text: string): boolean {
    // "HTTP/1.x SSS reason"
    if (!text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 32) return false;
    const minor = text.charCodeAt(7) - 48;
    const status = Number(text.slice(9, 12));
    if (!Number.isInteger(status) || status < 100 || status > 999) return false;
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    if (eol > 12 && text.charCodeAt(12) !== 32) return false;
    if (status === 101) return false; // no upgrade was asked for
    this.status = status;
    this.reason = eol > 13 ? text.slice(13, eol) : '';
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
      const colon = text.indexOf(':', pos);
      if (colon <= pos || colon > end) return false;
      const first = text.charCodeAt(pos);
      if (first === 32 || first === 9) return false; // obsolete line folding
      const name = text.slice(pos, colon);
      const value = text.slice(colon + 1, end).trim();
      const lineStart = pos;
      pos = end + 2;
      const n = name.length;
      if (n === 14 || n === 17 || n === 10 || n === 2 || n === 7 || n === 16) {
        const lower = name.toLowerCase();
        if (lower === 'content-length') {
          if (!/^\d{1,15}$/.test(value)) return false;
          const v = Number(value);
          if (length >= 0 && length !== v) return false;
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
    this.headers = headers;
    this.lines = lines;
    this.length = length;
    this.chunked = chunked;
    this.keep &&= keep;
    return true;
  }

  /** A whole answer in hand: the socket goes back to the pool first, then the answer to the client. */
  private complete(ex: Exchange, body: Buffer | Buffer[]): void {
    const { status, reason, headers } = this;
    if (!ex.requestSent) this.keep = false; // answered before the body was all sent: framing unknown
    this.detach();
    this.proxy.release(this);
    ex.deliver(status, reason, headers, body, this.lines);
  }

  private completeStream(ex: Exchange): void {
    if (!ex.requestSent) this.keep = false;
    this.detach();
    this.proxy.release(this);
    ex.endStream();
  }

  private detach(): void {
    this.served++;
    this.ex = undefined;
    this.mode = Mode.Idle;
    this.parts = undefined;
    if (this.sock.isPaused()) this.sock.resume(); // paused for a slow client (Exchange.write)
    if (this.onDetach) {
      const f = this.onDetach;
      this.onDetach = undefined;
      f();
    }
  }

  private protocolError(ex: Exchange, why: string): void {
    this.keep = false;
    const streaming = ex.streaming;
    this.ex = undefined;
    this.mode = Mode.Idle;
    if (this.onDetach) {
      const f = this.onDetach;
      this.onDetach = undefined;
      f();
    }
    this.sock.destroy();
    if (streaming) ex.fail(new Error(why), true);
    else ex.reply(502, `the model server sent an answer the gateway cannot read: ${why}`);
  }

  private onClose(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    const ex = this.ex;
    const mode = this.mode;
    this.ex = undefined;
    this.mode = Mode.Idle;
    if (this.onDetach) {
      const f = this.onDetach;
      this.onDetach = undefined;
      f();
    }
    this.proxy.closedConn(this);
    if (ex === undefined) return;
    if (mode === Mode.Close && this.error === undefined) {
      ex.endStream();
      return;
    }
    const err = this.error ?? new Error(ex.received > 0 ? 'the connection closed mid-answer' : 'the connection closed');
    ex.upstreamFailed(this, err, !this.connected && !this.connectTimedOut);
  }
}
