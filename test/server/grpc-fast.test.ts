// The replica's node:http2 gRPC fast path (src/server/grpc/fast.ts, codec.ts) against @grpc/grpc-js and
// protobufjs: the codec decodes what protobufjs encodes and encodes byte-for-byte what protobufjs encodes for
// the objects the grpc-js service answers with (random requests and outputs of every datatype); the two
// servers answer the same raw HTTP/2 requests with the same headers, bytes and trailers, errors and
// malformed frames included; deadlines; and the gateway's link (src/http/grpc-link.ts) on the same port.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import * as protoLoader from '@grpc/proto-loader';
import { GrpcLinkClient } from '../../src/gateway/grpc-link-client.js';
import { FRAME_OK, FRAME_STATUS, type LinkFrame } from '../../src/http/grpc-link.js';
import { silentLogger } from '../../src/log.js';
import type { Datatype, Model, PredictOptions, Tensor } from '../../src/runtimes/model.js';
import { encodeRawTensor } from '../../src/server/binary-tensor.js';
import { CodecError, decodeModelInferRequest, encodeModelInferResponse } from '../../src/server/grpc/codec.js';
import { encodeGrpcOutput, encodeGrpcRawOutput } from '../../src/server/grpc/grpc-tensor.js';
import { type GrpcImplementation, listenLazyGrpc } from '../../src/server/grpc/lazy.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { ModelRepository } from '../../src/server/model-repository.js';
import { PROTO_FILE } from './grpc-client.js';
import { IrisTestModel, identityModel } from './helpers.js';

const PREFIX = '/inference.GRPCInferenceService/';

// protobufjs types exactly as grpc-js's proto-loader builds them.
const def = protoLoader.loadSync(PROTO_FILE, {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
type Codec = { serialize(v: unknown): Buffer; deserialize(b: Buffer): Record<string, unknown> };
const method = (name: string) => {
  const m = (def['inference.GRPCInferenceService'] as unknown as Record<string, Record<string, unknown>>)[name]!;
  return {
    req: { serialize: m.requestSerialize, deserialize: m.requestDeserialize } as Codec,
    res: { serialize: m.responseSerialize, deserialize: m.responseDeserialize } as Codec,
  };
};
const INFER = method('ModelInfer');

const frame = (message: Buffer, compressed = 0) => {
  const out = Buffer.alloc(5 + message.length);
  out[0] = compressed;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
};

// ------------------------------------------------------------------------------------ random messages

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DATATYPES: Datatype[] = [
  'BOOL',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'FP32',
  'FP64',
  'BYTES',
];

function randomValues(r: () => number, dt: Datatype, n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    switch (dt) {
      case 'BOOL':
        out.push(x < 0.5);
        break;
      case 'INT8':
      case 'INT16':
      case 'INT32':
        out.push(Math.floor((x - 0.5) * 2 ** 31));
        break;
      case 'UINT8':
      case 'UINT16':
      case 'UINT32':
        out.push(Math.floor(x * 2 ** 32));
        break;
      case 'INT64':
        out.push(String(BigInt.asIntN(64, BigInt(Math.floor(x * 2 ** 53)) * BigInt(Math.floor(r() * 4096) - 2048))));
        break;
      case 'UINT64':
        out.push(String(BigInt.asUintN(64, BigInt(Math.floor(x * 2 ** 53)) * BigInt(Math.floor(r() * 4096)))));
        break;
      case 'FP32':
      case 'FP64':
        out.push((x - 0.5) * 10 ** Math.floor(r() * 12 - 6));
        break;
      default:
        out.push(Buffer.from(`v${Math.floor(x * 1e6)}é`.repeat(Math.floor(r() * 3)), 'utf8'));
    }
  }
  return out;
}

const CONTENTS_FIELD: Record<string, string> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

function randomParams(r: () => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const k = `p${i}${r() < 0.3 ? 'ü' : ''}`;
    const c = r();
    out[k] =
      c < 0.33
        ? { bool_param: r() < 0.5 }
        : c < 0.66
          ? { int64_param: String(Math.floor((r() - 0.5) * 2 ** 40)) }
          : { string_param: `s${Math.floor(r() * 100)}` };
  }
  return out;
}

