// HTTP behaviour around the endpoints: body handling and limits, Starlette's 405/307, readiness,
// the repository extension, error mapping, keep-alive and graceful shutdown.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { InferdError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { ModelRepository } from '../../src/server/model-repository.js';
import { createModelServer, shutdownModelServer } from '../../src/server/model-server.js';
import { signal, waitUntil, within } from '../support/wait.js';
import { fnModel, IrisTestModel, postJson, request, startServer } from './helpers.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';

test('curl -d without -H: an x-www-form-urlencoded body is parsed as JSON (KServe: 500)', async (t) => {
  const s = await startServer(t);
  const r = await request(s, 'POST', '/v1/models/sklearn-iris:predict', IRIS, {
    'content-type': 'application/x-www-form-urlencoded',
  });
  assert.equal(r.status, 200);
  assert.equal(r.body, '{"predictions":[1,1]}');
  const v2 = await request(
    s,
    'POST',
    '/v2/models/sklearn-iris/infer',
    '{"id":"f","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":[6.8,2.8,4.8,1.4]}]}',
    { 'content-type': 'application/x-www-form-urlencoded' },
  );
  assert.equal(v2.status, 200);
});

test('a UTF-8 BOM before the JSON is skipped; a query string is ignored; %-escapes are decoded', async (t) => {
  const s = await startServer(t);
  const bom = await request(s, 'POST', '/v1/models/sklearn-iris:predict', `\ufeff${IRIS}`);
  assert.equal(bom.body, '{"predictions":[1,1]}');
  const qs = await postJson(s, '/v1/models/sklearn-iris:predict?debug=1', IRIS);
  assert.equal(qs.body, '{"predictions":[1,1]}');
  const esc = await request(s, 'GET', '/v1/models/sklearn%2Diris');
  assert.equal(esc.body, '{"name":"sklearn-iris","ready":"True"}');
});

test('bodies over maxBodyBytes get 413 JSON and the connection is closed', async (t) => {
  const s = await startServer(t, undefined, { maxBodyBytes: 1024 });
  const big = `{"instances":[[${'1,'.repeat(600)}1]]}`;
  const r = await postJson(s, '/v1/models/sklearn-iris:predict', big);
  assert.equal(r.status, 413);
  assert.equal(r.body, '{"error":"Request body exceeds the limit of 1024 bytes."}');
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers.connection, 'close');
  // Chunked, no Content-Length: the limit holds while reading.
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: s.port, method: 'POST', path: '/v2/models/sklearn-iris/infer' },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.write('{"inputs":[');
    req.write('1,'.repeat(600));
    req.end('1]}');
  });
  assert.equal(chunked, 413);
  const ok = await postJson(s, '/v1/models/sklearn-iris:predict', IRIS);
  assert.equal(ok.status, 200, 'a body under the limit still works');
});

test("wrong method → Starlette's 405 with allow; trailing slash → 307 to the bare path", async (t) => {
  const s = await startServer(t);
  const r405 = await request(s, 'POST', '/v1/models/sklearn-iris');
  assert.equal(r405.status, 405);
  assert.equal(r405.body, '{"detail":"Method Not Allowed"}');
  assert.equal(r405.headers.allow, 'GET');
  assert.deepEqual(r405.headerNames.slice(0, 5), ['date', 'server', 'allow', 'content-length', 'content-type']);
  const get = await request(s, 'GET', '/v2/models/sklearn-iris/infer');
  assert.equal(get.status, 405);
  assert.equal(get.headers.allow, 'POST');
  const head = await request(s, 'HEAD', '/');
  assert.equal(head.status, 405);
  const redirect = await request(s, 'GET', '/v2/models/?x=1', undefined, { host: 'iris.example.com' });
  assert.equal(redirect.status, 307);
  assert.equal(redirect.headers.location, 'http://iris.example.com/v2/models?x=1');
  assert.equal(redirect.body, '');
  assert.equal((await request(s, 'GET', '/nosuch/')).status, 404);
});

