// The model server's V2 gRPC service, called by a @grpc/grpc-js client generated from the shipped proto:
// health and metadata, iris with typed contents and with raw contents, every datatype, the repository
// RPCs, and the status codes newer KServe answers (NOT_FOUND, INVALID_ARGUMENT, UNAVAILABLE). Every test runs
// against both implementations of the port: the node:http2 fast path and @grpc/grpc-js.

import assert from 'node:assert/strict';
import { test as nodeTest, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { silentLogger } from '../../src/log.js';
import type { Model } from '../../src/runtimes/model.js';
import { type GrpcImplementation, listenLazyGrpc } from '../../src/server/grpc/lazy.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { ModelRepository } from '../../src/server/model-repository.js';
import { type InferenceClient, inferenceClient } from './grpc-client.js';
import { IrisTestModel, identityModel } from './helpers.js';

const IRIS = [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6];
const IMPLEMENTATIONS: GrpcImplementation[] = ['fast', 'grpc-js'];

/** Registers the test once per implementation; startGrpc reads which from the test's name. */
function test(name: string, fn: (t: TestContext) => Promise<void>): void {
  for (const impl of IMPLEMENTATIONS) nodeTest(`${name} [${impl}]`, fn);
}
const implementationOf = (t: TestContext): GrpcImplementation => (t.name.endsWith('[grpc-js]') ? 'grpc-js' : 'fast');

async function startGrpc(
  t: TestContext,
  models: Model[] = [new IrisTestModel()],
  opts: { maxReceiveMessageBytes?: number } = {},
): Promise<{ client: InferenceClient; repo: ModelRepository; metrics: ServerMetrics }> {
  const repo = new ModelRepository();
  for (const m of models) repo.add(m);
  const metrics = new ServerMetrics();
  const server = await listenLazyGrpc(
    { models: repo, log: silentLogger, metrics, version: '9.9.9', ...opts },
    '127.0.0.1',
    0,
    implementationOf(t),
  );
  const client = inferenceClient(`127.0.0.1:${server.port}`);
  t.after(() => {
    client.close();
    server.forceShutdown();
  });
  return { client, repo, metrics };
}

async function rejectsWith(p: Promise<unknown>, code: grpc.status, details?: RegExp): Promise<void> {
  await assert.rejects(p, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `${grpc.status[err.code]}: ${err.details}`);
    if (details) assert.match(err.details, details);
    return true;
  });
}

test('health, server metadata and model metadata', async (t) => {
  const md = {
    platform: 'sklearn',
    inputs: [{ name: 'input-0', datatype: 'FP32' as const, shape: [-1, 4] }],
    outputs: [],
  };
  const { client } = await startGrpc(t, [
    { ...new IrisTestModel(), name: 'sklearn-iris', predict: () => [], metadata: () => md },
  ]);
  assert.deepEqual(await client.ServerLive({}), { live: true });
  assert.deepEqual(await client.ServerReady({}), { ready: true });
  assert.deepEqual(await client.ServerMetadata({}), {
    name: 'inferd',
    version: '9.9.9',
    extensions: ['model_repository_extension'],
  });
  assert.deepEqual(await client.ModelMetadata({ name: 'sklearn-iris' }), {
    name: 'sklearn-iris',
    versions: [],
    platform: 'sklearn',
    inputs: [{ name: 'input-0', datatype: 'FP32', shape: ['-1', '4'] }],
    outputs: [],
  });
  await rejectsWith(
    client.ModelMetadata({ name: 'nope' }),
    grpc.status.NOT_FOUND,
    /^Model with name nope does not exist\.$/,
  );
});

