// The binary tensor extension over REST, as Triton's and KServe's clients use it: binary inputs,
// binary outputs (per output and request-wide), `outputs` selection, every datatype round-tripped, and
// every malformed framing answered with a clear 4xx.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import {
  binaryBody,
  IrisTestModel,
  identityModel,
  postJson,
  request,
  splitBinaryReply,
  startServer,
} from './helpers.js';

const IRIS_ROWS = [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6];
const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);
const irisInput = { name: 'input-0', shape: [2, 4], datatype: 'FP32', parameters: { binary_data_size: 32 } };

test('binary FP32 input → JSON answer [1,1] (KServe/Triton client framing)', async (t) => {
  const s = await startServer(t);
  const { body, headers } = binaryBody({ id: 'b-1', inputs: [irisInput] }, [f32(IRIS_ROWS)]);
  const r = await request(s, 'POST', '/v2/models/sklearn-iris/infer', body, headers);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(
    r.body,
    '{"model_name":"sklearn-iris","model_version":null,"id":"b-1","parameters":null,"outputs":[{"name":"output-0","shape":[2],"datatype":"INT64","parameters":null,"data":[1,1]}]}',
  );
});

test('an output with binary_data:true comes back as KServe writes it: header JSON + 16 raw bytes', async (t) => {
  const s = await startServer(t);
  const r = await postJson(
    s,
    '/v2/models/sklearn-iris/infer',
    JSON.stringify({
      id: 'x',
      inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: IRIS_ROWS }],
      outputs: [{ name: 'output-0', parameters: { binary_data: true } }],
    }),
  );
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/octet-stream');
  const header =
    '{"id":"x","model_name":"sklearn-iris","model_version":null,"outputs":[{"name":"output-0","shape":[2],"datatype":"INT64","parameters":{"binary_data_size":16}}]}';
  assert.equal(r.headers['inference-header-content-length'], String(header.length));
  assert.equal(r.headers['content-length'], String(header.length + 16));
  assert.equal(r.bodyBytes.subarray(0, header.length).toString(), header);
  assert.deepEqual([...new BigInt64Array(new Uint8Array(r.bodyBytes.subarray(header.length)).buffer)], [1n, 1n]);
});

test('binary_data_output:true makes every output binary; an output binary_data:false stays JSON', async (t) => {
  const s = await startServer(t, [identityModel()]);
  const { body, headers } = binaryBody(
    {
      parameters: { binary_data_output: true },
      inputs: [
        { name: 'a', shape: [2], datatype: 'INT32', data: [1, 2] },
        { name: 'b', shape: [3], datatype: 'FP64', parameters: { binary_data_size: 24 } },
      ],
    },
    [Buffer.from(new Float64Array([0.5, -1, 1e300]).buffer)],
  );
  const all = await request(s, 'POST', '/v2/models/identity/infer', body, headers);
  assert.equal(all.status, 200);
  const a = splitBinaryReply(all);
  assert.deepEqual(
    (a.header.outputs as { parameters: unknown }[]).map((o) => o.parameters),
    [{ binary_data_size: 8 }, { binary_data_size: 24 }],
  );
  assert.deepEqual([...new Int32Array(new Uint8Array(a.rest.subarray(0, 8)).buffer)], [1, 2]);
  assert.deepEqual([...new Float64Array(new Uint8Array(a.rest.subarray(8)).buffer)], [0.5, -1, 1e300]);

  const mixed = binaryBody(
    {
      parameters: { binary_data_output: true },
      inputs: [
        { name: 'a', shape: [2], datatype: 'INT32', data: [1, 2] },
        { name: 'b', shape: [1], datatype: 'FP64', data: [2.5] },
      ],
      outputs: [{ name: 'b' }, { name: 'a', parameters: { binary_data: false } }],
    },
    [],
  );
  const m = await request(s, 'POST', '/v2/models/identity/infer', mixed.body, mixed.headers);
  assert.equal(m.status, 200);
  const { header, rest } = splitBinaryReply(m);
  assert.equal(
    JSON.stringify(header.outputs),
    '[{"name":"b","shape":[1],"datatype":"FP64","parameters":{"binary_data_size":8}},{"name":"a","shape":[2],"datatype":"INT32","data":[1,2]}]',
  );
  assert.deepEqual([...new Float64Array(new Uint8Array(rest).buffer)], [2.5]);
});

