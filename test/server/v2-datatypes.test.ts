// V2 JSON tensors → typed arrays per datatype, with 400s that name the input and the element.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '../../src/runtimes/model.js';
import { decodeV2Tensor, roundToFp16 } from '../../src/server/tensor-decode.js';
import { fnModel, postJson, startServer } from './helpers.js';

test('each datatype decodes to its typed array', () => {
  const cases: [string, unknown[], unknown][] = [
    ['BOOL', [true, false, 1, 0], [true, false, true, false]],
    ['INT8', [-128, 127], new Int8Array([-128, 127])],
    ['INT16', [-32768, 32767], new Int16Array([-32768, 32767])],
    ['INT32', [-2147483648, 2147483647], new Int32Array([-2147483648, 2147483647])],
    ['INT64', [-9007199254740991, 5], new BigInt64Array([-9007199254740991n, 5n])],
    ['UINT8', [0, 255], new Uint8Array([0, 255])],
    ['UINT16', [0, 65535], new Uint16Array([0, 65535])],
    ['UINT32', [0, 4294967295], new Uint32Array([0, 4294967295])],
    ['UINT64', [0, 9007199254740991], new BigUint64Array([0n, 9007199254740991n])],
    ['FP16', [1.5, 0.1], new Float32Array([1.5, 0.0999755859375])],
    ['FP32', [6.8, null], new Float32Array([6.8, Number.NaN])],
    ['FP64', [6.8, -1e300], new Float64Array([6.8, -1e300])],
    ['BYTES', ['a', 'bc'], ['a', 'bc']],
  ];
  for (const [datatype, data, expected] of cases) {
    const tensor = decodeV2Tensor('x', datatype, [data.length], data);
    assert.equal(tensor.datatype, datatype);
    assert.deepEqual(tensor.data, expected, datatype);
  }
});

test('nested data is flattened; one -1 dimension is inferred', () => {
  const t = decodeV2Tensor(
    'x',
    'FP32',
    [-1, 2],
    [
      [1, 2],
      [3, 4],
    ],
  );
  assert.deepEqual(t.shape, [2, 2]);
  assert.deepEqual(t.data, new Float32Array([1, 2, 3, 4]));
  assert.deepEqual(
    decodeV2Tensor(
      'x',
      'INT32',
      [4],
      [
        [1, 2],
        [3, 4],
      ],
    ).shape,
    [4],
  );
  assert.deepEqual(decodeV2Tensor('x', 'FP32', [], [7]).shape, []);
});

test('BAD CALL - values that do not fit the datatype are INVALID_INPUT naming input and element', () => {
  const bad: [string, unknown[], RegExp][] = [
    ['INT8', [1, 128], /input "x": element 1 \(128\) is out of range for INT8 \(-128 to 127\)/],
    ['UINT8', [-1, 0], /element 0 \(-1\) is out of range for UINT8/],
    ['INT32', [1.5, 2], /element 0 is 1.5, expected an integer for INT32/],
    ['INT64', [2 ** 53, 1], /element 0 .* out of range: JSON numbers carry INT64 exactly only within/],
    ['FP32', ['a', 1], /element 0 is "a", expected a number for FP32/],
    ['FP32', [1e39, 1], /element 0 \(1e\+39\) is out of range for FP32/],
    ['FP16', [70000, 1], /out of range for FP16/],
    ['BOOL', ['true', false], /element 0 is "true", expected true or false for BOOL/],
    ['BYTES', [1, 'a'], /element 0 is 1, expected a string for BYTES/],
    ['INT32', [null, 1], /element 0 is null, expected an integer/],
  ];
  for (const [datatype, data, message] of bad) {
    assert.throws(() => decodeV2Tensor('x', datatype, [2], data), { code: 'INVALID_INPUT', message }, datatype);
  }
  assert.throws(() => decodeV2Tensor('x', 'FP99', [1], [1]), {
    code: 'INVALID_INPUT',
    message: /invalid datatype "FP99" for input "x"; expected one of BOOL, /,
  });
});

