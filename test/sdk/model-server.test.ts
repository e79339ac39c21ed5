// The SDK's Model served by its ModelServer, in process: KServe's lifecycle order (preprocess → predict →
// postprocess, explain), ready semantics, headers and request id, V1/V2 shapes, typed arrays in, errors out,
// and the same server code as the built-in runtimes (gRPC, /metrics).

import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  InferdError,
  type InferRequest,
  InferResponse,
  Model,
  ModelServer,
  type Payload,
  type RequestContext,
  type Result,
  tensor,
  type V1Request,
} from '../../src/index.js';
import { silentLogger } from '../../src/log.js';
import { inferenceClient } from '../server/grpc-client.js';

class Recorder extends Model {
  readonly calls: string[] = [];
  readonly contexts: RequestContext[] = [];
  inputs: InferRequest | undefined;

  override preprocess(payload: Payload, ctx: RequestContext): Payload {
    this.calls.push('preprocess');
    this.contexts.push(ctx);
    return payload;
  }

  override async predict(payload: Payload, ctx: RequestContext): Promise<Result> {
    this.calls.push('predict');
    if (ctx.protocol === 'v1') {
      const rows = (payload as V1Request).instances as number[][];
      return { predictions: Float32Array.from(rows.map((r) => r.reduce((a, b) => a + b, 0))) };
    }
    const req = payload as InferRequest;
    this.inputs = req;
    const x = req.inputs[0]!.asFloat32();
    const sums = new Float32Array(req.inputs[0]!.shape[0]!);
    for (let i = 0; i < sums.length; i++) sums[i] = (req.inputs[0]!.row(i) as Float32Array).reduce((a, b) => a + b, 0);
    assert.ok(x.length > 0);
    return new InferResponse(this.name, [tensor('sum', [sums.length], sums)], req.id);
  }

  override postprocess(result: Result, _ctx: RequestContext): Result {
    this.calls.push('postprocess');
    return result;
  }

  override explain(_payload: Payload, _ctx: RequestContext): Result {
    this.calls.push('explain');
    return { explanations: ['because'] };
  }
}

async function serve(t: { after(fn: () => unknown): void }, ...models: Model[]) {
  const server = new ModelServer({ httpPort: 0, grpcPort: 0, log: silentLogger });
  await server.start(models);
  t.after(() => server.stop(1_000));
  return { server, url: `http://127.0.0.1:${server.httpPort}` };
}

const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.text() };
};

test('V1 predict runs preprocess → predict → postprocess with headers and x-request-id; typed arrays become JSON arrays', async (t) => {
  const m = new Recorder('rec');
  const { url } = await serve(t, m);
  assert.equal(m.ready, true, 'start() called the default load(), which sets ready');
  const r = await post(
    `${url}/v1/models/rec:predict`,
    {
      instances: [
        [1, 2],
        [3, 4.5],
      ],
    },
    { 'x-request-id': 'req-42', 'x-team': 'a' },
  );
  assert.deepEqual(r, { status: 200, body: '{"predictions":[3,7.5]}' });
  assert.deepEqual(m.calls, ['preprocess', 'predict', 'postprocess']);
  const ctx = m.contexts[0]!;
  assert.equal(ctx.requestId, 'req-42');
  assert.equal(ctx.protocol, 'v1');
  assert.equal(ctx.headers['x-team'], 'a');
  assert.equal(ctx.signal.aborted, false);
});

test('V1 explain runs preprocess → explain → postprocess; the default explain answers KServe 501', async (t) => {
  const m = new Recorder('rec');
  const plain = new Model('plain');
  const { url } = await serve(t, m, plain);
  assert.deepEqual(await post(`${url}/v1/models/rec:explain`, { instances: [[1]] }), {
    status: 200,
    body: '{"explanations":["because"]}',
  });
  assert.deepEqual(m.calls, ['preprocess', 'explain', 'postprocess']);
  assert.deepEqual(await post(`${url}/v1/models/plain:explain`, { instances: [[1]] }), {
    status: 501,
    body: '{"error":"Could not find explainer_host."}',
  });
  // KServe's Model.predict without predictor_host.
  assert.deepEqual(await post(`${url}/v1/models/plain:predict`, { instances: [[1]] }), {
    status: 501,
    body: '{"error":"Could not find predictor_host."}',
  });
});