test('every datatype round-trips through binary inputs and outputs byte for byte', async (t) => {
  const s = await startServer(t, [identityModel()]);
  const bytesEl = (parts: Buffer[]) =>
    Buffer.concat(parts.flatMap((p) => [Buffer.from(new Uint32Array([p.length]).buffer), p]));
  const cases: [string, number[], Buffer][] = [
    ['BOOL', [3], Buffer.from([1, 0, 1])],
    ['UINT8', [2], Buffer.from([0, 255])],
    ['UINT16', [2], Buffer.from(new Uint16Array([1, 65535]).buffer)],
    ['UINT32', [2], Buffer.from(new Uint32Array([1, 4294967295]).buffer)],
    ['UINT64', [2], Buffer.from(new BigUint64Array([1n, 18446744073709551615n]).buffer)],
    ['INT8', [2], Buffer.from(new Int8Array([-128, 127]).buffer)],
    ['INT16', [2], Buffer.from(new Int16Array([-32768, 32767]).buffer)],
    ['INT32', [2, 1], Buffer.from(new Int32Array([-2147483648, 2147483647]).buffer)],
    ['INT64', [2], Buffer.from(new BigInt64Array([-9223372036854775808n, 9223372036854775807n]).buffer)],
    ['FP16', [4], Buffer.from(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]).buffer)],
    ['FP32', [3], f32([1.5, -0, 3.4028234663852886e38])],
    ['FP64', [2], Buffer.from(new Float64Array([Math.PI, -Number.MIN_VALUE]).buffer)],
    ['BYTES', [3], bytesEl([Buffer.from('héllo'), Buffer.alloc(0), Buffer.from('x')])],
    ['BYTES', [2], bytesEl([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('ok')])],
  ];
  for (const [datatype, shape, raw] of cases) {
    const { body, headers } = binaryBody(
      {
        inputs: [{ name: 'in', shape, datatype, parameters: { binary_data_size: raw.length } }],
        outputs: [{ name: 'in', parameters: { binary_data: true } }],
      },
      [raw],
    );
    const r = await request(s, 'POST', '/v2/models/identity/infer', body, headers);
    assert.equal(r.status, 200, `${datatype}: ${r.body}`);
    const { header, rest } = splitBinaryReply(r);
    const out = (header.outputs as { shape: number[]; datatype: string; parameters: unknown }[])[0]!;
    assert.deepEqual([out.datatype, out.shape, out.parameters], [datatype, shape, { binary_data_size: raw.length }]);
    assert.ok(rest.equals(raw), `${datatype}: ${rest.toString('hex')} vs ${raw.toString('hex')}`);
  }
});

test('binary BYTES and FP16 inputs answer in JSON as strings and half-precision values', async (t) => {
  const s = await startServer(t, [identityModel()]);
  const raw = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from('hi')]);
  const half = Buffer.from(new Uint16Array([0x3c00, 0x3555]).buffer);
  const { body, headers } = binaryBody(
    {
      inputs: [
        { name: 's', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: raw.length } },
        { name: 'h', shape: [2], datatype: 'FP16', parameters: { binary_data_size: 4 } },
      ],
    },
    [raw, half],
  );
  const r = await request(s, 'POST', '/v2/models/identity/infer', body, headers);
  assert.equal(r.status, 200, r.body);
  const outputs = JSON.parse(r.body).outputs;
  assert.deepEqual(outputs[0].data, ['hi']);
  assert.deepEqual(outputs[1].data, [1.0, 0.333251953125]);
});

test('outputs selection: only the named outputs, in the order asked; an unknown name is 400', async (t) => {
  const s = await startServer(t, [identityModel()]);
  const req = (outputs: unknown) =>
    postJson(
      s,
      '/v2/models/identity/infer',
      JSON.stringify({
        inputs: [
          { name: 'a', shape: [1], datatype: 'INT32', data: [1] },
          { name: 'b', shape: [1], datatype: 'INT32', data: [2] },
          { name: 'c', shape: [1], datatype: 'INT32', data: [3] },
        ],
        outputs,
      }),
    );
  const r = await req([{ name: 'c' }, { name: 'a' }]);
  assert.equal(r.status, 200);
  assert.deepEqual(
    JSON.parse(r.body).outputs.map((o: { name: string; data: number[] }) => [o.name, o.data[0]]),
    [
      ['c', 3],
      ['a', 1],
    ],
  );
  const bad = await req([{ name: 'zzz' }]);
  assert.equal(bad.status, 400);
  assert.equal(bad.body, `{"error":"Unexpected inference output 'zzz' for model 'identity'"}`);
  const empty = await req([]);
  assert.equal(JSON.parse(empty.body).outputs.length, 3);
});

