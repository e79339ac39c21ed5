// One keep-alive socket to a replica (connect timeout, reuse, close) and the reading of the answers on it:
// the head through response-parser.ts, then the body as its framing says (a content-length body read whole or
// streamed, chunked decoded by chunked.ts, close-delimited streamed).

import net from 'node:net';
import { ChunkedBodyError, ChunkedDecoder } from '../chunked.js';
import type { Exchange } from './exchange.js';
import { modelServerName } from './options.js';
import type { Pool, ReplicaPools } from './pool.js';
import { bodyFraming, findHeadEnd, parseResponseHead, type ResponseHead } from './response-parser.js';

const EMPTY = Buffer.alloc(0);

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

const NO_HEAD: ResponseHead = { status: 0, reason: '', headers: [], lines: '', length: -1, chunked: false, keep: true };

/** One keep-alive socket to a replica and the parser for the answers on it. */
export class Conn {
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
  /** The current answer's head. */
  private head: ResponseHead = NO_HEAD;
  private remaining = 0;
  private parts: Buffer[] | undefined;
  private decoder: ChunkedDecoder | undefined;

  constructor(
    private readonly pools: ReplicaPools,
    readonly pool: Pool,
  ) {
    const target = pools.options.targetOf(pool.port);
    const sock = net.connect(target.port, target.host);
    this.sock = sock;
    sock.setNoDelay(true);
    const ms = pools.options.connectTimeoutMs;
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      this.connectTimedOut = true;
      sock.destroy(new Error(`connect to ${target.host}:${target.port} timed out after ${ms} ms`));
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
          const end = findHeadEnd(b, from, this.pools.options.maxResponseHeadBytes);
          if (end === -2) {
            this.protocolError(ex, 'response head too large');
            return;
          }
          if (end < 0) {
            this.pending = b;
            return;
          }
          const head = parseResponseHead(b.toString('latin1', 0, end));
          if ('error' in head) {
            this.protocolError(ex, 'malformed response head');
            return;
          }
          this.head = head;
          this.keep &&= head.keep;
          buf = b.subarray(end + 4);
          if (head.status < 200) {
            // 1xx informational answers (not asked for, but allowed): skipped. 101 was refused by the parser.
            if (buf.length === 0) return;
            continue;
          }
          const framing = bodyFraming(head, ex.isHead);
          if (framing === 'none') {
            if (buf.length > 0) this.keep = false;
            this.complete(ex, EMPTY);
            return;
          }
          if (framing === 'chunked') {
            this.decoder ??= new ChunkedDecoder();
            if (!ex.startStream(head.status, head.reason, head.headers)) {
              this.sock.destroy();
              return;
            }
            this.mode = Mode.Chunked;
            if (buf.length === 0) return;
            continue;
          }
          if (framing === 'length') {
            const length = head.length;
            if (buf.length >= length) {
              if (buf.length > length) this.keep = false;
              this.complete(ex, length === buf.length ? buf : buf.subarray(0, length));
              return;
            }
            this.remaining = length - buf.length;
            if (length <= this.pools.options.responseBufferBytes) {
              this.mode = Mode.Fixed;
              this.parts = buf.length > 0 ? [buf] : [];
              return;
            }
            if (!ex.startStream(head.status, head.reason, head.headers)) {
              this.sock.destroy();
              return;
            }
            this.mode = Mode.FixedStream;
            ex.write(buf);
            return;
          }
          // Neither length nor chunked: the body runs to the end of the connection.
          this.keep = false;
          if (!ex.startStream(head.status, head.reason, head.headers)) {
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

  /** A whole answer in hand: the socket goes back to the pool first, then the answer to the client. */
  private complete(ex: Exchange, body: Buffer | Buffer[]): void {
    const { status, reason, headers, lines } = this.head;
    if (!ex.requestSent) this.keep = false; // answered before the body was all sent: framing unknown
    this.detach();
    this.pools.release(this);
    ex.deliver(status, reason, headers, body, lines);
  }

  private completeStream(ex: Exchange): void {
    if (!ex.requestSent) this.keep = false;
    this.detach();
    this.pools.release(this);
    ex.endStream();
  }

  private detach(): void {
    this.served++;
    this.ex = undefined;
    this.mode = Mode.Idle;
    this.parts = undefined;
    this.head = NO_HEAD;
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
    else ex.reply(502, `${modelServerName(ex.target)} sent an answer the gateway cannot read: ${why}`);
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
    this.pools.closedConn(this);
    if (ex === undefined) return;
    if (mode === Mode.Close && this.error === undefined) {
      ex.endStream();
      return;
    }
    const err = this.error ?? new Error(ex.received > 0 ? 'the connection closed mid-answer' : 'the connection closed');
    ex.upstreamFailed(this, err, !this.connected && !this.connectTimedOut);
  }
}