test('"instances" that is not a list is KServe\'s 400 after preprocess; a body that is not JSON is 400', async (t) => {
  const { url } = await serve(t, new Recorder('rec'));
  assert.deepEqual(await post(`${url}/v1/models/rec:predict`, { instances: 5 }), {
    status: 400,
    body: '{"error":"Expected \\"instances\\" to be a list"}',
  });
  assert.equal((await post(`${url}/v1/models/rec:predict`, '{not json')).status, 400);
});

test('V2 infer hands predict an InferRequest over the decoded typed array (rows are views) and writes the InferResponse', async (t) => {
  const m = new Recorder('rec');
  const { url } = await serve(t, m);
  const r = await post(
    `${url}/v2/models/rec/infer`,
    { id: 'abc', inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4] }] },
    { 'x-request-id': 'hdr-id' },
  );
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(JSON.parse(r.body), {
    model_name: 'rec',
    model_version: null,
    id: 'abc',
    parameters: null,
    outputs: [{ name: 'sum', shape: [2], datatype: 'FP32', parameters: null, data: [3, 7] }],
  });
  const x = m.inputs!.inputs[0]!;
  assert.ok(x.data instanceof Float32Array);
  assert.equal((x.row(1) as Float32Array).buffer, (x.data as Float32Array).buffer, 'row() is a view, not a copy');
  assert.equal(m.contexts[0]!.requestId, 'hdr-id');
  assert.equal(m.contexts[0]!.protocol, 'v2');
  // Without x-request-id the V2 id is the request id.
  await post(`${url}/v2/models/rec/infer`, {
    id: 'body-id',
    inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }],
  });
  assert.equal(m.contexts[1]!.requestId, 'body-id');
});

test('a model whose load() leaves ready false answers 503 and says not ready; setting ready serves it (read per request)', async (t) => {
  class Slow extends Model {
    override load() {
      return false;
    }
    override async predict(): Promise<Result> {
      return { predictions: [1] };
    }
  }
  const m = new Slow('slow');
  const { url } = await serve(t, m);
  assert.deepEqual(await post(`${url}/v1/models/slow:predict`, { instances: [[1]] }), {
    status: 503,
    body: '{"error":"Model with name slow is not ready."}',
  });
  assert.equal((await fetch(`${url}/v2/models/slow/ready`)).status, 503);
  m.ready = true;
  assert.deepEqual(await post(`${url}/v1/models/slow:predict`, { instances: [[1]] }), {
    status: 200,
    body: '{"predictions":[1]}',
  });
  assert.equal((await fetch(`${url}/v2/models/slow/ready`)).status, 200);
  // The repository extension's unload writes the model's own flag.
  assert.equal((await post(`${url}/v2/repository/models/slow/unload`, '')).status, 200);
  assert.equal(m.ready, false);
});

test('errors are values: InferdError keeps its status, a plain Error is 500 with its message, a V2 dict answer is named', async (t) => {
  class Failing extends Model {
    override async predict(payload: Payload): Promise<Result> {
      const kind = (payload as V1Request).kind ?? (payload as InferRequest).parameters?.kind;
      if (kind === 'bad') throw new InferdError('INVALID_INPUT', 'feature 3 must be positive');
      if (kind === 'dict') return { predictions: [1] };
      throw new Error('disk on fire');
    }
  }
  const { url } = await serve(t, new Failing('f'));
  assert.deepEqual(await post(`${url}/v1/models/f:predict`, { kind: 'bad' }), {
    status: 400,
    body: '{"error":"feature 3 must be positive"}',
  });
  assert.deepEqual(await post(`${url}/v1/models/f:predict`, { kind: 'boom' }), {
    status: 500,
    body: '{"error":"disk on fire"}',
  });
  const v2 = await post(`${url}/v2/models/f/infer`, {
    parameters: { kind: 'dict' },
    inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }],
  });
  assert.equal(v2.status, 500);
  assert.match(v2.body, /model f answered a V2 request with object; return an InferResponse/);
});

test('gRPC ModelInfer reaches the same model with the call metadata as headers; /metrics counts it', async (t) => {
  const m = new Recorder('rec');
  const { server, url } = await serve(t, m);
  const client = inferenceClient(`127.0.0.1:${server.grpcPort}`);
  t.after(() => client.close());
  const md = new grpc.Metadata();
  md.set('x-request-id', 'grpc-7');
  const res = await client.ModelInfer(
    {
      model_name: 'rec',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }],
    },
    md,
  );
  assert.equal(res.outputs[0].name, 'sum');
  assert.deepEqual(res.outputs[0].contents.fp32_contents, [6]);
  const ctx = m.contexts.at(-1)!;
  assert.equal(ctx.protocol, 'grpc-v2');
  assert.equal(ctx.requestId, 'grpc-7');
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /model_name="rec"/);
});

