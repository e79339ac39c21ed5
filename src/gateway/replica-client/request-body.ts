// Request bodies (issue 10): the limit that applies to a request, the 413/408 refusals, and the watch over a
// body's progress. Up to requestBufferBytes a body is read whole before a replica socket is taken (nginx's
// `proxy_request_buffering`), within bodyTimeoutMs, else 408; larger ones stream at no less than
// minBodyBytesPerSec. Refusals close the connection with a lingering close (lingering-close.ts) so the
// client reads them.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { replyError } from '../../http/json-reply.js';
import { lingerBeforeClose } from '../../http/lingering-close.js';

/** The largest body `req` may send: maxBinaryBodyBytes for binary-extension requests, else maxBodyBytes. */
export function bodyLimit(req: IncomingMessage, maxBodyBytes: number, maxBinaryBodyBytes: number): number {
  return req.headers['inference-header-content-length'] === undefined
    ? maxBodyBytes
    : Math.max(maxBinaryBodyBytes, maxBodyBytes);
}

/** 413's message: what was sent and the limit, and how to raise it. */
export function tooLarge(size: number, limit: number): string {
  return `the request body (${size} bytes or more) is larger than the gateway's limit of ${limit} bytes (inferd serve --max-body-bytes)`;
}

/**
 * Answers a request whose body the gateway will not forward (413, 408) and closes the connection
 * gracefully (lingering-close.ts), so the client reads the answer instead of a reset.
 */
export function refuseBody(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  lingerBeforeClose(req.socket);
  if (res.headersSent) res.destroy();
  else replyError(res, status, message, { connection: 'close' });
  req.resume();
}

/** A request body's progress, checked by BodyWatcher's sweep. */
export class BodyWatch {
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

/** All bodies in progress, swept on one timer (started with the first watch, unref'd). */
export class BodyWatcher {
  private readonly watches = new Set<BodyWatch>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** A buffered body must be whole within this; a streamed one must keep the rate over each such window. */
    private readonly bodyTimeoutMs: number,
    private readonly minBodyBytesPerSec: number,
  ) {}

  /** Starts watching a request body's progress (see bodyTimeoutMs). */
  watch(whole: boolean, expire: (why: string) => void): BodyWatch {
    const w = new BodyWatch(whole, expire, Date.now());
    this.watches.add(w);
    if (this.timer === undefined) {
      const ms = this.bodyTimeoutMs;
      this.timer = setInterval(() => this.sweep(), Math.max(20, Math.min(1_000, Math.floor(ms / 4))));
      this.timer.unref();
    }
    return w;
  }

  unwatch(w: BodyWatch): void {
    this.watches.delete(w);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.watches.clear();
  }

  /** Bodies too slow: a buffered one not whole within bodyTimeoutMs, a streamed one under the minimum rate. */
  private sweep(): void {
    const now = Date.now();
    const ms = this.bodyTimeoutMs;
    const rate = this.minBodyBytesPerSec;
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
}

/**
 * Reads a chunked upload whole, up to `bufferBytes`: `whole(parts, size)` when it ended; `overflow(parts)`
 * (the request paused) when it grew past that and must be streamed with what was read so far; 413 past
 * `limit` and 408 when too slow are answered here.
 */
export function bufferChunked(
  req: IncomingMessage,
  res: ServerResponse,
  bodies: BodyWatcher,
  limit: number,
  bufferBytes: number,
  whole: (parts: Buffer[], size: number) => void,
  overflow: (parts: Buffer[]) => void,
): void {
  const parts: Buffer[] = [];
  let size = 0;
  let settled = false;
  const stop = () => {
    settled = true;
    bodies.unwatch(watch);
    req.off('data', onData);
    req.off('end', onEnd);
    res.off('close', onClose);
  };
  const watch = bodies.watch(true, (why) => {
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
    } else if (size > bufferBytes) {
      stop();
      req.pause();
      overflow(parts);
    }
  };
  const onEnd = () => {
    stop();
    whole(parts, size);
  };
  const onClose = () => stop(); // the client went away before its body was whole
  req.on('data', onData);
  req.on('end', onEnd);
  res.on('close', onClose);
}
