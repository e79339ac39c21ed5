// TLS on the gateway's one port (`inferd serve --tls-cert FILE --tls-key FILE`). The http.Server still owns
// the listening socket; each accepted connection's first byte decides:
//
//   socket ──0x16 (TLS handshake record)?──yes──▶ TLS handshake ──ALPN "h2"────────▶ http2 server (gRPC, REST)
//                                        │                        └─"http/1.1"/none─▶ http server (unchanged path)
//                                        └─no──▶ a plain-text 400 naming https, then close (a clear failure, not a hang)
//
// Replicas stay on loopback plain HTTP: TLS ends here. Certificates are read once at start (errors name the
// file) and again on `reload()` (SIGHUP), which swaps the secure context for new connections only.

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type http2 from 'node:http2';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { InferdError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsMaterial extends TlsFiles {
  cert: Buffer;
  key: Buffer;
  /** The leaf certificate's notAfter, for the start-up log line. */
  validTo: string;
}

const TLS_RECORD_HANDSHAKE = 0x16;
/** What a plain-HTTP client to the TLS port reads (nginx answers 400 "plain HTTP request sent to HTTPS port"). */
const PLAIN_REFUSED_BODY =
  '{"error":"this port speaks TLS only: the client sent plain HTTP; use https:// (or a gRPC client with TLS credentials)"}';
const PLAIN_REFUSED = `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(PLAIN_REFUSED_BODY)}\r\nconnection: close\r\n\r\n${PLAIN_REFUSED_BODY}`;

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : messageOf(err);
    throw new InferdError('INVALID_CONFIG', `--tls-${what} ${file}: cannot read it (${why})`);
  }
}

/**
 * Reads and checks a certificate and its key: each must parse as PEM, and the key must belong to the
 * certificate. Every failure is INVALID_CONFIG with a message naming the file and what to do.
 */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readPem(files.certFile, 'cert');
  const key = readPem(files.keyFile, 'key');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new InferdError(
      'INVALID_CONFIG',
      `--tls-cert ${files.certFile}: not a PEM certificate (${messageOf(err)}); pass the server certificate (chain), e.g. server.crt`,
    );
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) {
    throw new InferdError(
      'INVALID_CONFIG',
      `--tls-key ${files.keyFile}: no PEM private key in it (expected "-----BEGIN ... PRIVATE KEY-----"; an encrypted key is not supported)`,
    );
  }
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    const msg = messageOf(err);
    if (/key values mismatch/i.test(msg)) {
      throw new InferdError(
        'INVALID_CONFIG',
        `--tls-key ${files.keyFile} does not belong to the certificate in --tls-cert ${files.certFile} (key values mismatch)`,
      );
    }
    throw new InferdError(
      'INVALID_CONFIG',
      `--tls-key ${files.keyFile} / --tls-cert ${files.certFile}: cannot be used together (${msg})`,
    );
  }
  return { ...files, cert, key, validTo: leaf.validTo };
}

export interface TlsAcceptor {
  /** Re-reads the files; on success new connections use them, on failure the old ones stay (and it throws). */
  reload(): TlsMaterial;
}

/**
 * Makes `server` (already set up for HTTP/1.1, not yet listening) speak TLS on every connection, with ALPN
 * `h2` to `h2` (gRPC and HTTP/2 REST) and `http/1.1` to `server`'s own request handling.
 */
export function acceptTls(
  server: http.Server,
  h2: http2.Http2Server,
  material: TlsMaterial,
  log: Logger,
  handshakeTimeoutMs = 30_000,
): TlsAcceptor {
  const http1 = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const secure = tls.createServer({
    cert: material.cert,
    key: material.key,
    ALPNProtocols: ['h2', 'http/1.1'],
    handshakeTimeout: handshakeTimeoutMs,
    minVersion: 'TLSv1.2',
  });
  secure.on('secureConnection', (socket: tls.TLSSocket) => {
    if (socket.alpnProtocol === 'h2') h2.emit('connection', socket);
    else for (const listener of http1) listener.call(server, socket);
  });
  // A failed handshake (unknown CA on the client's side, a scanner): one debug line, the socket is closed by tls.
  secure.on('tlsClientError', (err, socket) => {
    log.debug('tls handshake failed', { remote: socket.remoteAddress, error: err.message });
    socket.destroy();
  });
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), handshakeTimeoutMs);
    timer.unref();
    const onError = () => socket.destroy();
    const onClose = () => clearTimeout(timer);
    socket.on('error', onError);
    socket.once('close', onClose);
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.pause();
      if (chunk[0] === TLS_RECORD_HANDSHAKE) {
        socket.unshift(chunk); // TLSSocket reads what is buffered on the socket first
        secure.emit('connection', socket);
        return;
      }
      socket.on('error', () => socket.destroy());
      socket.end(PLAIN_REFUSED, 'latin1');
      setTimeout(() => socket.destroy(), 5_000).unref(); // a client that never closes its side
    });
  });
  return {
    reload(): TlsMaterial {
      const next = loadTlsMaterial(material);
      secure.setSecureContext({ cert: next.cert, key: next.key });
      return next;
    },
  };
}
