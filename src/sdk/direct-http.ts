// The SDK's HTTP/1.1 client for a transformer's calls straight to a predictor replica on loopback (client-side
// routing, predictor-routes.ts): a pool of keep-alive sockets per port, one write per request (head and body),
// the answer parsed with the gateway's own response parser. Node's http.request costs more per call than the
// whole rest of a transformer's hop; this path stays small because it only talks to inferd's replicas.

import { connect, type Socket } from 'node:net';
import { bodyFraming, findHeadEnd, parseResponseHead } from '../gateway/replica-client/response-parser.js';

export interface DirectAnswer {
  status: number;
  reason: string;
  body: Buffer;
}

/**
 * Why a direct call failed: `unanswered` when no byte of an answer came back (worth sending another way);
 * `timedOut` when it stopped waiting (its timeout, or `cancelled`: the caller's abort).
 */
export class DirectError extends Error {
  constructor(
    message: string,
    readonly unanswered: boolean,
    readonly timedOut = false,
    readonly cancelled = false,
  ) {
    super(message);
  }
}

/** Listens for the caller's abort: calls `listener` once when it happens, returns what stops listening. */
export type AbortWatch = (listener: () => void) => () => void;

const MAX_HEAD = 64 * 1024;
/** Idle sockets kept per replica port. */
const MAX_IDLE = 16;

/** One in-progress exchange on a socket. */
interface Pending {
  chunks: Buffer[];
  size: number;
  done(err: DirectError | undefined, answer?: DirectAnswer, keep?: boolean): void;
}

interface SocketState {
  pending: Pending | undefined;
  port: number;
}

export class DirectHttp {
  readonly #idle = new Map<number, Socket[]>();
  readonly #state = new WeakMap<Socket, SocketState>();
  #closed = false;

  /**
   * POSTs (or any method) `body` to 127.0.0.1:port. `head` is the request line and header lines without the
   * final CRLF (content-length and host are added). A reused socket the replica had closed is retried once on a
   * fresh one.
   */
  async request(
    port: number,
    head: string,
    body: string,
    timeoutMs: number,
    onAbort?: AbortWatch,
  ): Promise<DirectAnswer> {
    const reused = this.#takeIdle(port);
    if (reused) {
      try {
        return await this.#exchange(reused, port, head, body, timeoutMs, onAbort);
      } catch (err) {
        if (!(err instanceof DirectError) || !err.unanswered || err.timedOut) throw err;
      }
    }
    return this.#exchange(this.#connect(port), port, head, body, timeoutMs, onAbort);
  }

  /** Closes every idle socket; sockets in use close when their exchange ends. */
  close(): void {
    this.#closed = true;
    for (const list of this.#idle.values()) for (const s of list) s.destroy();
    this.#idle.clear();
  }

  #takeIdle(port: number): Socket | undefined {
    const list = this.#idle.get(port);
    while (list && list.length > 0) {
      const s = list.pop()!;
      if (!s.destroyed && s.writable) return s;
    }
    return undefined;
  }

  #connect(port: number): Socket {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const state: SocketState = { pending: undefined, port };
    this.#state.set(socket, state);
    socket.on('data', (chunk: Buffer) => this.#onData(socket, state, chunk));
    socket.on('error', () => undefined); // 'close' follows and fails the exchange
    socket.on('close', () => {
      const list = this.#idle.get(port);
      const i = list ? list.indexOf(socket) : -1;
      if (i >= 0) list!.splice(i, 1);
      const p = state.pending;
      state.pending = undefined;
      p?.done(new DirectError(`replica 127.0.0.1:${port} closed the connection`, p.size === 0));
    });
    return socket;
  }