test('BAD CALL - malformed binary framing answers 400 with a message naming the problem', async (t) => {
  const s = await startServer(t);
  const path = '/v2/models/sklearn-iris/infer';
  const good = binaryBody({ inputs: [irisInput] }, [f32(IRIS_ROWS)]);
  const cases: [string, Buffer, Record<string, string>, RegExp][] = [
    [
      'octet-stream without the header (KServe text)',
      good.body,
      { 'content-type': 'application/octet-stream' },
      /^received byte inputs, but the'inference-header-content-length' header is missing\.$/,
    ],
    [
      'header not a number',
      good.body,
      { ...good.headers, 'inference-header-content-length': 'abc' },
      /^Inference-Header-Content-Length must be a byte count between 0 and the body length \(\d+\), got 'abc'$/,
    ],
    [
      'header past the body',
      good.body,
      { ...good.headers, 'inference-header-content-length': '999999' },
      /between 0 and the body length/,
    ],
    ['negative header', good.body, { ...good.headers, 'inference-header-content-length': '-5' }, /got '-5'/],
    [
      'truncated tensor bytes',
      good.body.subarray(0, good.body.length - 5),
      good.headers,
      /binary_data_size is 32 bytes but only 27 bytes of binary data remain/,
    ],
    [
      'bytes after the last input',
      Buffer.concat([good.body, Buffer.alloc(3)]),
      good.headers,
      /3 bytes after the last input's binary data/,
    ],
    [
      'header cut inside the JSON',
      good.body,
      { ...good.headers, 'inference-header-content-length': '10' },
      /^Unrecognized request format: /,
    ],
  ];
  for (const [what, body, headers, message] of cases) {
    const r = await request(s, 'POST', path, body, headers);
    assert.equal(r.status, 400, `${what}: ${r.status} ${r.body}`);
    assert.match(JSON.parse(r.body).error, message, what);
  }
  const header = (inputs: unknown[]) => binaryBody({ inputs }, [f32(IRIS_ROWS)]);
  const json: [string, ReturnType<typeof header>, RegExp][] = [
    [
      'no data and no size (KServe text)',
      binaryBody({ inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32' }] }),
      /^'data' field is missing for input 'input-0' for model 'sklearn-iris'$/,
    ],
    [
      'both data and size',
      header([{ ...irisInput, data: IRIS_ROWS }]),
      /has both 'data' and parameters.binary_data_size/,
    ],
    [
      'size not a whole number of elements',
      header([
        { ...irisInput, parameters: { binary_data_size: 30 } },
        { ...irisInput, name: 'pad', shape: [-1], datatype: 'UINT8', parameters: { binary_data_size: 2 } },
      ]),
      /30 bytes of raw data is not a whole number of FP32 elements/,
    ],
    ['shape does not fit', header([{ ...irisInput, shape: [3, 4] }]), /shape \[3,4\] does not fit 8 FP32 element/],
    [
      'negative size',
      header([{ ...irisInput, parameters: { binary_data_size: -1 } }]),
      /binary_data_size must be a non-negative integer/,
    ],
    [
      'BYTES length prefix past the end',
      binaryBody({ inputs: [{ name: 's', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 6 } }] }, [
        Buffer.from([9, 0, 0, 0, 65, 66]),
      ]),
      /BYTES element 0 declares 9 bytes but only 2 remain/,
    ],
  ];
  for (const [what, { body, headers }, message] of json) {
    const r = await request(s, 'POST', path, body, headers);
    assert.equal(r.status, 400, `${what}: ${r.status} ${r.body}`);
    assert.match(JSON.parse(r.body).error, message, what);
  }
  // Still serving after all of that.
  const ok = await request(s, 'POST', path, good.body, good.headers);
  assert.equal(ok.status, 200);
});

test('binary bodies have their own limit: over it is 413, JSON keeps the smaller one', async (t) => {
  const s = await startServer(t, [identityModel()], { maxBodyBytes: 1024, maxBinaryBodyBytes: 64 * 1024 });
  const tensor = (n: number) =>
    binaryBody({ inputs: [{ name: 'x', shape: [n], datatype: 'UINT8', parameters: { binary_data_size: n } }] }, [
      Buffer.alloc(n, 7),
    ]);
  const fits = tensor(32 * 1024);
  assert.equal((await request(s, 'POST', '/v2/models/identity/infer', fits.body, fits.headers)).status, 200);
  const over = tensor(80 * 1024);
  const r = await request(s, 'POST', '/v2/models/identity/infer', over.body, over.headers);
  assert.equal(r.status, 413);
  assert.equal(r.body, `{"error":"Request body exceeds the limit of ${64 * 1024} bytes."}`);
  const bigJson = JSON.stringify({
    inputs: [{ name: 'x', shape: [600], datatype: 'UINT8', data: new Array(600).fill(7) }],
  });
  assert.equal((await postJson(s, '/v2/models/identity/infer', bigJson)).status, 413);
});

test('Content-Encoding: gzip and deflate bodies are decoded (bounded); other codings are 415', async (t) => {
  const s = await startServer(t, [new IrisTestModel()], { maxBodyBytes: 64 * 1024 });
  const json = JSON.stringify({ inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: IRIS_ROWS }] });
  for (const [coding, compress] of [
    ['gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
  ] as const) {
    const r = await request(s, 'POST', '/v2/models/sklearn-iris/infer', compress(json), {
      'content-type': 'application/json',
      'content-encoding': coding,
    });
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /"data":\[1,1\]/);
  }
  const br = await request(s, 'POST', '/v2/models/sklearn-iris/infer', zlib.brotliCompressSync(json), {
    'content-encoding': 'br',
  });
  assert.equal(br.status, 415);
  assert.match(JSON.parse(br.body).error, /Content-Encoding 'br' is not supported/);
  const bomb = zlib.gzipSync(Buffer.alloc(1024 * 1024, 32));
  const big = await request(s, 'POST', '/v2/models/sklearn-iris/infer', bomb, { 'content-encoding': 'gzip' });
  assert.equal(big.status, 413);
  const junk = await request(s, 'POST', '/v1/models/sklearn-iris:predict', Buffer.from('not gzip'), {
    'content-encoding': 'gzip',
  });
  assert.equal(junk.status, 400);
  assert.match(JSON.parse(junk.body).error, /not valid gzip data/);
});

