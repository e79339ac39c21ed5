// Forwards one request to a replica on loopback: the façade gateway.ts uses. The client itself lives in
// replica-client/: per replica port a bounded pool of keep-alive sockets and a waiter queue (pool.ts), one
// socket and the reading of its answers (connection.ts, with the pure response-parser.ts and chunked.ts),
// one request's journey (exchange.ts), the request head (request-head.ts), request-body limits and timeouts
// (request-body.ts), the one-write shortcut for small answers (direct-write.ts), and `http.request` +
// `pipe()` for what the pooled client does not take (http-fallback.ts: chunked uploads that grow past
// requestBufferBytes, `Expect: 100-continue`, `Upgrade`, anything not HTTP/1.x). Node's `http.request` costs
// 1.6–2.5× more CPU per request on the hot path (docs/benchmarks.md, "Proxy hop experiment"); undici's Pool
// was measured too (docs/benchmarks.md, "undici").
//
// Request bodies (issue 10): up to requestBufferBytes (1 MiB) they are read whole before a replica socket is
// taken, within bodyTimeoutMs, else 408; larger ones stream at no less than minBodyBytesPerSec. Over
// maxBodyBytes: 413 before the replica sees a byte.
//
// Failures: a replica that cannot be reached, closes the socket before answering, or answers something
// the parser refuses gets a 502 JSON answer (once the answer's head has gone to the client, the client's
// connection is cut instead). A request is sent again once, on a fresh or other socket, only when no byte
// of an answer came back and either the method is idempotent or nothing reached the replica (the connect
// failed). A client that goes away destroys the upstream socket, so the replica sees the disconnect.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { directWriteAvailable } from './replica-client/direct-write.js';
import { Exchange } from './replica-client/exchange.js';
import { HttpFallback } from './replica-client/http-fallback.js';
import {
  DEFAULTS,
  type ProxyCounters,
  type ProxyStats,
  type ReplicaProxyOptions,
  type Required_,
} from './replica-client/options.js';
import { ReplicaPools } from './replica-client/pool.js';
import { BodyWatcher, bodyLimit, bufferChunked, refuseBody, tooLarge } from './replica-client/request-body.js';
import { BAD_TARGET, requestHead } from './replica-client/request-head.js';

export type { ProxyStats, ReplicaProxyOptions };

const EMPTY = Buffer.alloc(0);

export class ReplicaProxy {
  private readonly opts: Required_<ReplicaProxyOptions>;
  private readonly bodies: BodyWatcher;
  private readonly pools: ReplicaPools;
  private readonly fallback: HttpFallback;
  /** @internal counters for tests and the bench */
  readonly counters: ProxyCounters = { connects: 0, pooled: 0, fallback: 0, retries: 0, direct: 0 };

  constructor(options: ReplicaProxyOptions = {}) {
    this.opts = { ...DEFAULTS };
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (this.opts as Record<string, unknown>)[k] = v;
    this.bodies = new BodyWatcher(this.opts.bodyTimeoutMs, this.opts.minBodyBytesPerSec);
    const direct = this.opts.directWrite && directWriteAvailable();
    this.pools = new ReplicaPools(this.opts, this.counters, this.bodies, direct);
    this.fallback = new HttpFallback(this.bodies, this.opts.targetOf);
  }

  /**
   * `timeoutMs`: no complete answer this long after the request was sent → 504 and the upstream request is
   * aborted (the revision's `timeout`; default: the proxy's responseTimeoutMs). `headerLines`: extra
   * response header lines (`name: value\r\n`, already set on `res` too) that the direct write must carry.
   * `target`: whose model server this is (`namespace/service`), named in the gateway's own 502/504 answers.
   */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    port: number,
    path: string,
    timeoutMs?: number,
    headerLines?: string,
    target?: string,
  ): void {
    const h = req.headers;
    const limit = bodyLimit(req, this.opts.maxBodyBytes, this.opts.maxBinaryBodyBytes);
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
      badLength ||
      h.expect !== undefined ||
      h.upgrade !== undefined ||
      req.httpVersionMajor !== 1 ||
      BAD_TARGET.test(path)
    ) {
      this.forwardHttp(req, res, port, path, limit, undefined, timeoutMs, target);
      return;
    }
    const method = req.method ?? 'GET';
    if (h['transfer-encoding'] !== undefined) {
      // Read whole up to requestBufferBytes and sent with a content-length like any buffered body; one that
      // grows past that is streamed through the fallback path with what was read so far.
      bufferChunked(
        req,
        res,
        this.bodies,
        limit,
        this.opts.requestBufferBytes,
        (parts, size) => {
          this.counters.pooled++;
          const head = requestHead(req, method, path, port);
          const ex = new Exchange(
            this.pools,
            req,
            res,
            port,
            `${head.slice(0, -2)}content-length: ${size}\r\n\r\n`,
            method,
          );
          if (timeoutMs !== undefined) ex.timeoutMs = timeoutMs;
          if (headerLines !== undefined) ex.headerLines = headerLines;
          ex.target = target;
          res.on('close', () => ex.clientClosed());
          ex.body = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
          this.pools.dispatch(ex);
        },
        (parts) => this.forwardHttp(req, res, port, path, limit, parts, timeoutMs, target),
      );
      return;
    }
    this.counters.pooled++;
    const ex = new Exchange(this.pools, req, res, port, requestHead(req, method, path, port), method);
    if (timeoutMs !== undefined) ex.timeoutMs = timeoutMs;
    if (headerLines !== undefined) ex.headerLines = headerLines;
    ex.target = target;
    res.on('close', () => ex.clientClosed());
    if (length === 0) {
      ex.body = EMPTY;
      this.pools.dispatch(ex);
    } else if (length <= this.opts.requestBufferBytes) {
      // Read whole before a replica socket is taken; a client too slow to send it gets 408 (bodyTimeoutMs).
      const parts: Buffer[] = [];
      let size = 0;
      const watch = this.bodies.watch(true, (why) => ex.bodyFailed(why));
      ex.watch = watch;
      req.on('data', (c: Buffer) => {
        parts.push(c);
        size += c.length;
        watch.bytes = size;
      });
      req.on('end', () => {
        this.bodies.unwatch(watch);
        ex.body = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
        if (!ex.done) this.pools.dispatch(ex);
      });
    } else {
      // Streamed: the head goes as soon as a socket is free, the body follows as it arrives (at no less than
      // minBodyBytesPerSec). Paused until then (a held request was resumed by the gateway; a queued one must
      // not lose chunks meanwhile).
      req.pause();
      this.pools.dispatch(ex);
    }
  }

  /** Closes the idle sockets to `port` (a replica that moved to another port or stopped). */
  dropIdle(port: number): void {
    this.pools.dropIdle(port);
  }

  stats(): ProxyStats {
    return { ...this.counters, ports: this.pools.ports() };
  }

  close(): void {
    this.bodies.close();
    this.pools.close();
    this.fallback.close();
  }

  private forwardHttp(
    req: IncomingMessage,
    res: ServerResponse,
    port: number,
    path: string,
    limit: number,
    prefix: Buffer[] | undefined,
    timeoutMs: number | undefined,
    target: string | undefined,
  ): void {
    this.counters.fallback++;
    this.fallback.forward(req, res, port, path, limit, prefix, timeoutMs, target);
  }
}
