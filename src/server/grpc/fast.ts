// The replica's V2 gRPC service on node:http2 with the protobuf coded by hand (codec.ts): every method of
// `inference.GRPCInferenceService` is unary, so one stream is one request message and one answer. It answers
// what @grpc/grpc-js answered (service.ts, still used with INFERD_GRPC_SERVER=grpc-js and by the tests as
// the reference): the same headers, messages, trailers and status details, grpc-timeout deadlines,
// gzip/deflate request messages, the same message size limits and errors. grpc-js costs ~3× more per call
// (docs/benchmarks.md: its call objects, interceptors, metadata and protobufjs objects on every call).

import http2 from 'node:http2';
import type net from 'node:net';
import { gunzip, inflate } from 'node:zlib';
import {
  encodeLinkFrame,
  FRAME_CALL,
  FRAME_CANCEL,
  FRAME_OK,
  FRAME_STATUS,
  LINK_MAGIC,
  LINK_SNIFF_BYTES,
  type LinkFrame,
  LinkFrameReader,
} from '../../http/grpc-link.js';
import type { Tensor } from '../../runtimes/model.js';
import { encodeRawTensor } from '../binary-tensor.js';
import {
  CodecError,
  decodeEmpty,
  decodeModelInferRequest,
  decodeModelName,
  decodeNameVersion,
  encodeBool,
  encodeModelInferResponse,
  encodeModelMetadata,
  encodeRepositoryAnswer,
  encodeServerMetadata,
} from './codec.js';
import {
  GRPC_CODES,
  type GrpcCallSide,
  type GrpcContext,
  modelInfer,
  modelMetadata,
  modelReady,
  repositoryLoad,
  SERVER_EXTENSIONS,
  statusOf,
} from './handlers.js';
import { DEFAULT_GRPC_MAX_MESSAGE_BYTES } from './limits.js';
import type { GrpcServerOptions } from './service.js';