function randomRequest(r: () => number): Record<string, unknown> {
  const raw = r() < 0.3;
  const inputs = [];
  const rawContents: Buffer[] = [];
  const nIn = 1 + Math.floor(r() * 3);
  for (let i = 0; i < nIn; i++) {
    const dt = DATATYPES[Math.floor(r() * DATATYPES.length)]!;
    const n = Math.floor(r() * 6);
    const t: Record<string, unknown> = { name: `in${i}`, datatype: dt, shape: [n, r() < 0.2 ? -1 : 1] };
    if (r() < 0.3) t.parameters = randomParams(r);
    if (raw) rawContents.push(Buffer.from(randomValues(r, 'BYTES', 1)[0] as Buffer));
    else t.contents = { [CONTENTS_FIELD[dt]!]: randomValues(r, dt, n) };
    inputs.push(t);
  }
  const req: Record<string, unknown> = { model_name: `m${Math.floor(r() * 10)}`, inputs };
  if (r() < 0.5) req.id = `id-${Math.floor(r() * 1e6)}`;
  if (r() < 0.3) req.model_version = '1';
  if (r() < 0.3) req.parameters = randomParams(r);
  if (r() < 0.3) req.outputs = [{ name: 'out0' }, { name: 'out1', parameters: randomParams(r) }];
  if (raw) req.raw_input_contents = rawContents;
  return req;
}

/** bigint/number/string longs and Buffers to one comparable form. */
function normal(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return `hex:${v.toString('hex')}`;
  if (Array.isArray(v)) return v.map(normal);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normal(x);
    return out;
  }
  return v;
}

/** proto-loader's decoded request, with shape as numbers (what the fast decoder gives; consumers Number() them). */
function referenceDecode(bytes: Buffer): unknown {
  const obj = INFER.req.deserialize(bytes) as { inputs: { shape: string[] }[] };
  for (const t of obj.inputs) (t as { shape: unknown }).shape = t.shape.map(Number);
  return normal(obj);
}

test('codec: decodes 500 random ModelInferRequests as proto-loader does (packed and unpacked, every field)', () => {
  const r = rng(20);
  for (let i = 0; i < 500; i++) {
    const req = randomRequest(r);
    const bytes = INFER.req.serialize(req);
    assert.deepEqual(normal(decodeModelInferRequest(bytes)), referenceDecode(bytes), JSON.stringify(req));
  }
  // Unpacked repeated scalars (proto2-style senders) and unknown fields are read too.
  // model_name "m"; inputs (16 bytes): name "x", datatype "INT32", shape 2 and contents.int_contents 7 both
  // unpacked; then unknown field 100 (varint).
  const unpacked = Buffer.from('0a016d' + '2a10' + '0a0178' + '1205494e543332' + '1802' + '2a021007' + 'a00601', 'hex');
  assert.deepEqual(normal(decodeModelInferRequest(unpacked)), referenceDecode(unpacked));
});

test('codec: unknown groups are skipped, nested or not; 100,000 nested start tags are a CodecError, not a stack overflow', () => {
  const name = Buffer.from([0x0a, 0x04, ...Buffer.from('iris')]); // field 1 (model_name), "iris"
  // field 15 as a group holding a varint field and a nested group 14, then their end tags
  const group = Buffer.from([(15 << 3) | 3, 0x08, 0x01, (14 << 3) | 3, (14 << 3) | 4, (15 << 3) | 4]);
  assert.equal(decodeModelInferRequest(Buffer.concat([group, name])).model_name, 'iris');
  const deep = Buffer.alloc(100_000, (15 << 3) | 3);
  assert.throws(
    () => decodeModelInferRequest(deep),
    (err: Error) => err instanceof CodecError && /nested deeper than 100/.test(err.message),
  );
  const mismatched = Buffer.from([(15 << 3) | 3, (14 << 3) | 4]);
  assert.throws(() => decodeModelInferRequest(mismatched), CodecError);
});

