// The floor of `transformer_hop_ms` (bench/transformer-hop.ts --floor): the least a forwarding process on
// node:http can add. A bare node:http server that reads the body and forwards it, with the SDK's own direct
// client (src/sdk/direct-http.ts), to the predictor replica's port, and answers with its bytes: no routing, no
// JSON, no model. Its leg (its median minus the replica's) measured beside the transformer's says what of the
// transformer's leg is the SDK and what is the second process and its two loopback round trips.
//
//   node dist/bench/hop-floor-forwarder.js REPLICA_PORT   (spawned by transformer-hop.ts; prints `port N`)

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DirectHttp } from '../src/sdk/direct-http.js';

const replicaPort = Number(process.argv[2]);
const client = new DirectHttp();
const server = http.createServer({ noDelay: true, keepAlive: true }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const head = `${req.method} ${req.url} HTTP/1.1\r\ncontent-type: application/json`;
    client.request(replicaPort, head, Buffer.concat(chunks).toString('utf8'), 10_000).then(
      (a) => {
        res.sendDate = false;
        res.writeHead(a.status, ['content-length', String(a.body.length), 'content-type', 'application/json']);
        res.end(a.body);
      },
      (err: Error) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: err.message }));
      },
    );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`));