test('ModelInfer: iris with typed fp32 contents → int64 [1,1], request id echoed', async (t) => {
  const { client, metrics } = await startGrpc(t);
  const res = await client.ModelInfer({
    model_name: 'sklearn-iris',
    id: 'grpc-1',
    inputs: [{ name: 'input-0', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: IRIS } }],
  });
  assert.equal(res.id, 'grpc-1');
  assert.equal(res.model_name, 'sklearn-iris');
  assert.equal(res.outputs.length, 1);
  const o = res.outputs[0];
  assert.deepEqual([o.name, o.datatype, o.shape, o.contents.int64_contents], ['output-0', 'INT64', ['2'], ['1', '1']]);
  assert.deepEqual(res.raw_output_contents, []);
  const noId = await client.ModelInfer({
    model_name: 'sklearn-iris',
    inputs: [{ name: 'input-0', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: IRIS.slice(0, 4) } }],
  });
  assert.match(noId.id, /^[0-9a-f-]{36}$/);
  assert.match(
    metrics.render(),
    /inferd_model_requests_total\{model_name="sklearn-iris",protocol="grpc",code="200"\} 2/,
  );
});

test('ModelInfer: raw_input_contents in → raw_output_contents out (Triton client style)', async (t) => {
  const { client } = await startGrpc(t);
  const res = await client.ModelInfer({
    model_name: 'sklearn-iris',
    inputs: [{ name: 'input-0', datatype: 'FP32', shape: [2, 4] }],
    raw_input_contents: [Buffer.from(new Float32Array(IRIS).buffer)],
  });
  assert.equal(res.outputs[0].contents, null);
  assert.equal(res.raw_output_contents.length, 1);
  assert.deepEqual([...new BigInt64Array(new Uint8Array(res.raw_output_contents[0]).buffer)], [1n, 1n]);
});

test('ModelInfer: every datatype through typed contents, FP16 through raw; outputs selection', async (t) => {
  const { client } = await startGrpc(t, [identityModel()]);
  const cases: [string, string, unknown[]][] = [
    ['BOOL', 'bool_contents', [true, false]],
    ['INT8', 'int_contents', [-128, 127]],
    ['INT16', 'int_contents', [-32768, 32767]],
    ['INT32', 'int_contents', [-2147483648, 2147483647]],
    ['INT64', 'int64_contents', ['-9223372036854775808', '9223372036854775807']],
    ['UINT8', 'uint_contents', [0, 255]],
    ['UINT16', 'uint_contents', [0, 65535]],
    ['UINT32', 'uint_contents', [0, 4294967295]],
    ['UINT64', 'uint64_contents', ['0', '18446744073709551615']],
    ['FP32', 'fp32_contents', [1.5, -2.25]],
    ['FP64', 'fp64_contents', [Math.PI, -1e300]],
    ['BYTES', 'bytes_contents', [Buffer.from('héllo'), Buffer.from([0xff, 0x00])]],
  ];
  const res = await client.ModelInfer({
    model_name: 'identity',
    inputs: cases.map(([dt, field, values]) => ({ name: dt, datatype: dt, shape: [2], contents: { [field]: values } })),
  });
  for (let i = 0; i < cases.length; i++) {
    const [dt, field, values] = cases[i]!;
    const o = res.outputs[i];
    assert.deepEqual([o.name, o.datatype, o.shape], [dt, dt, ['2']]);
    assert.deepEqual(o.contents[field], values, dt);
  }
  const half = Buffer.from(new Uint16Array([0x3c00, 0xc000]).buffer);
  const fp16 = await client.ModelInfer({
    model_name: 'identity',
    inputs: [
      { name: 'h', datatype: 'FP16', shape: [2] },
      { name: 'i', datatype: 'INT32', shape: [1] },
    ],
    raw_input_contents: [half, Buffer.from(new Int32Array([7]).buffer)],
    outputs: [{ name: 'h' }],
  });
  assert.deepEqual(
    fp16.outputs.map((o: { name: string }) => o.name),
    ['h'],
  );
  assert.ok(fp16.raw_output_contents[0].equals(half));
  await rejectsWith(
    client.ModelInfer({
      model_name: 'identity',
      inputs: [{ name: 'h', datatype: 'FP16', shape: [1], contents: { fp32_contents: [1] } }],
    }),
    grpc.status.INVALID_ARGUMENT,
    /FP16 tensors must be sent in raw_input_contents/,
  );
});

