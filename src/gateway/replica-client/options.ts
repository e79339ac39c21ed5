// The replica client's options, their defaults, and its counters (shared by the modules in this folder).

export interface ReplicaProxyOptions {
  /** Open sockets per replica port (busy + idle); requests beyond wait in a queue. Default 256. */
  maxSocketsPerPort?: number;
  /** Idle keep-alive sockets kept per port. Default 64. */
  maxIdlePerPort?: number;
  /** Requests waiting for a socket per port before the gateway answers 503. Default 4096. */
  maxQueuedPerPort?: number;
  /** An idle socket is closed after between this and half of it. Default 30 s (replicas keep 65 s). */
  idleTimeoutMs?: number;
  /** Connecting to a replica longer than this fails the request (502). Default 5 s. */
  connectTimeoutMs?: number;
  /** No complete answer this long after the request was sent → 504. Default 0: none (the replica's own
   * `spec.predictor.timeout` answers 504 itself). */
  responseTimeoutMs?: number;
  /** Request bodies up to this size are read whole before a replica socket is taken (nginx's
   * `proxy_request_buffering`), so a slow client never holds one; larger ones are streamed. Default 1 MiB. */
  requestBufferBytes?: number;
  /** Largest request body forwarded (`inferd serve --max-body-bytes`); larger ones get 413 from the gateway
   * before the replica sees a byte. Default 16 MiB (the replica's own JSON limit). */
  maxBodyBytes?: number;
  /** The same for binary-extension requests (`Inference-Header-Content-Length`). Default 128 MiB, or
   * maxBodyBytes when larger. */
  maxBinaryBodyBytes?: number;
  /** A buffered body must arrive whole within this; a streamed one must send at least minBodyBytesPerSec
   * over each such window. Otherwise 408 and the connection is closed. Default 30 s. */
  bodyTimeoutMs?: number;
  /** Slowest acceptable upload rate of a streamed (large) body, measured per bodyTimeoutMs window. Default 32 KiB/s. */
  minBodyBytesPerSec?: number;
  /** Answers up to this size are read whole and sent with one `end()`; larger ones are streamed. Default 256 KiB. */
  responseBufferBytes?: number;
  /** Largest response head accepted. Default 64 KiB. */
  maxResponseHeadBytes?: number;
  /** A whole answer for a keep-alive HTTP/1.1 client is written on the client's socket as the replica framed
   * it (hop-by-hop lines replaced), in one write, instead of through `writeHead` + `end` (direct-write.ts;
   * only where its start-up self-check passed). Default true. */
  directWrite?: boolean;
  /**
   * Where the replica keyed by `port` listens. Default: 127.0.0.1 on that port (local replicas). The cluster
   * gateway keys pod addresses by numbers above 65535 (operator/remote-targets.ts) and resolves them here.
   */
  targetOf?: (port: number) => ReplicaAddress;
}

export interface ReplicaAddress {
  host: string;
  port: number;
}

/** Local replicas: loopback, on their own port. */
export const loopbackTarget = (port: number): ReplicaAddress => ({ host: '127.0.0.1', port });

export type Required_<T> = { [K in keyof T]-?: T[K] };

export const DEFAULTS: Required_<ReplicaProxyOptions> = {
  maxSocketsPerPort: 256,
  maxIdlePerPort: 64,
  maxQueuedPerPort: 4096,
  idleTimeoutMs: 30_000,
  connectTimeoutMs: 5_000,
  responseTimeoutMs: 0,
  requestBufferBytes: 1024 * 1024, // 1 MiB
  maxBodyBytes: 16 * 1024 * 1024, // 16 MiB
  maxBinaryBodyBytes: 128 * 1024 * 1024, // 128 MiB
  bodyTimeoutMs: 30_000,
  minBodyBytesPerSec: 32 * 1024,
  responseBufferBytes: 256 * 1024,
  maxResponseHeadBytes: 64 * 1024,
  directWrite: true,
  targetOf: loopbackTarget,
};

/** Small bodies go out as one latin1 string write (header + body in one buffer, no writev). */
export const STRING_WRITE_MAX = 16 * 1024;

export interface ProxyCounters {
  /** Sockets opened to replicas since start. */
  connects: number;
  /** Requests that went through the pooled client / through http.request. */
  pooled: number;
  fallback: number;
  /** Requests sent a second time after a socket failed before any answer. */
  retries: number;
  /** Whole answers written straight onto the client's socket (direct-write.ts). */
  direct: number;
}

export interface ProxyStats extends ProxyCounters {
  /** Open sockets per port (busy + idle), idle per port, queued per port. */
  ports: Record<number, { open: number; idle: number; queued: number }>;
}

/** How the gateway's own 502/504 answers name the replica (`target`: `namespace/service`, when known). */
export function modelServerName(target: string | undefined): string {
  return target === undefined ? 'the model server' : `the model server of ${target}`;
}