test('BAD CALL - shapes that do not fit answer numpy texts', () => {
  const cases: [number[], unknown[], string][] = [
    [[2, 4], [1, 2, 3, 4], 'cannot reshape array of size 4 into shape (2,4)'],
    [[5], [1, 2], 'cannot reshape array of size 2 into shape (5,)'],
    [[-1, 3], [1, 2], 'cannot reshape array of size 2 into shape (3)'],
    [[-1, -1], [1, 2], 'input "x": can only specify one unknown dimension'],
    [
      [2, 2],
      [[1, 2], [3]],
      'setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was (2,) + inhomogeneous part.',
    ],
    [
      [2, 2],
      [1, [2]],
      'setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was (2,) + inhomogeneous part.',
    ],
    [
      [4],
      [
        [[1], 2],
        [[3], [4]],
      ],
      'setting an array element with a sequence. The requested array has an inhomogeneous shape after 2 dimensions. The detected shape was (2, 2) + inhomogeneous part.',
    ],
  ];
  for (const [shape, data, message] of cases) {
    assert.throws(() => decodeV2Tensor('x', 'FP32', shape, data), { code: 'INVALID_INPUT', message }, message);
  }
});

test('FP16 rounds to the nearest half-precision value, ties to even', () => {
  assert.equal(roundToFp16(0.1), 0.0999755859375);
  assert.equal(roundToFp16(1 + 2 ** -11), 1); // tie → even
  assert.equal(roundToFp16(1 + 3 * 2 ** -11), 1 + 2 ** -9);
  assert.equal(roundToFp16(65504), 65504);
  assert.equal(roundToFp16(2 ** -24), 2 ** -24);
  assert.equal(roundToFp16(-3), -3);
});

test('typed tensors and parameters reach the model over HTTP; outputs come back per datatype', async (t) => {
  let seen: Tensor[] = [];
  let seenParams: unknown;
  const echo = fnModel('echo', (inputs, opts) => {
    seen = inputs;
    seenParams = opts?.parameters;
    return inputs.map((i) => ({ ...i, name: `${i.name}-out`, parameters: { note: 'x' } }));
  });
  const s = await startServer(t, [echo]);
  const body = {
    id: 'r1',
    parameters: { content_type: 'np', k: 3 },
    inputs: [
      { name: 'f', shape: [2], datatype: 'FP32', data: [0.5, 1] },
      { name: 'i', shape: [1, 2], datatype: 'INT64', data: [[1, -2]] },
      { name: 'b', shape: [2], datatype: 'BOOL', data: [true, false] },
      { name: 's', shape: [1], datatype: 'BYTES', data: ['hé'], parameters: { content_type: 'str' } },
    ],
  };
  const r = await postJson(s, '/v2/models/echo/infer', JSON.stringify(body));
  assert.equal(r.status, 200, r.body);
  assert.ok(seen[0]!.data instanceof Float32Array);
  assert.ok(seen[1]!.data instanceof BigInt64Array);
  assert.deepEqual(seen[3]!.parameters, { content_type: 'str' });
  assert.deepEqual(seenParams, { content_type: 'np', k: 3 });
  assert.equal(
    r.body,
    '{"model_name":"echo","model_version":null,"id":"r1","parameters":null,"outputs":[' +
      '{"name":"f-out","shape":[2],"datatype":"FP32","parameters":{"note":"x"},"data":[0.5,1.0]},' +
      '{"name":"i-out","shape":[1,2],"datatype":"INT64","parameters":{"note":"x"},"data":[1,-2]},' +
      '{"name":"b-out","shape":[2],"datatype":"BOOL","parameters":{"note":"x"},"data":[true,false]},' +
      '{"name":"s-out","shape":[1],"datatype":"BYTES","parameters":{"note":"x"},"data":["hé"]}]}',
  );
});

