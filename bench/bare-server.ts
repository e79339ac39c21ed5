// The ceiling: a bare node:http server that reads the request body and answers, per path, the exact
// status, headers and body bytes inferd's replica answered (captured by the bench). No routing table, no
// JSON parse, no model. Usage: node dist/bench/bare-server.js REPLIES.json [UNIX_SOCKET] → prints {"port":N}
// (and also listens on the Unix socket when one is given: bench/experiments/proxy-transport.ts).

import { readFileSync } from 'node:fs';
import http from 'node:http';

export interface BareReply {
  status: number;
  /** Header pairs to send (without date/connection/keep-alive, which node:http adds). */
  headers: Array<[string, string]>;
  bodyBase64: string;
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: bare-server.js REPLIES.json');
  const replies = JSON.parse(readFileSync(file, 'utf8')) as Record<string, BareReply>;
  const table = new Map(
    Object.entries(replies).map(([path, r]) => [path, { ...r, body: Buffer.from(r.bodyBase64, 'base64') }]),
  );
  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
    const r = table.get(req.url ?? '');
    req.on('data', () => {});
    req.on('end', () => {
      if (!r) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"detail":"Not Found"}');
        return;
      }
      res.writeHead(r.status, r.headers.flat());
      res.end(r.body);
    });
  });
  const socketPath = process.argv[3];
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    if (!socketPath) {
      process.stdout.write(`${JSON.stringify({ msg: 'bare listening', port })}\n`);
      return;
    }
    const uds = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) =>
      server.emit('request', req, res),
    );
    uds.listen(socketPath, () =>
      process.stdout.write(`${JSON.stringify({ msg: 'bare listening', port, socketPath })}\n`),
    );
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

main();
