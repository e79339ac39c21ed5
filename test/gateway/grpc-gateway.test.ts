// The gateway's one port carrying gRPC (prior-knowledge h2c) next to HTTP/1.1: a @grpc/grpc-js client
// reaches an in-process model server (REST + gRPC, as a replica runs them) through `createGateway`,
// routed by model name and by `:authority`; statuses, held requests, compression and big messages.

import assert from 'node:assert/strict';
import http from 'node:http';
import { type TestContext, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EndpointTable } from '../../src/routing/endpoint-table.js';
import { type InferenceClient, inferenceClient } from '../server/grpc-client.js';
import { binaryBody, IrisTestModel, identityModel, request, splitBinaryReply } from '../server/helpers.js';
import { publish, startGateway, startReplica } from './helpers.js';

const IRIS = [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6];
const irisInfer = (model = 'sklearn-iris') => ({
  model_name: model,
  id: 'g-1',
  inputs: [{ name: 'input-0', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: IRIS } }],
});

function client(t: TestContext, port: number, options: grpc.ClientOptions = {}): InferenceClient {
  const c = inferenceClient(`127.0.0.1:${port}`, options);
  t.after(() => c.close());
  return c;
}

async function rejectsWith(p: Promise<unknown>, code: grpc.status, details?: RegExp): Promise<void> {
  await assert.rejects(p, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `${grpc.status[err.code]}: ${err.details}`);
    if (details) assert.match(err.details, details);
    return true;
  });
}

test('gRPC and HTTP/1.1 share the gateway port: iris [1,1] routed by model name', async (t) => {
  const endpoints = new EndpointTable();
  publish(endpoints, 'sklearn-iris', await startReplica(t, [new IrisTestModel()]));
  const port = await startGateway(t, endpoints);
  const c = client(t, port);
  const res = await c.ModelInfer(irisInfer());
  assert.equal(res.id, 'g-1');
  assert.deepEqual(res.outputs[0].contents.int64_contents, ['1', '1']);
  assert.deepEqual(await c.ModelReady({ name: 'sklearn-iris' }), { ready: true });
  assert.equal((await c.ModelMetadata({ name: 'sklearn-iris' })).name, 'sklearn-iris');
  // Server-level RPCs without a service in :authority are the gateway's own.
  assert.deepEqual(await c.ServerLive({}), { live: true });
  assert.deepEqual(await c.ServerReady({}), { ready: true });
  const md = await c.ServerMetadata({});
  assert.deepEqual([md.name, md.extensions], ['inferd', ['model_repository_extension']]);
  // REST on the same port, on a keep-alive connection, interleaved with gRPC calls.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  for (let i = 0; i < 3; i++) {
    const r = await request(
      { port, agent },
      'POST',
      '/v1/models/sklearn-iris:predict',
      '{"instances":[[6.8,2.8,4.8,1.4]]}',
      {
        'content-type': 'application/json',
      },
    );
    assert.equal(r.body, '{"predictions":[1]}');
    assert.deepEqual((await c.ModelInfer(irisInfer())).outputs[0].contents.int64_contents, ['1', '1']);
  }
});

test(':authority routes like the REST Host header, across namespaces with the same model name', async (t) => {
  const endpoints = new EndpointTable();
  const a = await startReplica(t, [new IrisTestModel()]);
  const b = await startReplica(t, [identityModel('sklearn-iris')]);
  publish(endpoints, 'sklearn-iris', a, 'team-a');
  publish(endpoints, 'sklearn-iris', b, 'team-b');
  const port = await startGateway(t, endpoints);
  const viaB = client(t, port, { 'grpc.default_authority': 'sklearn-iris.team-b.example.com' });
  const res = await viaB.ModelInfer(irisInfer());
  assert.deepEqual(res.outputs[0].contents.fp32_contents.length, 8); // the identity model answered
  const viaA = client(t, port, { 'grpc.default_authority': 'sklearn-iris-predictor.team-a.svc.cluster.local:80' });
  assert.deepEqual((await viaA.ModelInfer(irisInfer())).outputs[0].contents.int64_contents, ['1', '1']);
  // By name alone the model is ambiguous.
  await rejectsWith(
    client(t, port).ModelInfer(irisInfer()),
    grpc.status.INVALID_ARGUMENT,
    /served in 2 namespaces; choose one with the :authority \(sklearn-iris\.team-a\.example\.com, sklearn-iris\.team-b\.example\.com\)/,
  );
  await rejectsWith(
    client(t, port, { 'grpc.default_authority': 'nope.team-a.example.com' }).ModelInfer(irisInfer()),
    grpc.status.NOT_FOUND,
    /InferenceService nope does not exist in namespace team-a/,
  );
});

