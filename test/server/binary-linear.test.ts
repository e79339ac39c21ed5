// The binary tensor extension's large-request path on real linear models (the bench's binary_vs_json_1mib case):
// the request's tensor bytes are viewed where they sit in the body (no copy), the labels are computed without
// a scores array and sent as the class dtype's raw bytes, and every answer equals what the JSON request and
// the model's own decision function say.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Model, Tensor } from '../../src/runtimes/model.js';
import { type SklearnModel, sklearnRuntime } from '../../src/runtimes/sklearn/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { binaryBody, postJson, request, startServer } from './helpers.js';

const models = join(fixturesDir, 'sklearn', 'models');

/** Deterministic rows in the iris-like range [0, 8), as float32. */
function rowsOf(rows: number, features: number): Float32Array {
  let s = 0x2545f491;
  const out = new Float32Array(rows * features);
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = Math.round(((s >>> 0) / 0x1_0000_0000) * 80) / 10;
  }
  return out;
}

/** Wraps a model, keeping the input tensors it was called with. */
function recording(model: Model): Model & { inputs: Tensor[][] } {
  const inputs: Tensor[][] = [];
  return {
    name: model.name,
    inputs,
    metadata: () => model.metadata(),
    predict: (given, opts) => {
      inputs.push(given);
      return model.predict(given, opts);
    },
  };
}

/** The index of the first highest score per row (sklearn's argmax), or the sign for one column. */
function argmax(scores: Float64Array, rows: number): number[] {
  const t = scores.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    if (t === 1) return scores[r]! > 0 ? 1 : 0;
    let best = 0;
    for (let c = 1; c < t; c++) if (scores[r * t + c]! > scores[r * t + best]!) best = c;
    return best;
  });
}

async function linearCase(
  t: Parameters<typeof startServer>[0],
  dir: string,
  rows: number,
  features: number,
): Promise<{
  header: string;
  raw: Buffer;
  json: { data: unknown[]; datatype: string };
  seen: Tensor;
  expected: number[];
}> {
  const loaded = (await sklearnRuntime.load({ name: 'linear', modelDir: join(models, dir) })) as SklearnModel;
  const model = recording(loaded);
  const s = await startServer(t, [model]);
  const x = rowsOf(rows, features);
  const raw = Buffer.from(x.buffer);
  // An id that leaves the JSON header's length off a multiple of 4, so the tensor bytes start unaligned in the body.
  let id = 'linear-1';
  const headerOf = (i: string) => ({
    id: i,
    inputs: [
      { name: 'input-0', shape: [rows, features], datatype: 'FP32', parameters: { binary_data_size: raw.length } },
    ],
    outputs: [{ name: 'output-0', parameters: { binary_data: true } }],
  });
  while (JSON.stringify(headerOf(id)).length % 4 === 0) id += 'x';
  const { body, headers } = binaryBody(headerOf(id), [raw]);
  const r = await request(s, 'POST', '/v2/models/linear/infer', body, headers);
  assert.equal(r.status, 200, r.body.slice(0, 300));
  const n = Number(r.headers['inference-header-content-length']);
  const jr = await postJson(
    s,
    '/v2/models/linear/infer',
    JSON.stringify({
      id,
      inputs: [{ name: 'input-0', shape: [rows, features], datatype: 'FP32', data: Array.from(x) }],
    }),
  );
  assert.equal(jr.status, 200, jr.body.slice(0, 300));
  const json = (JSON.parse(jr.body) as { outputs: { data: unknown[]; datatype: string }[] }).outputs[0]!;
  const scores = loaded.estimator.decisionFunction!(Float64Array.from(x), rows).data as Float64Array;
  return {
    header: r.bodyBytes.subarray(0, n).toString('utf8'),
    raw: r.bodyBytes.subarray(n),
    json,
    seen: model.inputs[0]![0]!,
    expected: argmax(scores, rows),
  };
}

test('1 MiB-class binary request to the logistic regression: tensor bytes viewed in place, INT64 labels as raw bytes equal to the JSON answer and the decision function argmax', async (t) => {
  const rows = 20_003; // > 64 KiB of body (several socket chunks), and not a multiple of 4 rows
  const c = await linearCase(t, 'logreg_multinomial_iris', rows, 4);
  // The input was not copied out of the body: a Float32Array over a bigger buffer, at an aligned offset.
  assert.ok(c.seen.data instanceof Float32Array);
  assert.ok(c.seen.data.buffer.byteLength > c.seen.data.byteLength, 'the tensor is a view into the request body');
  assert.equal(c.seen.data.byteOffset % 8, 0);
  assert.equal(
    c.header,
    `{"id":${JSON.stringify((JSON.parse(c.header) as { id: string }).id)},"model_name":"linear","model_version":null,"outputs":[{"name":"output-0","shape":[${rows}],"datatype":"INT64","parameters":{"binary_data_size":${rows * 8}}}]}`,
  );
  assert.equal(c.raw.length, rows * 8);
  const labels = Array.from(new BigInt64Array(new Uint8Array(c.raw).buffer), Number);
  assert.deepEqual(labels, c.json.data);
  assert.equal(c.json.datatype, 'INT64');
  // iris classes are 0, 1, 2: the label is the argmax itself
  assert.deepEqual(labels, c.expected);
  assert.deepEqual(new Set(labels), new Set([0, 1, 2]), 'the rows reach every class');
});

test('float labels (classes_ float64) come back as FP64 bytes; one-column (binary) logistic regression by the sign', async (t) => {
  const floats = await linearCase(t, 'logreg_float_labels_iris', 1_001, 4);
  const values = Array.from(new Float64Array(new Uint8Array(floats.raw).buffer));
  assert.match(floats.header, /"datatype":"FP64","parameters":\{"binary_data_size":8008\}/);
  assert.deepEqual(values, floats.json.data);
  // classes_ are 0.0, 2.0, 4.0: each label is twice the argmax
  assert.deepEqual(
    values,
    floats.expected.map((i) => 2 * i),
  );

  const binary = await linearCase(t, 'logreg_binary_breast_cancer', 1_003, 30);
  const labels = Array.from(new BigInt64Array(new Uint8Array(binary.raw).buffer), Number);
  assert.deepEqual(labels, binary.json.data);
  assert.deepEqual(labels, binary.expected);
});
