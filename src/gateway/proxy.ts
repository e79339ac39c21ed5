// Forwards one request to a replica on loopback: keep-alive pooled connections, no Nagle delay, bodies
// streamed both ways (never buffered here). A replica that cannot be reached gets a 502 JSON answer.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { replyError } from './json-reply.js';

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

export class ReplicaProxy {
  private readonly agent = new http.Agent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 64,
    keepAliveMsecs: 10_000,
  });

  forward(req: IncomingMessage, res: ServerResponse, port: number, path: string): void {
    const headers: http.OutgoingHttpHeaders = {};
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (!HOP_BY_HOP.has(name)) headers[name] = raw[i + 1];
    }
    const upstream = http.request(
      { host: '127.0.0.1', port, method: req.method, path, headers, agent: this.agent, setHost: false },
      (up) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
      },
    );
    upstream.on('socket', (s) => s.setNoDelay(true));
    upstream.on('error', (err) => {
      if (!res.headersSent) replyError(res, 502, `the model server did not answer: ${err.message}`);
      else res.destroy(err);
    });
    // A client that goes away cancels the upstream request.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  close(): void {
    this.agent.destroy();
  }
}