test('BAD CALL - start() refuses no models, two models with one name, and a load() that throws (MODEL_LOAD_FAILED)', async () => {
  await assert.rejects(new ModelServer({ httpPort: 0, grpcPort: null }).start([]), { code: 'INVALID_CONFIG' });
  await assert.rejects(new ModelServer({ httpPort: 0, grpcPort: null }).start([new Model('a'), new Model('a')]), {
    code: 'INVALID_CONFIG',
  });
  class Broken extends Model {
    override load(): boolean {
      throw new Error('weights missing');
    }
  }
  await assert.rejects(new ModelServer({ httpPort: 0, grpcPort: null, log: silentLogger }).start([new Broken('b')]), {
    code: 'MODEL_LOAD_FAILED',
    message: /model b: load\(\) failed: weights missing/,
  });
});

test('EXPECTED FAILURE - a gRPC port in use stops the start with a message that says which flags get out of it', async (t) => {
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.after(() => busy.close());
  const port = (busy.address() as AddressInfo).port;
  await assert.rejects(
    new ModelServer({ httpPort: 0, grpcPort: port, log: silentLogger }).start([new Model('m')]),
    (err: InferdError) => {
      assert.equal(err.code, 'INVALID_CONFIG');
      assert.match(err.message, /EADDRINUSE.*; pass --grpc_port N \(0 picks a free port\) or --enable_grpc false$/);
      return true;
    },
  );
});

test('V2 binary tensor extension: raw FP32 in reaches predict as a Float32Array, binary output goes back raw', async (t) => {
  const m = new Recorder('rec');
  const { url } = await serve(t, m);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP32', parameters: { binary_data_size: 16 } }],
      parameters: { binary_data_output: true },
    }),
  );
  const raw = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);
  const res = await fetch(`${url}/v2/models/rec/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    body: Buffer.concat([header, raw]),
  });
  assert.equal(res.status, 200);
  const n = Number(res.headers.get('inference-header-content-length'));
  const body = Buffer.from(await res.arrayBuffer());
  const json = JSON.parse(body.subarray(0, n).toString());
  assert.deepEqual(json.outputs[0], { name: 'sum', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } });
  const out = new Float32Array(body.buffer.slice(body.byteOffset + n, body.byteOffset + n + 8));
  assert.deepEqual([...out], [3, 7]);
  assert.ok(m.inputs!.inputs[0]!.data instanceof Float32Array);
});

test("a transformer's default predict cancels its predictor call when the client goes away, through ctx.onAbort (no AbortSignal built per call)", async (t) => {
  // A predictor that holds every request: only the transformer's cancellation closes its connection.
  let held!: (req: http.IncomingMessage) => void;
  const arrived = new Promise<http.IncomingMessage>((r) => {
    held = r;
  });
  const predictor = http.createServer((req) => held(req));
  await new Promise<void>((r) => predictor.listen(0, '127.0.0.1', r));
  t.after(() => {
    predictor.closeAllConnections();
    predictor.close();
  });
  let signalReads = 0;
  class Identity extends Model {
    override predict(payload: Payload, ctx: RequestContext): Promise<Result> {
      // Counts reads of ctx.signal (building it costs an AbortController and a listener per request).
      const counted = new Proxy(ctx, {
        get(target, prop) {
          if (prop === 'signal') signalReads++;
          const v = Reflect.get(target, prop, target);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      return super.predict(payload, counted);
    }
  }
  const transformer = new Identity('m', {
    predictorHost: `127.0.0.1:${(predictor.address() as AddressInfo).port}`,
    timeoutMs: 60_000,
  });
  const { server } = await serve(t, transformer);
  const client = net.connect(server.httpPort!, '127.0.0.1');
  t.after(() => client.destroy());
  const body = '{"instances":[[1,2]]}';
  client.write(
    `POST /v1/models/m:predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );
  const req = await arrived;
  const cancelled = new Promise<void>((r) => req.socket.once('close', () => r()));
  client.destroy();
  await cancelled; // bounded by the test timeout; the call's own timeout is 60 s
  assert.equal(signalReads, 0, 'the default predict did not build ctx.signal');
});