test('EXPECTED FAILURE - statuses through the gateway: NOT_FOUND, INVALID_ARGUMENT, UNAVAILABLE, UNIMPLEMENTED', async (t) => {
  const endpoints = new EndpointTable();
  const replica = await startReplica(t, [new IrisTestModel()]);
  publish(endpoints, 'sklearn-iris', replica);
  endpoints.set({
    namespace: 'default',
    name: 'broken',
    modelName: 'broken',
    port: undefined,
    revision: undefined,
    starting: false,
    reason: 'ModelLoadFailed',
    message: 'bad pickle',
  });
  endpoints.set({
    namespace: 'default',
    name: 'rest-only',
    modelName: 'rest-only',
    port: replica.port,
    revision: 'r',
    starting: false,
  });
  const port = await startGateway(t, endpoints, 2_000, { allowRepositoryApi: true });
  const c = client(t, port);
  await rejectsWith(c.ModelInfer(irisInfer('nope')), grpc.status.NOT_FOUND, /^Model with name nope does not exist\.$/);
  await rejectsWith(c.ModelReady({ name: 'nope' }), grpc.status.NOT_FOUND);
  await rejectsWith(
    c.ModelInfer({ ...irisInfer(), inputs: [{ ...irisInfer().inputs[0], shape: [3, 4] }] }),
    grpc.status.INVALID_ARGUMENT,
    /cannot reshape array of size 8 into shape \(3,4\)/,
  );
  await rejectsWith(
    c.ModelInfer(irisInfer('broken')),
    grpc.status.UNAVAILABLE,
    /InferenceService default\/broken is not ready: ModelLoadFailed: bad pickle/,
  );
  await rejectsWith(c.ModelInfer(irisInfer('rest-only')), grpc.status.UNIMPLEMENTED, /serves no gRPC/);
  replica.models.setReady('sklearn-iris', false);
  await rejectsWith(
    c.ModelInfer(irisInfer()),
    grpc.status.UNAVAILABLE,
    /^Model with name sklearn-iris is not ready\.$/,
  );
  assert.deepEqual(await c.ModelReady({ name: 'sklearn-iris' }), { ready: false });
  assert.deepEqual(await c.RepositoryModelLoad({ model_name: 'sklearn-iris' }), {
    model_name: 'sklearn-iris',
    isLoaded: true,
  });
  assert.deepEqual((await c.ModelInfer(irisInfer())).outputs[0].contents.int64_contents, ['1', '1']);
});

test('a call for a starting replica is held until it is ready', async (t) => {
  const endpoints = new EndpointTable();
  publish(endpoints, 'sklearn-iris', undefined); // starting
  const port = await startGateway(t, endpoints, 10_000);
  const replica = await startReplica(t, [new IrisTestModel()]);
  const call = client(t, port).ModelInfer(irisInfer());
  setImmediate(() => publish(endpoints, 'sklearn-iris', replica));
  assert.deepEqual((await call).outputs[0].contents.int64_contents, ['1', '1']);
});

test('gzip-compressed messages are routed by model name; 16 MiB raw tensors pass both ways', async (t) => {
  const endpoints = new EndpointTable();
  publish(endpoints, 'identity', await startReplica(t, [identityModel()], 64 * 1024 * 1024));
  const port = await startGateway(t, endpoints);
  const gz = client(t, port, { 'grpc.default_compression_algorithm': 2 /* gzip */ });
  const small = await gz.ModelInfer({
    model_name: 'identity',
    inputs: [{ name: 'x', datatype: 'INT32', shape: [3], contents: { int_contents: [1, 2, 3] } }],
  });
  assert.deepEqual(small.outputs[0].contents.int_contents, [1, 2, 3]);
  const raw = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < raw.length; i += 4093) raw[i] = i % 251;
  const big = await client(t, port).ModelInfer({
    model_name: 'identity',
    inputs: [{ name: 'x', datatype: 'UINT8', shape: [raw.length] }],
    raw_input_contents: [raw],
  });
  assert.ok(big.raw_output_contents[0].equals(raw));
});

test('binary REST through the gateway: 1 MiB and 64 MiB FP32 tensors round-trip', async (t) => {
  const endpoints = new EndpointTable();
  publish(endpoints, 'identity', await startReplica(t, [identityModel()]));
  const port = await startGateway(t, endpoints);
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  for (const mib of [1, 64]) {
    const n = (mib * 1024 * 1024) / 4;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i += 1021) values[i] = i / 3;
    const raw = Buffer.from(values.buffer);
    const { body, headers } = binaryBody(
      {
        parameters: { binary_data_output: true },
        inputs: [{ name: 'x', shape: [1, n], datatype: 'FP32', parameters: { binary_data_size: raw.length } }],
      },
      [raw],
    );
    const r = await request({ port, agent }, 'POST', '/v2/models/identity/infer', body, headers);
    assert.equal(r.status, 200, r.body.slice(0, 200));
    const { header, rest } = splitBinaryReply(r);
    assert.deepEqual((header.outputs as { parameters: unknown }[])[0]!.parameters, { binary_data_size: raw.length });
    assert.ok(rest.equals(raw), `${mib} MiB`);
  }
});