const PREFIX = '/inference.GRPCInferenceService/';
const { HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE } = http2.constants;
// grpc-js's response headers (server-interceptors.ts), so clients see no difference.
const RESPONSE_HEADERS: http2.OutgoingHttpHeaders = {
  [HTTP2_HEADER_STATUS]: 200,
  [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
};
const OK_TRAILERS: http2.OutgoingHttpHeaders = { 'grpc-status': 0, 'grpc-message': 'OK' };
const DEADLINE_REGEX = /(\d{1,8})\s*([HMSmun])/;
const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
// Headers grpc-js keeps out of the call's metadata.
const NOT_METADATA = new Set(['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te']);
// Big tensors travel in one message: windows far above HTTP/2's 64 KiB default keep loopback fast.
const WINDOW_BYTES = 16 * 1024 * 1024;

type Stream = http2.ServerHttp2Stream;
type Status = { code: number; details: string };

/** What a method does with its one request message: a framed answer, or a failure (a status). */
export type Method = (message: Buffer, call: Call) => Buffer | Promise<Buffer>;

/** Where one call's answer goes: an HTTP/2 stream, or a frame on the gateway's link (link.ts). */
export interface Sink {
  /** True while an answer can still be sent. */
  alive(): boolean;
  /** The message, then trailers grpc-status 0 / grpc-message OK. */
  ok(framed: Buffer): void;
  /** A trailers-only answer; `message` is the grpc-message header value as sent. */
  status(code: number, message: string): void;
}

/** Request headers as the transport gives them (node:http2's object, or the link's decoded pairs). */
export type CallHeaders = Record<string, string | string[] | undefined>;

/** One call: where it answers, its deadline and cancellation. */
export class Call implements GrpcCallSide {
  done = false;
  #cancel: (() => void)[] | undefined;
  timer: NodeJS.Timeout | undefined;
  constructor(
    readonly sink: Sink,
    readonly headers: CallHeaders,
    readonly path: string,
    readonly method: Method,
  ) {}

  metadata(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k in this.headers) {
      if (k.charCodeAt(0) === 58 /* ':' */ || NOT_METADATA.has(k) || k === 'content-type' || k.endsWith('-bin'))
        continue;
      const v = this.headers[k];
      if (typeof v === 'string') out[k] = v;
      else if (Array.isArray(v) && v.length > 0) out[k] = v[0]!;
    }
    return out;
  }

  onCancel(fn: () => void): void {
    if (this.done) return;
    if (this.#cancel) this.#cancel.push(fn);
    else this.#cancel = [fn];
  }

  /** The call ends: no answer after this; listeners hear about it when it did not answer normally. */
  finish(cancelled: boolean): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    if (cancelled && this.#cancel) for (const fn of this.#cancel) fn();
    this.#cancel = undefined;
  }
}

/** The transport-independent part: starting a call and handing it its request body. */
export interface GrpcCore {
  /** A call for `path`, or null when it was answered already (unknown method). */
  begin(sink: Sink, headers: CallHeaders, path: string): Call | null;
  /** The request body (every byte of the stream) arrived: split, decompress, run, answer. */
  complete(call: Call, body: Buffer): void;
  /** Bytes of a message prefix past which the call is refused (RESOURCE_EXHAUSTED), for early checks. */
  readonly maxReceive: number;
  sendStatus(call: Call, s: Status): void;
}

class StreamSink implements Sink {
  constructor(readonly stream: Stream) {}
  alive(): boolean {
    return !this.stream.destroyed && !this.stream.closed;
  }
  ok(framed: Buffer): void {
    const stream = this.stream;
    stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
    stream.end(framed);
  }
  status(code: number, message: string): void {
    this.stream.respond(
      {
        'grpc-status': code,
        'grpc-message': message,
        [HTTP2_HEADER_STATUS]: 200,
        [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
      },
      { endStream: true },
    );
  }
}

/** Writes on a link socket, corked until the end of the tick so answers finishing together share a write. */
class LinkWriter {
  #corked = false;
  constructor(readonly socket: net.Socket) {}
  write(frame: Buffer): void {
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }
}

/** One call's answer as a frame on the gateway's link. */
class LinkSink implements Sink {
  constructor(
    readonly link: LinkConnection,
    readonly id: number,
  ) {}
  alive(): boolean {
    return !this.link.socket.destroyed && this.link.calls.has(this.id);
  }
  ok(framed: Buffer): void {
    this.link.calls.delete(this.id);
    this.link.out.write(encodeLinkFrame(FRAME_OK, this.id, '', framed));
    this.link.idle();
  }
  status(code: number, message: string): void {
    this.link.calls.delete(this.id);
    this.link.out.write(encodeLinkFrame(FRAME_STATUS, this.id, `${code}\0${message}`, undefined));
    this.link.idle();
  }
}

/** A gateway's link connection (src/http/grpc-link.ts): calls by id, answered as frames. */
class LinkConnection {
  readonly calls = new Map<number, Call>();
  readonly out: LinkWriter;
  closing = false;
  constructor(
    readonly socket: net.Socket,
    readonly core: GrpcCore,
  ) {
    this.out = new LinkWriter(socket);
  }

  /** Ends the connection once no call is in flight (after shutdown began). */
  idle(): void {
    if (this.closing && this.calls.size === 0) this.socket.end();
  }

  frame(f: LinkFrame): void {
    if (f.type === FRAME_CANCEL) {
      const call = this.calls.get(f.id);
      this.calls.delete(f.id);
      call?.finish(true);
      this.idle();
      return;
    }
    if (f.type !== FRAME_CALL) throw new Error(`unexpected link frame type ${f.type}`);
    const parts = f.head.split('\0');
    const headers: CallHeaders = {};
    for (let i = 1; i + 1 < parts.length; i += 2) {
      const k = parts[i]!;
      const prev = headers[k];
      if (prev === undefined) headers[k] = parts[i + 1]!;
      else if (Array.isArray(prev)) prev.push(parts[i + 1]!);
      else headers[k] = [prev, parts[i + 1]!];
    }
    const sink = new LinkSink(this, f.id);
    this.calls.set(f.id, undefined as unknown as Call); // alive() while begin() may answer at once
    const call = this.core.begin(sink, headers, parts[0] ?? '');
    if (!call) return;
    if (!this.calls.has(f.id)) return;
    this.calls.set(f.id, call);
    this.core.complete(call, f.body);
  }
}

export interface FastGrpcServer {
  readonly server: http2.Http2Server;
  readonly core: GrpcCore;
  /** Takes a new connection: the gateway's link (by its first bytes) or HTTP/2. */
  accept(socket: net.Socket): void;
  /** Stops accepting, lets in-flight calls finish for up to `graceMs`, then closes the rest. */
  shutdown(graceMs: number): Promise<void>;
  forceShutdown(): void;
}

/** Creates (does not bind) the server; sockets come from lazy.ts (`server.emit('connection', socket)`). */
export function createFastGrpcServer(opts: GrpcServerOptions): FastGrpcServer {
  const ctx: GrpcContext = { models: opts.models, metrics: opts.metrics, log: opts.log };
  const maxReceive = opts.maxReceiveMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES;
  const maxSend = opts.maxSendMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES;
  const sessions = new Set<http2.ServerHttp2Session>();
  const live = encodeBool(true);

  const infer: Method = async (message, call) => {
    const req = decodeModelInferRequest(message);
    const r = await modelInfer(ctx, req, call);
    const raw = r.raw ? r.outputs.map((o: Tensor) => encodeRawTensor(o)) : null;
    return encodeModelInferResponse(req.model_name, r.id, r.outputs, raw);
  };
  const methods = new Map<string, Method>([
    [`${PREFIX}ModelInfer`, infer],
    [
      `${PREFIX}ServerLive`,
      (m) => {
        decodeEmpty(m);
        return live;
      },
    ],
    [
      `${PREFIX}ServerReady`,
      (m) => {
        decodeEmpty(m);
        return live;
      },
    ],
    [`${PREFIX}ModelReady`, (m) => encodeBool(modelReady(ctx, decodeNameVersion(m)))],
    [
      `${PREFIX}ModelMetadata`,
      (m) => {
        const md = modelMetadata(ctx, decodeNameVersion(m));
        return encodeModelMetadata(md.name, md.platform, md.inputs, md.outputs);
      },
    ],
    [
      `${PREFIX}ServerMetadata`,
      (m) => {
        decodeEmpty(m);
        return encodeServerMetadata('inferd', opts.version, SERVER_EXTENSIONS);
      },
    ],
    [
      `${PREFIX}RepositoryModelLoad`,
      (m) => {
        const name = decodeModelName(m).model_name;
        repositoryLoad(ctx, name, true);
        return encodeRepositoryAnswer(name, true);
      },
    ],
    [
      `${PREFIX}RepositoryModelUnload`,
      (m) => {
        const name = decodeModelName(m).model_name;
        repositoryLoad(ctx, name, false);
        return encodeRepositoryAnswer(name, true);
      },
    ],
  ]);

  /** A trailers-only status (grpc-js's sendStatus before any header went out). */
  const sendStatus = (call: Call, st: Status) => {
    if (call.done || !call.sink.alive()) {
      call.finish(true);
      return;
    }
    call.finish(st.code !== GRPC_CODES.OK);
    call.sink.status(st.code, encodeURI(st.details));
  };

  const answer = (call: Call, framed: Buffer) => {
    if (call.done || !call.sink.alive()) return;
    if (framed.length - 5 > maxSend) {
      sendStatus(call, {
        code: GRPC_CODES.RESOURCE_EXHAUSTED,
        details: `Sent message larger than max (${framed.length} vs. ${maxSend})`,
      });
      return;
    }
    call.finish(false);
    call.sink.ok(framed);
  };

  const fail = (call: Call, err: unknown) => {
    if (err instanceof CodecError)
      sendStatus(call, { code: GRPC_CODES.INTERNAL, details: 'Error deserializing request' });
    else sendStatus(call, statusOf(opts.log, err));
  };

  const run = (call: Call, message: Buffer) => {
    let result: Buffer | Promise<Buffer>;
    try {
      result = call.method(message, call);
    } catch (err) {
      fail(call, err);
      return;
    }
    if (result instanceof Promise)
      result.then(
        (b) => answer(call, b),
        (err) => fail(call, err),
      );
    else answer(call, result);
  };

  /** The message's payload, decompressed per its flag and grpc-encoding (grpc-js's decompressMessage). */
  const payload = (call: Call, frame: Buffer, then: (m: Buffer) => void) => {
    const body = frame.subarray(5);
    if (frame[0] === 0) return then(body);
    const encoding = String(call.headers['grpc-encoding'] ?? 'identity');
    if (encoding === 'identity') return then(body);
    if (encoding !== 'gzip' && encoding !== 'deflate') {
      sendStatus(call, {
        code: GRPC_CODES.UNIMPLEMENTED,
        details: `Received message compressed with unsupported encoding "${encoding}"`,
      });
      return;
    }
    const unzip = encoding === 'gzip' ? gunzip : inflate;
    unzip(body, { maxOutputLength: maxReceive + 1 }, (err, out) => {
      if (err || out.length > maxReceive) {
        const tooBig = (err as NodeJS.ErrnoException | null)?.code === 'ERR_BUFFER_TOO_LARGE' || !err;
        sendStatus(
          call,
          tooBig
            ? {
                code: GRPC_CODES.RESOURCE_EXHAUSTED,
                details: `Received message that decompresses to a size larger than ${maxReceive}`,
              }
            : { code: GRPC_CODES.INTERNAL, details: 'Failed to decompress message' },
        );
        return;
      }
      then(out);
    });
  };

  const tooLarge = (length: number): Status => ({
    code: GRPC_CODES.RESOURCE_EXHAUSTED,
    details: `Received message larger than max (${length} vs ${maxReceive})`,
  });

  const core: GrpcCore = {
    maxReceive,
    sendStatus,
    begin(sink, headers, path) {
      const method = methods.get(path);
      if (!method) {
        sink.status(GRPC_CODES.UNIMPLEMENTED, `The server does not implement the method ${path}`);
        return null;
      }
      const call = new Call(sink, headers, path, method);
      const timeout = headers['grpc-timeout'];
      if (typeof timeout === 'string') {
        const m = DEADLINE_REGEX.exec(timeout);
        if (m === null) {
          process.nextTick(() =>
            sendStatus(call, { code: GRPC_CODES.INTERNAL, details: `Invalid grpc-timeout value "${timeout}"` }),
          );
        } else {
          const ms = (Number(m[1]) * UNIT_MS[m[2]!]!) | 0;
          call.timer = setTimeout(
            () => sendStatus(call, { code: GRPC_CODES.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }),
            ms,
          );
        }
      }
      return call;
    },
    // Messages as grpc-js's StreamDecoder reads them: a 5-byte prefix, then the declared length; a unary
    // call takes exactly one.
    complete(call, body) {
      if (call.done) return;
      let length = body.length >= 5 ? body.readUInt32BE(1) : -1;
      if (length > maxReceive) return sendStatus(call, tooLarge(length));
      if (length < 0 || body.length < 5 + length) {
        sendStatus(call, {
          code: GRPC_CODES.UNIMPLEMENTED,
          details: `Received no request message for server streaming method ${call.path}`,
        });
        return;
      }
      const message = body.subarray(0, 5 + length);
      const rest = body.subarray(5 + length);
      if (rest.length >= 5) {
        length = rest.readUInt32BE(1);
        if (length > maxReceive) return sendStatus(call, tooLarge(length));
        if (rest.length >= 5 + length) {
          sendStatus(call, {
            code: GRPC_CODES.UNIMPLEMENTED,
            details: `Received a second request message for server streaming method ${call.path}`,
          });
          return;
        }
      }
      payload(call, message, (m) => run(call, m));
    },
  };

  const onStream = (stream: Stream, headers: http2.IncomingHttpHeaders) => {
    stream.on('error', () => {}); // a reset stream: 'close' follows and ends the call
    const contentType = headers[HTTP2_HEADER_CONTENT_TYPE];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      stream.respond(
        { [HTTP2_HEADER_STATUS]: http2.constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE },
        { endStream: true },
      );
      return;
    }
    const call = core.begin(new StreamSink(stream), headers, headers[':path'] ?? '');
    if (!call) return;
    stream.once('close', () => call.finish(true));
    // The body is read whole (one message); an oversized prefix is refused as soon as it is seen.
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      if (call.done) return;
      chunks.push(chunk);
      size += chunk.length;
      if (size >= 5 && size - chunk.length < 5) {
        const head = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
        const length = head.readUInt32BE(1);
        if (length > maxReceive) {
          sendStatus(call, tooLarge(length));
          stream.off('data', onData);
          stream.resume();
        }
      }
    };
    stream.on('data', onData);
    stream.once('end', () => {
      if (!call.done) core.complete(call, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
  };

  const server = http2.createServer({
    settings: { initialWindowSize: WINDOW_BYTES, maxConcurrentStreams: 1000 },
    maxSessionMemory: 256,
  });
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.on('error', () => session.destroy());
    session.once('localSettings', () => session.setLocalWindowSize(WINDOW_BYTES));
  });
  server.on('stream', onStream);

  const links = new Set<LinkConnection>();
  const serveLink = (socket: net.Socket, first: Buffer) => {
    let hello: Buffer | undefined = first;
    const link = new LinkConnection(socket, core);
    const reader = new LinkFrameReader(2 * maxReceive + 1024 * 1024);
    const frames: LinkFrame[] = [];
    links.add(link);
    socket.once('close', () => {
      links.delete(link);
      for (const call of link.calls.values()) call?.finish(true);
      link.calls.clear();
    });
    socket.on('error', () => socket.destroy());
    const onData = (chunk: Buffer) => {
      if (hello) {
        chunk = Buffer.concat([hello, chunk]);
        if (chunk.length < LINK_MAGIC.length) {
          hello = chunk;
          return;
        }
        hello = undefined;
        if (!chunk.subarray(0, LINK_MAGIC.length).equals(LINK_MAGIC)) {
          socket.destroy();
          return;
        }
        socket.write(LINK_MAGIC);
        chunk = chunk.subarray(LINK_MAGIC.length);
        if (chunk.length === 0) return;
      }
      try {
        reader.push(chunk, frames);
        for (const f of frames) link.frame(f);
      } catch (err) {
        opts.log.error('grpc link error', { error: err instanceof Error ? err.message : String(err) });
        socket.destroy();
      } finally {
        frames.length = 0;
      }
    };
    socket.on('data', onData);
    onData(Buffer.alloc(0));
  };

  const accept = (socket: net.Socket) => {
    let first: Buffer | undefined;
    const onFirst = (chunk: Buffer) => {
      first = first ? Buffer.concat([first, chunk]) : chunk;
      if (first.length < LINK_SNIFF_BYTES) return;
      socket.off('data', onFirst);
      socket.off('end', onEnd);
      socket.pause();
      if (first.subarray(0, LINK_SNIFF_BYTES).equals(LINK_MAGIC.subarray(0, LINK_SNIFF_BYTES))) {
        serveLink(socket, first);
        socket.resume();
      } else {
        // HTTP/2: the session reads what the socket already holds (node:http2 setupHandle).
        socket.unshift(first);
        server.emit('connection', socket);
      }
    };
    const onEnd = () => socket.destroy();
    socket.on('data', onFirst);
    socket.once('end', onEnd);
    socket.once('error', () => socket.destroy());
  };

  return {
    server,
    core,
    accept,
    shutdown: (graceMs) =>
      new Promise<void>((resolve) => {
        const open: { once(e: 'close', fn: () => void): unknown }[] = [...sessions, ...[...links].map((l) => l.socket)];
        for (const s of sessions) s.close();
        for (const l of links) {
          l.closing = true;
          l.idle();
        }
        if (open.length === 0) return resolve();
        const timer = setTimeout(() => {
          for (const s of sessions) s.destroy();
          for (const l of links) l.socket.destroy();
          resolve();
        }, graceMs);
        timer.unref();
        let left = open.length;
        for (const s of open)
          s.once('close', () => {
            if (--left === 0) {
              clearTimeout(timer);
              resolve();
            }
          });
      }),
    forceShutdown: () => {
      for (const s of sessions) s.destroy();
      for (const l of links) l.socket.destroy();
    },
  };
}