test('EXPECTED FAILURE - status codes: NOT_FOUND, INVALID_ARGUMENT, UNAVAILABLE, UNIMPLEMENTED', async (t) => {
  const { client } = await startGrpc(t);
  const good = { name: 'input-0', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: IRIS } };
  await rejectsWith(
    client.ModelInfer({ model_name: 'nope', inputs: [good] }),
    grpc.status.NOT_FOUND,
    /^Model with name nope does not exist\.$/,
  );
  await rejectsWith(client.ModelReady({ name: 'nope' }), grpc.status.NOT_FOUND);
  const invalid: [Record<string, unknown>, RegExp][] = [
    [{ inputs: [{ ...good, shape: [3, 4] }] }, /cannot reshape array of size 8 into shape \(3,4\)/],
    [{ inputs: [] }, /Expected at least one tensor/],
    [{ inputs: [{ ...good, datatype: 'FP99' }] }, /invalid datatype "FP99"/],
    [{ inputs: [{ ...good, contents: { int_contents: [1] } }] }, /FP32 data goes in contents.fp32_contents/],
    [
      { inputs: [good, good], raw_input_contents: [Buffer.alloc(32)] },
      /raw_input_contents has 1 entries but the request has 2 inputs/,
    ],
    [{ inputs: [good], raw_input_contents: [Buffer.alloc(32)] }, /has both contents and raw_input_contents/],
    [{ inputs: [{ ...good, contents: null }], raw_input_contents: [Buffer.alloc(31)] }, /not a whole number of FP32/],
    [{ inputs: [{ ...good, shape: [4, 2] }] }, /X has 2 features, but SVC is expecting 4/],
    [{ inputs: [good], outputs: [{ name: 'zzz' }] }, /Unexpected inference output 'zzz' for model 'sklearn-iris'/],
  ];
  for (const [req, details] of invalid) {
    await rejectsWith(client.ModelInfer({ model_name: 'sklearn-iris', ...req }), grpc.status.INVALID_ARGUMENT, details);
  }
  await rejectsWith(
    client.ModelInfer({ model_name: 'sklearn-iris', model_version: '2', inputs: [good] }),
    grpc.status.UNIMPLEMENTED,
    /versioning not supported/,
  );

  // Repository extension: unload → ModelReady false, ModelInfer UNAVAILABLE; load → serving again.
  assert.deepEqual(await client.RepositoryModelUnload({ model_name: 'sklearn-iris' }), {
    model_name: 'sklearn-iris',
    isUnloaded: true,
  });
  assert.deepEqual(await client.ModelReady({ name: 'sklearn-iris' }), { ready: false });
  await rejectsWith(
    client.ModelInfer({ model_name: 'sklearn-iris', inputs: [good] }),
    grpc.status.UNAVAILABLE,
    /^Model with name sklearn-iris is not ready\.$/,
  );
  assert.deepEqual(await client.RepositoryModelLoad({ model_name: 'sklearn-iris' }), {
    model_name: 'sklearn-iris',
    isLoaded: true,
  });
  assert.deepEqual(await client.ModelReady({ name: 'sklearn-iris' }), { ready: true });
  await rejectsWith(client.RepositoryModelLoad({ model_name: 'nope' }), grpc.status.NOT_FOUND);
});

test('EXPECTED FAILURE - a message past the receive limit is RESOURCE_EXHAUSTED with the sizes', async (t) => {
  const { client } = await startGrpc(t, [identityModel()], { maxReceiveMessageBytes: 4096 });
  await rejectsWith(
    client.ModelInfer({
      model_name: 'identity',
      inputs: [{ name: 'x', datatype: 'UINT8', shape: [8192] }],
      raw_input_contents: [Buffer.alloc(8192)],
    }),
    grpc.status.RESOURCE_EXHAUSTED,
    /larger than max \(\d+ vs 4096\)/,
  );
  const ok = await client.ModelInfer({
    model_name: 'identity',
    inputs: [{ name: 'x', datatype: 'UINT8', shape: [16] }],
    raw_input_contents: [Buffer.alloc(16, 1)],
  });
  assert.equal(ok.raw_output_contents[0].length, 16);
});