  #exchange(
    socket: Socket,
    port: number,
    head: string,
    body: string,
    timeoutMs: number,
    onAbort: AbortWatch | undefined,
  ): Promise<DirectAnswer> {
    const state = this.#state.get(socket)!;
    return new Promise<DirectAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        state.pending = undefined;
        socket.destroy();
        pending_.done(new DirectError(`did not answer within ${timeoutMs} ms`, false, true));
      }, timeoutMs);
      const abort = () => {
        state.pending = undefined;
        socket.destroy();
        pending_.done(new DirectError('cancelled', false, true, true));
      };
      let settled = false;
      let unwatch: (() => void) | undefined;
      const pending_: Pending = {
        chunks: [],
        size: 0,
        done: (err, answer, keep) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          unwatch?.();
          if (err) {
            reject(err);
            return;
          }
          if (keep && !this.#closed) this.#release(socket, port);
          else socket.destroy();
          resolve(answer!);
        },
      };
      state.pending = pending_;
      if (onAbort) unwatch = onAbort(abort);
      socket.write(
        `${head}\r\nhost: 127.0.0.1:${port}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        'utf8',
      );
    });
  }

  #release(socket: Socket, port: number): void {
    let list = this.#idle.get(port);
    if (!list) {
      list = [];
      this.#idle.set(port, list);
    }
    if (list.length >= MAX_IDLE) socket.destroy();
    else list.push(socket);
  }

  #onData(socket: Socket, state: SocketState, chunk: Buffer): void {
    const p = state.pending;
    if (!p) {
      socket.destroy(); // bytes nobody asked for: the connection cannot be trusted
      return;
    }
    p.chunks.push(chunk);
    p.size += chunk.length;
    const buf = p.chunks.length === 1 ? p.chunks[0]! : Buffer.concat(p.chunks);
    if (p.chunks.length > 1) p.chunks = [buf];
    const end = findHeadEnd(buf, 0, MAX_HEAD);
    if (end === -1) return;
    const fail = (why: string) => {
      state.pending = undefined;
      socket.destroy();
      p.done(new DirectError(why, false));
    };
    if (end === -2) {
      fail('answer head too large');
      return;
    }
    const head = parseResponseHead(buf.toString('latin1', 0, end));
    if ('error' in head) {
      fail(head.error);
      return;
    }
    if (head.status < 200) {
      // 1xx (100 Continue): skip it, the final answer follows.
      p.chunks = [buf.subarray(end + 4)];
      p.size = p.chunks[0]!.length;
      if (p.size > 0) this.#onData(socket, state, Buffer.alloc(0));
      return;
    }
    const framing = bodyFraming(head, false);
    const start = end + 4;
    let body: Buffer | undefined;
    let keep = head.keep;
    if (framing === 'none') body = Buffer.alloc(0);
    else if (framing === 'length') {
      if (buf.length - start < head.length) return;
      keep &&= buf.length - start === head.length;
      body = buf.subarray(start, start + head.length);
    } else if (framing === 'chunked') {
      const r = dechunk(buf, start);
      if (r === 'more') return;
      if (r === 'bad') {
        fail('bad chunked encoding');
        return;
      }
      body = r.body;
      keep &&= r.end === buf.length;
    } else {
      // Close-delimited: the answer is complete when the replica closes.
      keep = false;
      socket.once('end', () => {
        if (state.pending !== p) return;
        state.pending = undefined;
        const all = Buffer.concat(p.chunks);
        p.done(undefined, { status: head.status, reason: head.reason, body: all.subarray(start) }, false);
      });
      return;
    }
    state.pending = undefined;
    p.done(undefined, { status: head.status, reason: head.reason, body }, keep);
  }
}

/** A chunked body from `start`: the bytes and where the message ends, 'more' if incomplete, 'bad' if malformed. */
function dechunk(buf: Buffer, start: number): { body: Buffer; end: number } | 'more' | 'bad' {
  const parts: Buffer[] = [];
  let pos = start;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos, 'latin1');
    if (eol < 0) return buf.length - pos > 1024 ? 'bad' : 'more';
    const size = Number.parseInt(buf.toString('latin1', pos, eol).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) return 'bad';
    pos = eol + 2;
    if (size === 0) {
      // Trailers (none expected) end with an empty line.
      const fin = buf.indexOf('\r\n\r\n', pos - 2, 'latin1');
      if (fin < 0) return 'more';
      return { body: Buffer.concat(parts), end: fin + 4 };
    }
    if (buf.length < pos + size + 2) return 'more';
    parts.push(buf.subarray(pos, pos + size));
    pos += size + 2;
  }
}
