// gRPC through the gateway: each HTTP/2 stream is routed to a replica's gRPC port and relayed as it is
// (headers, length-prefixed messages, trailers), never decoded. Routing follows the REST gateway:
// `:authority` naming a service (`{name}.{ns}.{domain}`, `*.svc.cluster.local`) first; otherwise the
// model name, read from field 1 of the first request message (see grpc-wire.ts). Server-level RPCs
// without a service in `:authority` (ServerLive/Ready/Metadata) are answered here. The revision and replica
// are chosen as for REST (traffic/router.ts: weighted split, tag hosts, least outstanding, queues, the
// activator's hold, outlier ejection, the revision's timeout → DEADLINE_EXCEEDED); errors are trailers-only
// gRPC statuses, never HTTP errors.

import http2 from 'node:http2';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { Refusal } from '../auth/answers.js';
import { grpcCodeOf } from '../auth/answers.js';
import type { ModelGate } from '../auth/auth-gate.js';
import { FRAME_OK, type LinkFrame } from '../http/grpc-link.js';
import {
  BOOL_TRUE_MESSAGE,
  encodeGrpcMessage,
  type FieldScan,
  frame,
  GRPC_STATUS,
  scanField1,
  serverMetadataMessage,
} from '../http/grpc-wire.js';
import type { Logger } from '../log.js';
import type { EndpointTable, RevisionRoute, ServiceEndpoint } from '../routing/endpoint-table.js';
import { hostOverrideOf } from '../routing/predictor-listeners.js';
import { GrpcLinkClient } from './grpc-link-client.js';
import { serviceCandidatesForHost } from './host-router.js';
import { pickByModelName } from './path-router.js';
import { loopbackTarget, type ReplicaAddress } from './replica-client/options.js';
import { PINNED_REVISION_HEADER } from './route-feed.js';
import { type Lease, notReadyMessage, type TrafficRouter } from './traffic/router.js';

export interface GrpcProxyOptions {
  endpoints: EndpointTable;
  /** Route and replica choice, queues, ejection: shared with the REST gateway. */
  traffic: TrafficRouter;
  domain: string;
  log: Logger;
  /** inferd's version, for ServerMetadata answered by the gateway. */
  version: string;
  /** Most bytes buffered while looking for the model name in the first message. Default 128 MiB. */
  maxRouteBufferBytes?: number;
  /** RepositoryModelLoad/Unload through the public port (`inferd serve --allow-repository-api`). Default false. */
  allowRepositoryApi?: boolean;
  /** Where HTTP/2 requests that are not gRPC go (REST over TLS with ALPN h2); unset: 415 (h2c carries gRPC only). */
  plainHttp2?: (
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    flags: number,
    raw: string[],
  ) => void;
  /** Who may call which service (src/auth); metadata `authorization: Bearer <token>`. None: open. */
  auth?: ModelGate;
  /** A call to a service ended (metrics, access log): once per call, from the time it was routed (`t0`, ms). */
  finished?: (
    ep: ServiceEndpoint,
    route: RevisionRoute | undefined,
    grpcStatus: number,
    t0: number,
    headers: http2.IncomingHttpHeaders,
  ) => void;
  /** Where the replica keyed by a gRPC port listens (the cluster gateway's pod addresses); default loopback. */
  targetOf?: (port: number) => ReplicaAddress;
  /**
   * Unary calls to inferd's own replicas over the gRPC link (src/http/grpc-link.ts) instead of a second
   * HTTP/2 hop. Default: on (`inferd serve` turns it off with INFERD_GRPC_LINK=off).
   */
  link?: boolean;
}

const SERVICE_PREFIX = '/inference.GRPCInferenceService/';
/** Why repository load/unload is refused on the public port (REST and gRPC say the same). */
export const REPOSITORY_REFUSED =
  'loading and unloading models through the public port is turned off: it would change what every client of the model gets; start inferd serve with --allow-repository-api to allow it (or change the InferenceService instead)';