test('codec: ModelInferResponse bytes equal protobufjs for the objects grpc-js answers with (typed and raw)', () => {
  const r = rng(21);
  for (let i = 0; i < 300; i++) {
    const outputs: Tensor[] = [];
    const n = Math.floor(r() * 4);
    const raw = r() < 0.3;
    for (let j = 0; j < n; j++) {
      const dt = DATATYPES[Math.floor(r() * DATATYPES.length)]!;
      const len = Math.floor(r() * 40);
      const values = randomValues(r, dt, len);
      const data =
        dt === 'INT64'
          ? BigInt64Array.from(values as string[], BigInt)
          : dt === 'UINT64'
            ? BigUint64Array.from(values as string[], BigInt)
            : dt === 'BYTES'
              ? (values as Buffer[]).map((b) => (r() < 0.5 ? b.toString('utf8') : b))
              : dt === 'BOOL'
                ? (values as boolean[])
                : dt === 'FP32'
                  ? Float32Array.from(values as number[])
                  : (values as number[]);
      const t: Tensor = { name: `out${j}`, datatype: dt, shape: [len], data: data as Tensor['data'] };
      if (r() < 0.3) t.parameters = { a: r() < 0.5, b: Math.floor(r() * 1e6) - 5e5, c: 'x', d: 1.5 };
      outputs.push(t);
    }
    const id = `id${i}`;
    const rawBytes = raw ? outputs.map(encodeRawTensor) : null;
    const mine = encodeModelInferResponse('model', id, outputs, rawBytes);
    // What service.ts hands grpc-js for the same answer.
    const res = {
      model_name: 'model',
      model_version: '',
      id,
      outputs: outputs.map((o) => (raw ? encodeGrpcRawOutput(o).tensor : encodeGrpcOutput(o))),
      raw_output_contents: rawBytes ?? [],
    };
    assert.equal(mine.subarray(5).toString('hex'), INFER.res.serialize(res).toString('hex'), `case ${i}`);
    assert.equal(mine.readUInt32BE(1), mine.length - 5);
  }
});

// ------------------------------------------------------------------------------ fast path vs grpc-js

interface RawAnswer {
  headers: Record<string, unknown>;
  body: string;
  trailers: Record<string, unknown>;
}

/** One raw HTTP/2 call; resolves with headers (no date), body bytes as hex and trailers; bounded wait. */
function rawCall(
  port: number,
  path: string,
  body: Buffer,
  headers: http2.OutgoingHttpHeaders = {},
  timeoutMs = 5_000,
): Promise<RawAnswer> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  return new Promise<RawAnswer>((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    const timer = setTimeout(() => reject(new Error(`no answer to ${path} within ${timeoutMs} ms`)), timeoutMs);
    let head: Record<string, unknown> = {};
    let trailers: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      head = { ...h };
      delete head.date;
    });
    req.on('trailers', (t) => {
      trailers = { ...t };
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('close', () => {
      clearTimeout(timer);
      resolve({ headers: head, body: Buffer.concat(chunks).toString('hex'), trailers });
    });
    req.end(body);
  }).finally(() => session.close());
}

async function startBoth(
  t: TestContext,
  models: Model[],
  opts: { maxReceiveMessageBytes?: number; maxSendMessageBytes?: number } = {},
): Promise<Record<GrpcImplementation, number>> {
  const repo = new ModelRepository();
  for (const m of models) repo.add(m);
  const ports = {} as Record<GrpcImplementation, number>;
  for (const impl of ['fast', 'grpc-js'] as const) {
    const s = await listenLazyGrpc(
      { models: repo, log: silentLogger, metrics: new ServerMetrics(), version: '9.9.9', ...opts },
      '127.0.0.1',
      0,
      impl,
    );
    t.after(() => s.forceShutdown());
    ports[impl] = s.port;
  }
  return ports;
}

const IRIS = [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6];
const infer = (req: Record<string, unknown>) => frame(INFER.req.serialize(req));
const irisInput = { name: 'input-0', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: IRIS } };