test('BAD CALL - an out-of-range value over HTTP is 400 naming the input', async (t) => {
  const s = await startServer(t);
  const r = await postJson(
    s,
    '/v2/models/sklearn-iris/infer',
    '{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"UINT8","data":[6,2,4,300]}]}',
  );
  assert.equal(r.status, 400);
  assert.equal(r.body, '{"error":"input \\"input-0\\": element 3 (300) is out of range for UINT8 (0 to 255)"}');
});

test('FP32/FP64 rows are written straight into the typed array, equal to the general path; odd data still takes it', () => {
  const FP32_MAX = 3.4028234663852886e38;
  const edge = [0, -0, 1e-45, -1e-45, 1.5, -2.25, 123456.789, FP32_MAX, -FP32_MAX, 2 ** 53 + 2];
  for (const datatype of ['FP32', 'FP64'] as const) {
    const Ctor = datatype === 'FP32' ? Float32Array : Float64Array;
    // 7 rows × 10 columns, nested and flat: the same values, rounded as the typed array rounds them.
    const rows = Array.from({ length: 7 }, (_, r) => edge.map((v, c) => (c % 2 ? v : v * (r + 1) * 0.5)));
    const rowsFitting = rows.map((row) => row.map((v) => (Math.abs(v) > FP32_MAX ? FP32_MAX : v)));
    const nested = decodeV2Tensor('x', datatype, [7, 10], rowsFitting);
    const flat = decodeV2Tensor('x', datatype, [-1, 10], rowsFitting.flat());
    assert.ok(nested.data instanceof Ctor && flat.data instanceof Ctor, datatype);
    assert.deepEqual(Array.from(nested.data as Float64Array), Array.from(Ctor.from(rowsFitting.flat())));
    assert.deepEqual(nested.data, flat.data);
    assert.deepEqual(nested.shape, [7, 10]);
    assert.deepEqual(flat.shape, [7, 10]);
    // null is NaN (numpy), through the general path.
    const withNull = decodeV2Tensor(
      'x',
      datatype,
      [2, 2],
      [
        [1, null],
        [3, 4],
      ],
    );
    assert.ok(Number.isNaN((withNull.data as Float64Array)[1]!));
    assert.deepEqual(
      Array.from(withNull.data as Float64Array).filter((v) => !Number.isNaN(v)),
      [1, 3, 4],
    );
    // Three levels of nesting still flatten; ragged rows and bad values keep their messages.
    assert.deepEqual(
      decodeV2Tensor(
        'x',
        datatype,
        [2, 2, 1],
        [
          [[1], [2]],
          [[3], [4]],
        ],
      ).data,
      Ctor.of(1, 2, 3, 4),
    );
    assert.throws(() => decodeV2Tensor('x', datatype, [2, 2], [[1, 2], [3]]), { code: 'INVALID_INPUT' });
    assert.throws(
      () =>
        decodeV2Tensor(
          'x',
          datatype,
          [2, 2],
          [
            [1, 2],
            [3, 'a'],
          ],
        ),
      {
        code: 'INVALID_INPUT',
        message: `input "x": element 3 is "a", expected a number for ${datatype}`,
      },
    );
    assert.throws(
      () =>
        decodeV2Tensor(
          'x',
          datatype,
          [3, 2],
          [
            [1, 2],
            [3, 4],
          ],
        ),
      { code: 'INVALID_INPUT' },
    );
  }
  assert.throws(() => decodeV2Tensor('x', 'FP32', [1, 2], [[1, 1e39]]), {
    code: 'INVALID_INPUT',
    message: 'input "x": element 1 (1e+39) is out of range for FP32',
  });
});

test('a long first row followed by many scalars is refused as ragged without allocating rows × width', () => {
  // 200,000 × 1,000,000 would be 800 GB of FP32: the rows are checked before anything is allocated.
  const data: unknown[] = [new Array(200_000).fill(1)];
  for (let i = 0; i < 1_000_000; i++) data.push(1);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => decodeV2Tensor('x', 'FP32', [-1], data), { code: 'INVALID_INPUT' });
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'no large typed array was made');
});
