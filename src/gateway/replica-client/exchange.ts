// One client request on its way to a replica: sending it on the socket it was given (a buffered body in one
// write, a streamed one with back-pressure both ways), handing the answer to the client (whole, through
// direct-write.ts where it can, or streamed), and what happens on failure: a retry once when no byte of an
// answer came back and either the method is idempotent or nothing reached the replica, else 502 (or a cut
// connection once the answer's head went out); 504 on responseTimeoutMs; 408 for a body too slow.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { replyError } from '../../http/json-reply.js';
import type { Conn } from './connection.js';
import { writeDirect } from './direct-write.js';
import { modelServerName, STRING_WRITE_MAX } from './options.js';
import type { ReplicaPools } from './pool.js';
import { type BodyWatch, refuseBody } from './request-body.js';
import { IDEMPOTENT } from './request-head.js';

/** One client request on its way: what to send, and where the answer goes. */
export class Exchange {
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
  /** No complete answer this long after sending → 504 (the revision's timeout); undefined: the pool's default. */
  timeoutMs: number | undefined;
  /** Response header lines the gateway adds (already set on `res`); the direct write appends them. */
  headerLines: string | undefined;
  /** Whose model server this is (`namespace/service`), named in the gateway's own 502/504 answers. */
  target: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private onResDrain: (() => void) | undefined;

  constructor(
    readonly pools: ReplicaPools,
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
    const timeout = this.timeoutMs ?? this.pools.options.responseTimeoutMs;
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
    if (this.watch) this.pools.bodies.unwatch(this.watch); // a retry on another socket: a fresh window
    const watch = this.pools.bodies.watch(false, (why) => this.bodyFailed(why));
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
      this.pools.bodies.unwatch(watch);
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
      this.pools.directWrite &&
      writeDirect(
        res,
        this.req,
        status,
        reason,
        this.headerLines === undefined ? lines : lines + this.headerLines,
        body,
      )
    ) {
      this.pools.counters.direct++;
      return;
    }
    try {
      if (reason.length > 0) res.writeHead(status, reason, headers);
      else res.writeHead(status, headers);
    } catch (err) {
      this.reply(502, `the answer of ${this.server()} cannot be forwarded: ${(err as Error).message}`);
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
      this.reply(502, `the answer of ${this.server()} cannot be forwarded: ${(err as Error).message}`);
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
      this.pools.counters.retries++;
      this.pools.dispatch(this);
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
    this.reply(502, fromReplica ? `${this.server()} did not answer: ${err.message}` : err.message);
  }

  private server(): string {
    return modelServerName(this.target);
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
    else this.reply(504, `${this.server()} did not answer within ${ms} ms`);
    if (conn && conn.ex === this) conn.sock.destroy();
  }

  private finish(): void {
    this.done = true;
    if (this.watch) this.pools.bodies.unwatch(this.watch);
    this.stopWaitingForDrain();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