/** RPCs whose first message names a model in field 1. */
const MODEL_RPCS = new Set([
  'ModelInfer',
  'ModelReady',
  'ModelMetadata',
  'RepositoryModelLoad',
  'RepositoryModelUnload',
]);
// Big tensors travel in one message: windows far above HTTP/2's 64 KiB default keep loopback fast.
const WINDOW_BYTES = 16 * 1024 * 1024;
const SESSION_SETTINGS: http2.Settings = { initialWindowSize: WINDOW_BYTES, maxConcurrentStreams: 1000 };
const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_FLAG_END_STREAM } = http2.constants;
// Hop-by-hop and HTTP/2 pseudo headers are rebuilt per hop.
const NOT_FORWARDED = new Set([
  ':scheme',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

type Stream = http2.ServerHttp2Stream;

/** Request bodies up to this size go over the link whole; bigger ones are relayed over HTTP/2 (flow control). */
const LINK_MAX_BODY = 4 * 1024 * 1024;
// The replica's answer headers (grpc-js's, which the replica's fast path sends too).
const LINK_OK_HEADERS: http2.OutgoingHttpHeaders = {
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
};
const LINK_OK_TRAILERS: http2.OutgoingHttpHeaders = { 'grpc-status': '0', 'grpc-message': 'OK' };

const authOf = (headers: http2.IncomingHttpHeaders): string | undefined => {
  const v = headers.authorization;
  return typeof v === 'string' ? v : undefined;
};
const remoteOf = (stream: Stream): string | undefined => stream.session?.socket?.remoteAddress;

/** Ends a stream with a trailers-only gRPC status (or resets it when headers already went out). */
export function respondStatus(stream: Stream, code: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    stream.close(NGHTTP2_INTERNAL_ERROR);
    return;
  }
  stream.respond(
    {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(code),
      'grpc-message': encodeGrpcMessage(message),
    },
    { endStream: true },
  );
  stream.resume(); // discard whatever the client still sends
}

function respondMessage(stream: Stream, message: Buffer): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(frame(message));
  stream.resume();
}

export class GrpcProxy {
  readonly server: http2.Http2Server;
  readonly #opts: GrpcProxyOptions;
  readonly #upstream = new Map<number, http2.ClientHttp2Session>();
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #links = new Map<number, GrpcLinkClient>();
  /** Replica ports that answered the link hello with something else (not inferd's fast gRPC). */
  readonly #noLink = new Set<number>();
  readonly #useLink: boolean;

  constructor(opts: GrpcProxyOptions) {
    this.#opts = opts;
    this.#useLink = opts.link ?? true;
    this.server = http2.createServer({ settings: SESSION_SETTINGS, maxSessionMemory: 256 });
    this.server.on('session', (session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      session.on('error', () => session.destroy());
      session.once('localSettings', () => session.setLocalWindowSize(WINDOW_BYTES));
    });
    this.server.on('stream', (stream: Stream, headers: http2.IncomingHttpHeaders, flags: number, raw: string[]) => {
      if (opts.plainHttp2 && !String(headers['content-type'] ?? '').startsWith('application/grpc')) {
        opts.plainHttp2(stream, headers, flags, raw);
        return;
      }
      stream.on('error', () => stream.destroy());
      const route = () => {
        try {
          this.#route(stream, headers);
        } catch (err) {
          opts.log.error('grpc gateway error', { error: err instanceof Error ? err.message : String(err) });
          respondStatus(stream, GRPC_STATUS.INTERNAL, 'internal gateway error');
        }
      };
      // An OIDC JWT in the metadata is verified asynchronously first (the gate itself is synchronous).
      const wait = opts.auth?.prepare?.(authOf(headers));
      if (wait) void wait.then(() => (stream.destroyed ? undefined : route()));
      else route();
    });
  }