test('a model that is not ready answers 503 on ready, predict and infer; load/unload toggle it', async (t) => {
  const s = await startServer(t);
  const unload = await request(s, 'POST', '/v2/repository/models/sklearn-iris/unload');
  assert.equal(unload.body, '{"name":"sklearn-iris","unload":true}');
  const notReady = '{"error":"Model with name sklearn-iris is not ready."}';
  for (const [method, path, body] of [
    ['GET', '/v1/models/sklearn-iris', undefined],
    ['GET', '/v2/models/sklearn-iris/ready', undefined],
    ['POST', '/v1/models/sklearn-iris:predict', IRIS],
    ['POST', '/v2/models/sklearn-iris/infer', '{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]}'],
  ] as const) {
    const r = await request(s, method, path, body);
    assert.equal(r.status, 503, path);
    assert.equal(r.body, notReady);
  }
  assert.equal((await request(s, 'GET', '/v2/models/sklearn-iris')).status, 200, 'metadata works while not ready');
  const load = await request(s, 'POST', '/v2/repository/models/sklearn-iris/load');
  assert.equal(load.body, '{"name":"sklearn-iris","load":true}');
  assert.equal((await postJson(s, '/v1/models/sklearn-iris:predict', IRIS)).status, 200);
  const missing = await request(s, 'POST', '/v2/repository/models/nosuch/unload');
  assert.equal(missing.status, 404);
  assert.equal(missing.body, '{"error":"Model with name nosuch does not exist."}');
});

test('versioned V2 paths and generate answer 501 with KServe texts', async (t) => {
  const s = await startServer(t);
  const versioning = '{"error":"Model versioning not supported yet."}';
  assert.equal((await request(s, 'GET', '/v2/models/sklearn-iris/versions/1')).body, versioning);
  assert.equal((await request(s, 'GET', '/v2/models/nosuch/versions/1')).status, 501);
  assert.equal((await request(s, 'GET', '/v2/models/sklearn-iris/versions/1/ready')).body, versioning);
  const gen = await postJson(s, '/v2/models/sklearn-iris/generate', '{"text_input":"hi"}');
  assert.equal(gen.status, 501);
  assert.equal(gen.body, '{"error":"generate is not implemented"}');
  const genBad = await postJson(s, '/v2/models/sklearn-iris/generate', '{}');
  assert.equal(genBad.status, 422);
});

test('model metadata lists input and output tensors in KServe key order', async (t) => {
  const m = fnModel('m', () => [], {
    platform: 'sklearn',
    inputs: [{ name: 'input-0', datatype: 'FP64', shape: [-1, 4] }],
    outputs: [{ name: 'output-0', datatype: 'INT64', shape: [-1] }],
  });
  const s = await startServer(t, [m]);
  const r = await request(s, 'GET', '/v2/models/m');
  assert.equal(
    r.body,
    '{"name":"m","versions":null,"platform":"sklearn","inputs":[{"name":"input-0","datatype":"FP64","shape":[-1,4]}],' +
      '"outputs":[{"name":"output-0","datatype":"INT64","shape":[-1]}]}',
  );
});

test('runtime errors: INVALID_INPUT → 400, unknown throwables → 500 with the message, logged once', async (t) => {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l) });
  const repo = new ModelRepository();
  repo.add(
    fnModel('bad', () => {
      throw new InferdError('INVALID_INPUT', 'feature 2 must be positive');
    }),
  );
  repo.add(
    fnModel('boom', async () => {
      throw new TypeError('cannot read properties of undefined');
    }),
  );
  repo.add(fnModel('empty', () => []));
  const server = createModelServer({ models: repo, log });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new http.Agent({ keepAlive: true });
  t.after(async () => {
    agent.destroy();
    await shutdownModelServer(server, 100);
  });
  const s = { port: (server.address() as { port: number }).port, agent };
  const bad = await postJson(s, '/v1/models/bad:predict', '{"instances":[[1]]}');
  assert.deepEqual([bad.status, bad.body], [400, '{"error":"feature 2 must be positive"}']);
  assert.equal(lines.length, 0, 'client mistakes are not logged');
  const boom = await postJson(s, '/v1/models/boom:predict', '{"instances":[[1]]}');
  assert.deepEqual([boom.status, boom.body], [500, '{"error":"cannot read properties of undefined"}']);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /"level":"error".*"cannot read properties of undefined".*"stack":"TypeError/);
  const empty = await postJson(
    s,
    '/v2/models/empty/infer',
    '{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]}',
  );
  assert.deepEqual([empty.status, empty.body], [500, '{"error":"model empty returned no output tensors"}']);
});

