// The path for what the pooled client does not take (chunked uploads that grow past requestBufferBytes,
// `Expect: 100-continue`, `Upgrade`, anything not HTTP/1.x, odd targets): `http.request` with bodies piped
// both ways, the request body counted against the limit and the minimum rate. Costs 1.6–2.5× more CPU per
// request than the pooled client (docs/benchmarks.md, "Proxy hop experiment"), hence only a fallback.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { replyError } from '../../http/json-reply.js';
import { loopbackTarget, modelServerName, type ReplicaAddress } from './options.js';
import { type BodyWatcher, refuseBody, tooLarge } from './request-body.js';
import { HOP_BY_HOP } from './request-head.js';

export class HttpFallback {
  private agent: http.Agent | undefined;

  constructor(
    private readonly bodies: BodyWatcher,
    private readonly targetOf: (port: number) => ReplicaAddress = loopbackTarget,
  ) {}

  /** `prefix`: body bytes already read from `req` (a chunked upload that outgrew the buffer). */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    port: number,
    path: string,
    limit: number,
    prefix: Buffer[] | undefined,
    timeoutMs?: number,
    target?: string,
  ): void {
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
        { ...this.targetOf(port), method: req.method, path, headers, agent: this.agent, setHost: false },
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
      if (!res.headersSent) replyError(res, 502, `${modelServerName(target)} did not answer: ${err.message}`);
      else res.destroy(err);
    });
    const refuse = (status: number, why: string) => {
      if (refused) return;
      refused = true;
      this.bodies.unwatch(watch);
      upstream.destroy();
      if (res.headersSent) res.destroy();
      else refuseBody(req, res, status, why);
    };
    if (timeoutMs !== undefined && timeoutMs > 0) {
      // The revision's timeout: counted from now (the request goes out at once on this path).
      const timer = setTimeout(
        () => refuse(504, `${modelServerName(target)} did not answer within ${timeoutMs} ms`),
        timeoutMs,
      );
      timer.unref();
      res.on('close', () => clearTimeout(timer));
    }
    // The body is forwarded as it arrives, counted against the limit and the minimum rate.
    let size = 0;
    const watch = this.bodies.watch(false, (why) => refuse(408, why));
    for (const p of prefix ?? []) {
      upstream.write(p);
      size += p.length;
    }
    watch.bytes = size;
    watch.windowBytes = size;
    // A client that goes away cancels the upstream request.
    res.on('close', () => {
      this.bodies.unwatch(watch);
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
      this.bodies.unwatch(watch);
      if (!refused) upstream.end();
    });
    req.resume();
  }

  close(): void {
    this.agent?.destroy();
  }
}
