// The register-blocked dense layer gives, bit for bit, the plain row × weight loop's `Σ x·w + b` in input
// order, for every shape (rows and outputs that are not multiples of the 4 × 4 tile included).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { denseForward, transposeWeights } from '../../../src/runtimes/sklearn/estimators/dense.js';

function plain(x: Float64Array, rows: number, nIn: number, w: Float64Array, b: Float64Array, nOut: number) {
  const out = new Float64Array(rows * nOut);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < nOut; o++) {
      let s = 0;
      for (let j = 0; j < nIn; j++) s += x[r * nIn + j]! * w[j * nOut + o]!;
      out[r * nOut + o] = s + b[o]!;
    }
  }
  return out;
}

test('denseForward equals the plain loop exactly', () => {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  };
  for (const [rows, nIn, nOut] of [
    [1, 1, 1],
    [3, 5, 2],
    [4, 20, 256],
    [9, 7, 6],
    [17, 33, 13],
  ] as const) {
    const x = Float64Array.from({ length: rows * nIn }, () => (rand() < -0.3 ? 0 : rand() * 10));
    const w = Float64Array.from({ length: nIn * nOut }, rand);
    const b = Float64Array.from({ length: nOut }, rand);
    const out = new Float64Array(rows * nOut);
    denseForward(x, rows, nIn, transposeWeights(w, nIn, nOut), b, nOut, out);
    assert.deepEqual(Array.from(out), Array.from(plain(x, rows, nIn, w, b, nOut)), `${rows}×${nIn}→${nOut}`);
  }
});

test('a NaN input makes its row NaN, as numpy does', () => {
  const x = Float64Array.from([1, Number.NaN, 2, 3, 4, 5, 6, 7]);
  const w = Float64Array.from([1, 2, 3, 4]); // 2 × 2
  const out = new Float64Array(8);
  denseForward(x, 4, 2, transposeWeights(w, 2, 2), Float64Array.from([0, 0]), 2, out);
  assert.ok(Number.isNaN(out[0]!) && Number.isNaN(out[1]!));
  assert.deepEqual(Array.from(out.subarray(2)), [11, 16, 19, 28, 27, 40]);
});