test('V1 predictions nest by the output shape; float outputs print like Python', async (t) => {
  const proba = fnModel('proba', (inputs) => [
    {
      name: 'output-0',
      datatype: 'FP64',
      shape: [inputs[0]!.shape[0]!, 3],
      data: new Float64Array([0, 0.9, 0.1, 1, 0, 0]),
    },
  ]);
  const s = await startServer(t, [proba]);
  const r = await postJson(s, '/v1/models/proba:predict', '{"instances":[[1],[2]]}');
  assert.equal(r.body, '{"predictions":[[0.0,0.9,0.1],[1.0,0.0,0.0]]}');
});

test('requested outputs and the abort signal reach the model', async (t) => {
  let names: string[] | undefined;
  let aborted: Promise<unknown> | undefined;
  const slow = fnModel('slow', (inputs, opts) => {
    names = opts?.outputNames;
    const signal = opts!.signal!;
    aborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
    // Answers after 10 s unless aborted (it was 300 ms: a loaded machine could answer before it saw the client go,
    // and the abort never came); the abort ends the wait, so no timer outlives the test.
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(inputs), 10_000);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve(inputs);
      });
    });
  });
  const s = await startServer(t, [slow]);
  const req = http.request({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/v2/models/slow/infer' });
  req.on('error', () => {}); // we destroy it below
  req.end('{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"name":"a"}]}');
  await waitUntil(() => aborted !== undefined, 'the model was called');
  req.destroy();
  const reason = await within(aborted!, 5_000, "the model's abort signal");
  assert.deepEqual(names, ['a']);
  assert.equal((reason as InferdError).code, 'TIMEOUT');
});

test('a client that goes away mid-body leaves the server serving', async (t) => {
  const s = await startServer(t);
  await new Promise<void>((resolve) => {
    const req = http.request({
      host: '127.0.0.1',
      port: s.port,
      method: 'POST',
      path: '/v1/models/sklearn-iris:predict',
      headers: { 'content-length': '1000' },
    });
    req.on('error', () => resolve());
    req.write('{"instances":[[6.8,', () => setTimeout(() => req.destroy(), 20));
    req.on('close', () => resolve());
  });
  const r = await postJson(s, '/v1/models/sklearn-iris:predict', IRIS);
  assert.equal(r.body, '{"predictions":[1,1]}');
});

test('graceful shutdown: in-flight requests finish with connection: close; new connections are refused', async () => {
  const entered = signal();
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const repo = new ModelRepository();
  repo.add(new IrisTestModel());
  repo.add(
    fnModel('wait', async (inputs) => {
      entered.resolve();
      await gate;
      return inputs;
    }),
  );
  const server = createModelServer({ models: repo, log: createLogger({ write: () => {} }) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true });
  const s = { port, agent };
  assert.equal((await postJson(s, '/v1/models/sklearn-iris:predict', IRIS)).status, 200, 'an idle keep-alive socket');
  const inflight = postJson(s, '/v1/models/wait:predict', '{"instances":[1]}');
  await entered.promise; // in flight in the model before the shutdown starts
  const closed = shutdownModelServer(server, 2_000);
  await assert.rejects(request({ port, agent: new http.Agent() }, 'GET', '/'), { code: 'ECONNREFUSED' });
  release();
  const r = await inflight;
  assert.equal(r.status, 200);
  assert.equal(r.body, '{"predictions":[1.0]}');
  assert.equal(r.headers.connection, 'close');
  await closed;
  agent.destroy();
});