test('fast path and grpc-js answer the same requests with the same headers, bytes and trailers', async (t) => {
  const ports = await startBoth(
    t,
    [new IrisTestModel(), identityModel('id'), { ...identityModel('nr'), ready: false } as Model],
    { maxReceiveMessageBytes: 4096, maxSendMessageBytes: 1000 },
  );
  const gz = (req: Record<string, unknown>) => frame(gzipSync(INFER.req.serialize(req)), 1);
  const raw32 = Buffer.from(new Float32Array(IRIS).buffer);
  const cases: [string, string, Buffer, http2.OutgoingHttpHeaders?][] = [
    ['iris typed', 'ModelInfer', infer({ model_name: 'sklearn-iris', id: 'a', inputs: [irisInput] })],
    [
      'iris raw',
      'ModelInfer',
      infer({
        model_name: 'sklearn-iris',
        id: 'b',
        inputs: [{ name: 'input-0', datatype: 'FP32', shape: [2, 4] }],
        raw_input_contents: [raw32],
      }),
    ],
    [
      'identity, every datatype, parameters, outputs selection',
      'ModelInfer',
      infer({
        model_name: 'id',
        id: 'c',
        parameters: { k: { string_param: 'v' } },
        inputs: DATATYPES.map((dt, i) => ({
          name: `t${i}`,
          datatype: dt,
          shape: [2],
          parameters: { q: { int64_param: '7' } },
          contents: {
            [CONTENTS_FIELD[dt]!]: randomValues(rng(i), dt, 2).map((v) =>
              dt === 'INT8' ? 3 : dt === 'INT16' ? -4 : dt === 'UINT8' || dt === 'UINT16' ? 9 : v,
            ),
          },
        })),
        outputs: [{ name: 't1' }, { name: 't9' }, { name: 't11' }],
      }),
    ],
    [
      'gzip request',
      'ModelInfer',
      gz({ model_name: 'sklearn-iris', id: 'd', inputs: [irisInput] }),
      { 'grpc-encoding': 'gzip' },
    ],
    [
      'deflate request',
      'ModelInfer',
      frame(deflateSync(INFER.req.serialize({ model_name: 'sklearn-iris', id: 'e', inputs: [irisInput] })), 1),
      { 'grpc-encoding': 'deflate' },
    ],
    [
      'unknown encoding',
      'ModelInfer',
      gz({ model_name: 'sklearn-iris', inputs: [irisInput] }),
      { 'grpc-encoding': 'snappy' },
    ],
    ['not gzip', 'ModelInfer', frame(Buffer.from('not gzip'), 1), { 'grpc-encoding': 'gzip' }],
    ['gzip bomb', 'ModelInfer', frame(gzipSync(Buffer.alloc(100_000)), 1), { 'grpc-encoding': 'gzip' }],
    ['unknown model', 'ModelInfer', infer({ model_name: 'nope', inputs: [irisInput] })],
    ['not ready', 'ModelInfer', infer({ model_name: 'nr', id: 'n', inputs: [irisInput] })],
    ['bad shape', 'ModelInfer', infer({ model_name: 'sklearn-iris', inputs: [{ ...irisInput, shape: [3, 4] }] })],
    ['no inputs', 'ModelInfer', infer({ model_name: 'sklearn-iris' })],
    ['version', 'ModelInfer', infer({ model_name: 'sklearn-iris', model_version: '2', inputs: [irisInput] })],
    [
      'answer too big',
      'ModelInfer',
      infer({
        model_name: 'id',
        id: 'f',
        inputs: [{ name: 'x', datatype: 'FP64', shape: [200], contents: { fp64_contents: new Array(200).fill(0.5) } }],
      }),
    ],
    ['ServerLive', 'ServerLive', frame(Buffer.alloc(0))],
    ['ServerReady', 'ServerReady', frame(Buffer.alloc(0))],
    ['ServerMetadata', 'ServerMetadata', frame(Buffer.alloc(0))],
    ['ModelReady', 'ModelReady', frame(method('ModelReady').req.serialize({ name: 'nr' }))],
    ['ModelReady unknown', 'ModelReady', frame(method('ModelReady').req.serialize({ name: 'zz' }))],
    ['ModelMetadata', 'ModelMetadata', frame(method('ModelMetadata').req.serialize({ name: 'sklearn-iris' }))],
    [
      'RepositoryModelLoad',
      'RepositoryModelLoad',
      frame(method('RepositoryModelLoad').req.serialize({ model_name: 'nr' })),
    ],
    [
      'RepositoryModelUnload',
      'RepositoryModelUnload',
      frame(method('RepositoryModelUnload').req.serialize({ model_name: 'nr' })),
    ],
    ['unknown method', 'Nope', frame(Buffer.alloc(0))],
    // Malformed frames: never a crash or a hang.
    ['truncated message', 'ModelInfer', infer({ model_name: 'sklearn-iris', inputs: [irisInput] }).subarray(0, 20)],
    ['truncated prefix', 'ModelInfer', Buffer.from([0, 0, 0])],
    ['no message', 'ModelInfer', Buffer.alloc(0)],
    ['oversized length prefix', 'ModelInfer', Buffer.from([0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3])],
    ['bad varint', 'ModelInfer', frame(Buffer.alloc(11, 0xff))],
    ['two messages', 'ServerLive', Buffer.concat([frame(Buffer.alloc(0)), frame(Buffer.alloc(0))])],
    ['bad grpc-timeout', 'ServerLive', frame(Buffer.alloc(0)), { 'grpc-timeout': 'soon' }],
  ];
  for (const [what, m, body, headers] of cases) {
    const fast = await rawCall(ports.fast, PREFIX + m, body, headers);
    const ref = await rawCall(ports['grpc-js'], PREFIX + m, body, headers);
    assert.deepEqual(fast, ref, what);
  }
  // Invalid protobuf that protobufjs reads anyway (a length past the end of the message, wire type 7 on a
  // known field): the fast path refuses it as grpc-js refuses what protobufjs cannot read.
  for (const bad of [
    [0x0a, 0x20, 0x41],
    [0x0f, 0x01],
  ]) {
    const past = await rawCall(ports.fast, `${PREFIX}ModelInfer`, frame(Buffer.from(bad)));
    assert.equal(past.headers['grpc-status'], '13');
    assert.equal(past.headers['grpc-message'], 'Error%20deserializing%20request');
  }
  // Still serving after all that.
  const after = await rawCall(ports.fast, `${PREFIX}ServerLive`, frame(Buffer.alloc(0)));
  assert.equal(after.trailers['grpc-status'], '0');
  // Not gRPC at all: 415 from both.
  const plain = await rawCall(ports.fast, `${PREFIX}ServerLive`, Buffer.alloc(0), { 'content-type': 'text/plain' });
  assert.deepEqual(
    plain,
    await rawCall(ports['grpc-js'], `${PREFIX}ServerLive`, Buffer.alloc(0), { 'content-type': 'text/plain' }),
  );
  assert.equal(plain.headers[':status'], 415);
});

