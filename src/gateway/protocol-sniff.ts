// One port, two protocols: HTTP/1.1 for REST and HTTP/2 with prior knowledge (h2c) for gRPC. Each new
// connection's first bytes decide: the HTTP/2 preface starts with "PRI", which no HTTP/1.1 request line
// does (RFC 9113 §3.4). The bytes are put back and the socket is handed to the http or http2 server's own
// connection handling, so keep-alive HTTP/1.1 pays one extra read per connection, none per request.
//
//   socket ──first bytes──▶ "PRI" ? ──yes──▶ http2 server ('connection')
//                                   └─no───▶ http server's own connection listener (unchanged path)

import type http from 'node:http';
import type http2 from 'node:http2';
import type { Socket } from 'node:net';

const PREFACE_START = Buffer.from('PRI');

/**
 * Routes each connection `server` accepts to `server` itself (HTTP/1.x) or to `h2` (HTTP/2 preface).
 * A connection that sends nothing for `firstByteTimeoutMs` is closed.
 */
export function acceptHttp2PriorKnowledge(
  server: http.Server,
  h2: http2.Http2Server,
  firstByteTimeoutMs = 30_000,
): void {
  const accept = plainAcceptor(server, h2, firstByteTimeoutMs);
  server.removeAllListeners('connection');
  server.on('connection', accept);
}

/**
 * The same choice as a function, for sockets that arrive some other way: `server`'s connection listeners as
 * they are now (call it before TLS or the sniff replace them). The predictor listeners' loopback connections
 * take it on a TLS gateway too: inferd's own hop speaks plain HTTP and h2c (docs/containers.md).
 */
export function plainAcceptor(
  server: http.Server,
  h2: http2.Http2Server,
  firstByteTimeoutMs = 30_000,
): (socket: Socket) => void {
  const http1 = server.listeners('connection') as ((socket: Socket) => void)[];
  return (socket: Socket) => {
    let seen: Buffer | undefined;
    const timer = setTimeout(() => socket.destroy(), firstByteTimeoutMs);
    timer.unref();
    const onData = (chunk: Buffer) => {
      seen = seen ? Buffer.concat([seen, chunk]) : chunk;
      const n = Math.min(seen.length, PREFACE_START.length);
      const isH2 = seen.subarray(0, n).equals(PREFACE_START.subarray(0, n));
      if (isH2 && seen.length < PREFACE_START.length) return; // "P" or "PR": wait for one more byte
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      socket.pause();
      socket.unshift(seen);
      if (isH2) {
        h2.emit('connection', socket);
      } else {
        for (const listener of http1) listener.call(server, socket);
        socket.resume(); // the http parser reads the unshifted bytes, then the socket as usual
      }
    };
    const onClose = () => clearTimeout(timer);
    const onError = () => socket.destroy(); // before a protocol owns the socket, an error only ends it
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.on('error', onError);
  };
}