test('a 64 MiB FP32 tensor round-trips as binary in and binary out', async (t) => {
  const s = await startServer(t, [identityModel()]);
  const n = 16 * 1024 * 1024; // 64 MiB of FP32
  const values = new Float32Array(n);
  for (let i = 0; i < n; i += 4099) values[i] = i * 0.5;
  const raw = Buffer.from(values.buffer);
  const { body, headers } = binaryBody(
    {
      parameters: { binary_data_output: true },
      inputs: [{ name: 'x', shape: [1, n], datatype: 'FP32', parameters: { binary_data_size: raw.length } }],
    },
    [raw],
  );
  const r = await request(s, 'POST', '/v2/models/identity/infer', body, headers);
  assert.equal(r.status, 200, r.body.slice(0, 200));
  const { header, rest } = splitBinaryReply(r);
  assert.deepEqual((header.outputs as { shape: number[] }[])[0]!.shape, [1, n]);
  assert.equal(rest.length, raw.length);
  assert.ok(rest.equals(raw));
});

test('BAD CALL - NaN/Infinity literals and deeply nested JSON get a 4xx; the server keeps serving', async (t) => {
  const s = await startServer(t);
  const v2 = '/v2/models/sklearn-iris/infer';
  for (const lit of ['NaN', 'Infinity', '-Infinity']) {
    const body = `{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[1,2,3,${lit}]}]}`;
    const r = await postJson(s, v2, body);
    assert.equal(r.status, 422, `${lit}: ${r.body}`);
    assert.match(r.body, /value_error\.jsondecode/);
    const v1 = await postJson(s, '/v1/models/sklearn-iris:predict', `{"instances":[[1,2,3,${lit}]]}`);
    assert.equal(v1.status, 400);
    assert.match(v1.body, /^\{"error":"Unrecognized request format: Expecting value/);
  }
  const depth = 200_000;
  const deep = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  const tooDeep = '{"error":"maximum supported dimension for an ndarray is 32, found 33"}';
  const v1deep = await postJson(s, '/v1/models/sklearn-iris:predict', `{"instances":${deep}}`);
  assert.deepEqual([v1deep.status, v1deep.body], [400, tooDeep]);
  const v2deep = await postJson(s, v2, `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":${deep}}]}`);
  assert.deepEqual([v2deep.status, v2deep.body], [400, tooDeep]);
  const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const v1obj = await postJson(s, '/v1/models/sklearn-iris:predict', `{"instances":[${objects}]}`);
  assert.equal(v1obj.status, 400);
  assert.match(v1obj.body, /at element 0: \{\.\.\.\}"\}$/);
  const v2obj = await postJson(s, v2, objects);
  assert.equal(v2obj.status, 422);
  const unclosed = await postJson(s, v2, '['.repeat(depth));
  assert.equal(unclosed.status, 422);
  assert.match(unclosed.body, /Maximum recursion depth exceeded/);
  const ok = await postJson(s, '/v1/models/sklearn-iris:predict', '{"instances":[[6.8,2.8,4.8,1.4]]}');
  assert.equal(ok.body, '{"predictions":[1]}');
});