/** Answers after `ms` unless aborted first; counts aborts. */
function slowModel(ms: number): Model & { aborted: number } {
  const m = {
    name: 'slow',
    aborted: 0,
    metadata: () => ({ platform: '', inputs: [], outputs: [] }),
    predict(inputs: Tensor[], opts?: PredictOptions): Promise<Tensor[]> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve(inputs), ms);
        opts?.signal?.addEventListener('abort', () => {
          m.aborted++;
          clearTimeout(timer);
          reject(opts.signal?.reason);
        });
      });
    },
  };
  return m;
}

test('deadlines: grpc-timeout past → DEADLINE_EXCEEDED as grpc-js says it, and the model is aborted', async (t) => {
  // The model would answer after 10 s (was 2 s, with 1.5 s allowed for the 100 ms deadline on a loaded machine).
  const slow = slowModel(10_000);
  const ports = await startBoth(t, [slow]);
  const body = infer({ model_name: 'slow', inputs: [irisInput] });
  const started = performance.now();
  const fast = await rawCall(ports.fast, `${PREFIX}ModelInfer`, body, { 'grpc-timeout': '100m' });
  const took = performance.now() - started;
  assert.equal(fast.headers['grpc-status'], '4');
  assert.equal(fast.headers['grpc-message'], 'Deadline%20exceeded');
  assert.ok(took < 5_000, `answered after ${took} ms`);
  assert.equal(slow.aborted, 1);
  assert.deepEqual(fast, await rawCall(ports['grpc-js'], `${PREFIX}ModelInfer`, body, { 'grpc-timeout': '100m' }));
  // A deadline that is not reached changes nothing.
  const quick = slowModel(1);
  const p2 = await startBoth(t, [quick]);
  const ok = await rawCall(
    p2.fast,
    `${PREFIX}ModelInfer`,
    infer({ model_name: 'slow', id: 'x', inputs: [irisInput] }),
    {
      'grpc-timeout': '5S',
    },
  );
  assert.equal(ok.trailers['grpc-status'], '0');
  assert.equal(quick.aborted, 0);
});

