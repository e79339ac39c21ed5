// The replica's V2 gRPC service on node:http2 with the protobuf coded by hand (codec.ts): every method of
// `inference.GRPCInferenceService` is unary, so one stream is one request message and one answer. It answers
// what @grpc/grpc-js answered (service.ts, still used with INFERD_GRPC_SERVER=grpc-js and by the tests as
// the reference): the same headers, messages, trailers and status details, grpc-timeout deadlines,
// gzip/deflate request messages, the same message size limits and errors. grpc-js costs ~3× more per call
// (docs/benchmarks.md: its call objects, interceptors, metadata and protobufjs objects on every call).

import http2 from 'node:http2';
import { gunzip, inflate } from 'node:zlib';
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
type Method = (message: Buffer, call: Call) => Buffer | Promise<Buffer>;

/** One call: its stream, deadline and cancellation. */
class Call implements GrpcCallSide {
  done = false;
  #cancel: (() => void)[] | undefined;
  timer: NodeJS.Timeout | undefined;
  constructor(
    readonly stream: Stream,
    readonly headers: http2.IncomingHttpHeaders,
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

export interface FastGrpcServer {
  readonly server: http2.Http2Server;
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

  /** A trailers-only status (grpc-js's sendStatus before any header went out), or trailers after them. */
  const sendStatus = (call: Call, s: Status) => {
    const cancelled = s.code !== GRPC_CODES.OK;
    const stream = call.stream;
    if (call.done || stream.destroyed || stream.closed) {
      call.finish(true);
      return;
    }
    call.finish(cancelled);
    stream.respond(
      {
        'grpc-status': s.code,
        'grpc-message': encodeURI(s.details),
        [HTTP2_HEADER_STATUS]: 200,
        [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
      },
      { endStream: true },
    );
  };

  const answer = (call: Call, framed: Buffer) => {
    const stream = call.stream;
    if (call.done || stream.destroyed || stream.closed) return;
    if (framed.length - 5 > maxSend) {
      sendStatus(call, {
        code: GRPC_CODES.RESOURCE_EXHAUSTED,
        details: `Sent message larger than max (${framed.length} vs. ${maxSend})`,
      });
      return;
    }
    call.finish(false);
    stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
    stream.end(framed);
  };

  const fail = (call: Call, err: unknown) => {
    if (err instanceof CodecError)
      sendStatus(call, { code: GRPC_CODES.INTERNAL, details: 'Error deserializing request' });
    else sendStatus(call, statusOf(opts.log, err));
  };

  const run = (method: Method, call: Call, message: Buffer) => {
    let result: Buffer | Promise<Buffer>;
    try {
      result = method(message, call);
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
    const path = headers[':path'] ?? '';
    const method = methods.get(path);
    if (!method) {
      stream.respond(
        {
          'grpc-status': GRPC_CODES.UNIMPLEMENTED,
          'grpc-message': `The server does not implement the method ${path}`,
          [HTTP2_HEADER_STATUS]: 200,
          [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
        },
        { endStream: true },
      );
      return;
    }
    const call = new Call(stream, headers);
    stream.once('close', () => call.finish(true));
    const timeout = headers['grpc-timeout'];
    if (typeof timeout === 'string') {
      const m = DEADLINE_REGEX.exec(timeout);
      if (m === null) {
        process.nextTick(() =>
          sendStatus(call, { code: GRPC_CODES.INTERNAL, details: `Invalid grpc-timeout value "${timeout}"` }),
        );
        return;
      }
      const ms = (Number(m[1]) * UNIT_MS[m[2]!]!) | 0;
      call.timer = setTimeout(
        () => sendStatus(call, { code: GRPC_CODES.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }),
        ms,
      );
    }

    // Messages as grpc-js's StreamDecoder reads them: a 5-byte prefix, then the declared length.
    let chunks: Buffer[] = [];
    let size = 0;
    let need = -1; // bytes of the current message with its prefix, once the prefix is read
    let message: Buffer | undefined;
    const stop = (s: Status) => {
      sendStatus(call, s);
      stream.off('data', onData);
      stream.resume();
    };
    const onData = (chunk: Buffer) => {
      if (call.done) return;
      chunks.push(chunk);
      size += chunk.length;
      for (;;) {
        if (need < 0) {
          if (size < 5) return;
          if (chunks[0]!.length < 5) chunks = [Buffer.concat(chunks, size)];
          const length = chunks[0]!.readUInt32BE(1);
          if (length > maxReceive) {
            stop({
              code: GRPC_CODES.RESOURCE_EXHAUSTED,
              details: `Received message larger than max (${length} vs ${maxReceive})`,
            });
            return;
          }
          need = 5 + length;
        }
        if (size < need) return;
        if (message) {
          stop({
            code: GRPC_CODES.UNIMPLEMENTED,
            details: `Received a second request message for server streaming method ${path}`,
          });
          return;
        }
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        message = all.subarray(0, need);
        const rest = all.subarray(need);
        chunks = rest.length > 0 ? [rest] : [];
        size = rest.length;
        need = -1;
      }
    };
    stream.on('data', onData);
    stream.once('end', () => {
      if (call.done) return;
      if (!message) {
        sendStatus(call, {
          code: GRPC_CODES.UNIMPLEMENTED,
          details: `Received no request message for server streaming method ${path}`,
        });
        return;
      }
      payload(call, message, (m) => run(method, call, m));
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

  return {
    server,
    shutdown: (graceMs) =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.close();
        if (sessions.size === 0) return resolve();
        const timer = setTimeout(() => {
          for (const s of sessions) s.destroy();
          resolve();
        }, graceMs);
        timer.unref();
        let left = sessions.size;
        for (const s of sessions)
          s.once('close', () => {
            if (--left === 0) {
              clearTimeout(timer);
              resolve();
            }
          });
      }),
    forceShutdown: () => {
      for (const s of sessions) s.destroy();
    },
  };
}