  #route(stream: Stream, headers: http2.IncomingHttpHeaders): void {
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      // Plain HTTP/2 (not gRPC) is not served on the cleartext port; REST goes over HTTP/1.1.
      stream.respond({ ':status': 415, 'content-type': 'application/json' });
      stream.end('{"error":"HTTP/2 without TLS carries gRPC only; send REST requests over HTTP/1.1"}');
      stream.resume();
      return;
    }
    const path = headers[':path'] ?? '';
    if (
      !this.#opts.allowRepositoryApi &&
      (path === `${SERVICE_PREFIX}RepositoryModelLoad` || path === `${SERVICE_PREFIX}RepositoryModelUnload`)
    ) {
      stream.resume();
      respondStatus(stream, GRPC_STATUS.PERMISSION_DENIED, REPOSITORY_REFUSED);
      return;
    }
    // A transformer's call through its predictor listener names the predictor, whatever :authority it sent.
    const authority = hostOverrideOf(stream.session?.socket) ?? headers[':authority'] ?? headers.host;
    const candidates = serviceCandidatesForHost(
      typeof authority === 'string' ? authority : undefined,
      this.#opts.domain,
    );
    if (candidates.length > 0) {
      const found = candidates.find((c) => this.#opts.endpoints.get(c.namespace, c.name) !== undefined);
      const ep = found && this.#opts.endpoints.get(found.namespace, found.name);
      const target = ep ?? candidates[candidates.length - 1]!;
      if (
        this.#refused(
          stream,
          headers,
          // A transformer's call through its predictor listener is inferd's own hop (docs/containers.md).
          hostOverrideOf(stream.session?.socket) !== undefined
            ? undefined
            : this.#opts.auth?.check(authOf(headers), remoteOf(stream), target.namespace, target.name),
        )
      ) {
        return;
      }
      if (!ep) {
        const c = candidates[candidates.length - 1]!;
        respondStatus(
          stream,
          GRPC_STATUS.NOT_FOUND,
          `InferenceService ${c.name} does not exist in namespace ${c.namespace} (:authority ${authority})`,
        );
        return;
      }
      this.#forward(stream, headers, ep, [], found?.tag);
      return;
    }
    const method = path.startsWith(SERVICE_PREFIX) ? path.slice(SERVICE_PREFIX.length) : '';
    if (method === 'ServerLive' || method === 'ServerReady') {
      respondMessage(stream, BOOL_TRUE_MESSAGE);
      return;
    }
    if (method === 'ServerMetadata') {
      respondMessage(stream, serverMetadataMessage('inferd', this.#opts.version, ['model_repository_extension']));
      return;
    }
    if (!MODEL_RPCS.has(method)) {
      respondStatus(stream, GRPC_STATUS.UNIMPLEMENTED, `unknown method ${path}`);
      return;
    }
    this.#readModelName(stream, headers, (name, buffered) => {
      let matches = this.#opts.endpoints.byModelName(name);
      if (this.#opts.auth) {
        const seen = this.#opts.auth.visible(authOf(headers), remoteOf(stream), matches);
        if (this.#refused(stream, headers, seen.refusal)) return;
        matches = seen.visible;
      }
      if (matches.length === 0) {
        respondStatus(stream, GRPC_STATUS.NOT_FOUND, `Model with name ${name} does not exist.`);
        return;
      }
      const picked = pickByModelName(matches);
      if (picked === undefined) {
        const hosts = matches.map((m) => `${m.name}.${m.namespace}.${this.#opts.domain}`).join(', ');
        respondStatus(
          stream,
          GRPC_STATUS.INVALID_ARGUMENT,
          `model name ${name} is served in ${matches.length} namespaces; choose one with the :authority (${hosts})`,
        );
        return;
      }
      this.#forward(stream, headers, picked, buffered, undefined);
    });
  }

  /** Sends the refusal (true) or strips the credential so the replica never sees it (false). */
  #refused(stream: Stream, headers: http2.IncomingHttpHeaders, refusal: Refusal | undefined): boolean {
    if (refusal) {
      respondStatus(stream, grpcCodeOf(refusal), refusal.message);
      return true;
    }
    delete headers.authorization;
    return false;
  }

  /**
   * Buffers the start of the first message until field 1 (the model name) is read, then pauses the
   * stream and hands over the name and the bytes read so far (to be sent upstream first).
   */
  #readModelName(
    stream: Stream,
    headers: http2.IncomingHttpHeaders,
    done: (name: string, buffered: Buffer[]) => void,
  ): void {
    const limit = this.#opts.maxRouteBufferBytes ?? 128 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    let joined: Buffer | undefined;
    const finish = (scan: FieldScan) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.pause();
      if (scan.kind === 'found') done(scan.value, chunks);
      else if (scan.kind === 'absent')
        respondStatus(stream, GRPC_STATUS.INVALID_ARGUMENT, 'the request names no model');
      else if (scan.kind === 'malformed') {
        respondStatus(stream, GRPC_STATUS.INVALID_ARGUMENT, `the request message is not valid protobuf (${scan.why})`);
      }
    };
    const decide = (ended: boolean): FieldScan => {
      joined = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      if (joined.length < 5)
        return ended ? { kind: 'malformed', why: 'truncated message prefix' } : { kind: 'needMore' };
      const length = joined.readUInt32BE(1);
      const complete = joined.length >= 5 + length;
      if (joined[0] === 0) return scanField1(joined, 5, Math.min(joined.length, 5 + length), complete);
      if (!complete) return ended ? { kind: 'malformed', why: 'truncated message' } : { kind: 'needMore' };
      // Compressed: the name is only readable once the whole message is inflated.
      const encoding = headers['grpc-encoding'];
      const body = joined.subarray(5, 5 + length);
      try {
        const plain =
          encoding === 'gzip'
            ? gunzipSync(body, { maxOutputLength: limit })
            : encoding === 'deflate'
              ? inflateSync(body, { maxOutputLength: limit })
              : undefined;
        if (!plain)
          return { kind: 'malformed', why: `grpc-encoding ${String(encoding)} is not readable by the gateway` };
        return scanField1(plain, 0, plain.length, true);
      } catch (err) {
        return { kind: 'malformed', why: err instanceof Error ? err.message : String(err) };
      }
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const scan = decide(false);
      if (scan.kind !== 'needMore') return finish(scan);
      if (size > limit) {
        stream.off('data', onData);
        stream.off('end', onEnd);
        respondStatus(
          stream,
          GRPC_STATUS.RESOURCE_EXHAUSTED,
          `the model name was not found in the first ${limit} bytes; put model_name first or route by :authority`,
        );
      }
    };
    const onEnd = () => finish(decide(true));
    stream.on('data', onData);
    stream.on('end', onEnd);
  }

  #forward(
    stream: Stream,
    headers: http2.IncomingHttpHeaders,
    ep: ServiceEndpoint,
    buffered: Buffer[],
    tag: string | undefined,
  ): void {
    const traffic = this.#opts.traffic;
    const finished = this.#opts.finished;
    const t0 = finished ? performance.now() : 0;
    // An SDK transformer that picked the revision by weight itself but sends through here (route-feed.ts).
    const pinned = headers[PINNED_REVISION_HEADER];
    const route = traffic.choose(
      ep,
      tag,
      typeof pinned === 'string' && hostOverrideOf(stream.session?.socket) !== undefined ? pinned : undefined,
    );
    if (route === undefined) {
      if (tag !== undefined) {
        respondStatus(
          stream,
          GRPC_STATUS.NOT_FOUND,
          `InferenceService ${ep.namespace}/${ep.name} has no revision tagged "${tag}" (tags need the annotation serving.kserve.io/enable-tag-routing: "true")`,
        );
      } else respondStatus(stream, GRPC_STATUS.UNAVAILABLE, notReadyMessage(ep, undefined));
      finished?.(ep, undefined, tag !== undefined ? GRPC_STATUS.NOT_FOUND : GRPC_STATUS.UNAVAILABLE, t0, headers);
      return;
    }
    const lease = traffic.take(route);
    if (lease !== undefined) {
      this.#send(stream, headers, ep, lease, buffered, t0);
      return;
    }
    stream.pause();
    let cancel: () => void = () => {};
    const onClose = () => cancel();
    stream.once('close', onClose);
    cancel = traffic.wait(ep, route, tag, {
      grant: (l) => {
        stream.off('close', onClose);
        if (stream.destroyed || stream.closed) {
          traffic.done(l, undefined);
          return;
        }
        this.#send(stream, headers, ep, l, buffered, t0);
      },
      refuse: (status, message) => {
        stream.off('close', onClose);
        const code =
          status === 429
            ? GRPC_STATUS.RESOURCE_EXHAUSTED
            : status === 404
              ? GRPC_STATUS.NOT_FOUND
              : GRPC_STATUS.UNAVAILABLE;
        respondStatus(stream, code, message);
        finished?.(ep, route, code, t0, headers);
      },
    });
  }

  /** Relays on the lease's replica; the lease ends when the client's stream closes. */
  #send(
    stream: Stream,
    headers: http2.IncomingHttpHeaders,
    ep: ServiceEndpoint,
    lease: Lease,
    buffered: Buffer[],
    t0: number,
  ) {
    const traffic = this.#opts.traffic;
    const grpcPort = lease.replica.grpcPort;
    if (grpcPort === undefined) {
      traffic.done(lease, undefined);
      respondStatus(stream, GRPC_STATUS.UNIMPLEMENTED, `InferenceService ${ep.namespace}/${ep.name} serves no gRPC`);
      return;
    }
    // 5xx-like for ejection: the replica could not be reached, reset the call, or timed out.
    // status: the gRPC status the client got (the replica's trailers, or the gateway's own).
    const outcome = { failed: false, status: 1 as number }; // CANCELLED until a status comes back
    stream.once('close', () => {
      traffic.done(lease, outcome.failed ? 503 : 200);
      this.#opts.finished?.(ep, lease.route, outcome.failed ? GRPC_STATUS.UNAVAILABLE : outcome.status, t0, headers);
    });
    const timeoutMs = lease.route.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs !== undefined && timeoutMs > 0) {
      timer = setTimeout(() => {
        outcome.failed = true;
        respondStatus(stream, GRPC_STATUS.DEADLINE_EXCEEDED, `the model server did not answer within ${timeoutMs} ms`);
        if (!stream.closed && !stream.destroyed) stream.close(NGHTTP2_CANCEL); // headers went out: cut it
      }, timeoutMs);
      timer.unref();
      stream.once('close', () => clearTimeout(timer));
    }
    const extra: http2.OutgoingHttpHeaders | undefined =
      lease.coldMs !== undefined ? { 'x-inferd-cold-start-ms': String(lease.coldMs) } : undefined;
    const link = this.#link(grpcPort);
    if (link) this.#viaLink(stream, headers, grpcPort, link, buffered, outcome, extra);
    else this.#relay(stream, headers, grpcPort, buffered, outcome, extra);
  }

  /** The ready link to a replica port; undefined while it connects (HTTP/2 meanwhile) or when refused. */
  #link(port: number): GrpcLinkClient | undefined {
    // The link dials loopback: a gateway whose replicas live elsewhere (targetOf, the cluster) relays over HTTP/2.
    if (!this.#useLink || this.#opts.targetOf) return undefined;
    const existing = this.#links.get(port);
    if (existing) return existing.ready ? existing : undefined;
    if (this.#noLink.has(port)) return undefined;
    const link = new GrpcLinkClient(port, {
      closed: (refused) => {
        if (this.#links.get(port) === link) this.#links.delete(port);
        if (refused) this.#noLink.add(port);
      },
    });
    this.#links.set(port, link);
    return undefined;
  }

  /** Reads the whole request (up to LINK_MAX_BODY, else relays over HTTP/2) and sends it as one link call. */
  #viaLink(
    stream: Stream,
    headers: http2.IncomingHttpHeaders,
    port: number,
    link: GrpcLinkClient,
    buffered: Buffer[],
    outcome: { failed: boolean; status: number },
    extra: http2.OutgoingHttpHeaders | undefined,
  ): void {
    const chunks = buffered;
    let size = 0;
    for (const b of chunks) size += b.length;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > LINK_MAX_BODY) {
        stream.off('data', onData);
        stream.off('end', send);
        stream.pause();
        this.#relay(stream, headers, port, chunks, outcome, extra);
      }
    };
    const send = () => {
      if (stream.destroyed || stream.closed) return;
      const out: Record<string, string | string[] | undefined> = {};
      for (const k in headers) if (k.charCodeAt(0) !== 58 && !NOT_FORWARDED.has(k)) out[k] = headers[k];
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      const id = link.call(headers[':path'] ?? '', out, body, (answer) =>
        this.#linkAnswer(stream, answer, outcome, extra),
      );
      stream.once('close', () => link.cancel(id));
    };
    if (stream.readableEnded) {
      send();
      return;
    }
    stream.on('data', onData);
    stream.once('end', send);
    stream.resume();
  }

  #linkAnswer(
    stream: Stream,
    answer: LinkFrame | Error,
    outcome: { failed: boolean; status: number },
    extra: http2.OutgoingHttpHeaders | undefined,
  ): void {
    if (answer instanceof Error) {
      outcome.failed = true;
      respondStatus(stream, GRPC_STATUS.UNAVAILABLE, `the model server did not answer: ${answer.message}`);
      return;
    }
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    if (answer.type === FRAME_OK) {
      outcome.status = 0;
      stream.respond(extra ? { ...LINK_OK_HEADERS, ...extra } : LINK_OK_HEADERS, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers(LINK_OK_TRAILERS));
      stream.end(answer.body);
      return;
    }
    const sep = answer.head.indexOf('\0');
    outcome.status = Number(answer.head.slice(0, sep)) || 2 /* UNKNOWN */;
    stream.respond(
      {
        'grpc-status': answer.head.slice(0, sep),
        'grpc-message': answer.head.slice(sep + 1),
        ':status': 200,
        'content-type': 'application/grpc+proto',
        ...extra,
      },
      { endStream: true },
    );
  }

  #session(port: number): http2.ClientHttp2Session {
    const existing = this.#upstream.get(port);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const target = (this.#opts.targetOf ?? loopbackTarget)(port);
    const session = http2.connect(`http://${target.host}:${target.port}`, {
      settings: SESSION_SETTINGS,
      maxSessionMemory: 256,
    });
    const forget = () => {
      if (this.#upstream.get(port) === session) this.#upstream.delete(port);
    };
    session.once('close', forget);
    session.once('goaway', forget);
    session.on('error', forget);
    session.once('localSettings', () => session.setLocalWindowSize(WINDOW_BYTES));
    session.unref();
    this.#upstream.set(port, session);
    return session;
  }

  #relay(
    stream: Stream,
    headers: http2.IncomingHttpHeaders,
    port: number,
    buffered: Buffer[],
    outcome: { failed: boolean; status: number },
    extra: http2.OutgoingHttpHeaders | undefined,
  ): void {
    const out: http2.OutgoingHttpHeaders = {};
    for (const k in headers) if (!NOT_FORWARDED.has(k)) out[k] = headers[k];
    let up: http2.ClientHttp2Stream;
    try {
      up = this.#session(port).request(out);
    } catch (err) {
      outcome.failed = true;
      respondStatus(stream, GRPC_STATUS.UNAVAILABLE, `the model server did not answer: ${(err as Error).message}`);
      return;
    }
    let trailers: http2.IncomingHttpHeaders | undefined;
    up.on('response', (h, flags) => {
      const res: http2.OutgoingHttpHeaders = {};
      for (const k in h) if (!NOT_FORWARDED.has(k)) res[k] = h[k];
      if (extra) Object.assign(res, extra);
      if (stream.destroyed) return;
      if (flags & NGHTTP2_FLAG_END_STREAM) {
        outcome.status = Number(h['grpc-status'] ?? 2);
        stream.respond(res, { endStream: true }); // trailers-only answer: a status without messages
        return;
      }
      stream.respond(res, { waitForTrailers: true });
      up.pipe(stream);
    });
    up.on('trailers', (t) => {
      trailers = t;
      outcome.status = Number(t['grpc-status'] ?? 2);
    });
    stream.on('wantTrailers', () => {
      const t: http2.OutgoingHttpHeaders = {};
      if (trailers) {
        for (const k in trailers) if (!k.startsWith(':')) t[k] = trailers[k];
      } else {
        t['grpc-status'] = String(GRPC_STATUS.INTERNAL);
        t['grpc-message'] = 'the model server sent no status';
      }
      stream.sendTrailers(t);
    });
    up.on('error', (err) => {
      outcome.failed = true;
      respondStatus(stream, GRPC_STATUS.UNAVAILABLE, `the model server did not answer: ${err.message}`);
    });
    up.on('close', () => {
      if (!stream.closed && !stream.destroyed && up.rstCode && up.rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
        outcome.failed = true;
        if (stream.headersSent) stream.close(up.rstCode);
        else respondStatus(stream, GRPC_STATUS.UNAVAILABLE, `the model server reset the call (code ${up.rstCode})`);
      }
    });
    // A client that goes away cancels the upstream call.
    stream.on('close', () => {
      if (!up.closed && !up.destroyed) up.close(NGHTTP2_CANCEL);
    });
    for (const b of buffered) up.write(b);
    stream.pipe(up);
    stream.resume();
  }

  close(): void {
    for (const l of this.#links.values()) l.close();
    this.#links.clear();
    for (const s of this.#upstream.values()) s.destroy();
    this.#upstream.clear();
    for (const s of this.#sessions) s.destroy();
    this.#sessions.clear();
    this.server.close();
  }
}