// ------------------------------------------------------------------------------------------- the link

function linkTo(t: TestContext, port: number): Promise<GrpcLinkClient> {
  return new Promise((resolve, reject) => {
    let poll: NodeJS.Timeout | undefined;
    const fail = (err: Error) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error('link not ready within 5 s')), 5_000);
    const link = new GrpcLinkClient(port, {
      closed: (refused) => {
        if (!link.ready) fail(new Error(refused ? 'refused' : 'closed'));
      },
    });
    t.after(() => link.close());
    poll = setInterval(() => {
      if (link.ready) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(link);
      }
    }, 2);
  });
}

const linkCall = (link: GrpcLinkClient, path: string, headers: Record<string, string>, body: Buffer) =>
  new Promise<LinkFrame | Error>((resolve) => link.call(path, headers, body, resolve));

test('link: same answers as HTTP/2 on the same port; deadlines and cancellation reach the model; grpc-js refuses it', async (t) => {
  const slow = slowModel(2_000);
  const ports = await startBoth(t, [new IrisTestModel(), slow]);
  const link = await linkTo(t, ports.fast);
  const body = infer({ model_name: 'sklearn-iris', id: 'l', inputs: [irisInput] });
  const viaLink = (await linkCall(link, `${PREFIX}ModelInfer`, {}, body)) as LinkFrame;
  const viaH2 = await rawCall(ports.fast, `${PREFIX}ModelInfer`, body);
  assert.equal(viaLink.type, FRAME_OK);
  assert.equal(viaLink.body.toString('hex'), viaH2.body);
  // Errors carry the grpc-status and the grpc-message header value.
  const bad = (await linkCall(
    link,
    `${PREFIX}ModelInfer`,
    {},
    infer({ model_name: 'nope', inputs: [irisInput] }),
  )) as LinkFrame;
  assert.equal(bad.type, FRAME_STATUS);
  const h2bad = await rawCall(ports.fast, `${PREFIX}ModelInfer`, infer({ model_name: 'nope', inputs: [irisInput] }));
  assert.equal(bad.head, `${h2bad.headers['grpc-status']}\0${h2bad.headers['grpc-message']}`);
  // grpc-timeout travels as a header.
  const late = (await linkCall(
    link,
    `${PREFIX}ModelInfer`,
    { 'grpc-timeout': '50m' },
    infer({ model_name: 'slow', inputs: [irisInput] }),
  )) as LinkFrame;
  assert.equal(late.head, '4\0Deadline%20exceeded');
  assert.equal(slow.aborted, 1);
  // A cancelled call aborts the model's predict.
  const aborted = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (slow.aborted === 2) {
        clearInterval(check);
        resolve();
      }
    }, 2);
  });
  const id = link.call(`${PREFIX}ModelInfer`, {}, infer({ model_name: 'slow', inputs: [irisInput] }), () => {
    assert.fail('a cancelled call is not answered');
  });
  setTimeout(() => link.cancel(id), 20);
  await aborted;
  // Many calls at once on one connection, answered by id.
  const many = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      linkCall(
        link,
        `${PREFIX}ModelInfer`,
        {},
        infer({ model_name: 'sklearn-iris', id: `m${i}`, inputs: [irisInput] }),
      ),
    ),
  );
  for (const [i, f] of many.entries()) {
    assert.equal((f as LinkFrame).type, FRAME_OK);
    assert.equal(INFER.res.deserialize((f as LinkFrame).body.subarray(5)).id, `m${i}`);
  }
  // grpc-js (or any other gRPC server) does not speak it: the gateway hears "refused" and keeps HTTP/2.
  await assert.rejects(linkTo(t, ports['grpc-js']), /refused/);
});
