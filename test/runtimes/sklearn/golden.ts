// Reading the golden fixtures written by scripts/fixtures/gen_sklearn.py, and comparing numbers the way the
// sklearn tests do: classes exactly, floats within a relative tolerance.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../../src/runtimes/model.js';

export interface Expected {
  case: string;
  sklearn_version: string;
  estimator: string;
  format: string;
  dataset: string;
  extra_rows: number[][];
  output_datatype: string;
  predict: unknown[];
  predict_proba: number[][] | null;
}

/** Relative tolerance for float outputs; an absolute floor keeps near-zero values (1e-17 vs 0) comparable. */
export const REL_TOL = 1e-9;
export const ABS_FLOOR = 1e-15;

export function modelDirs(root: string): string[] {
  return readdirSync(join(root, 'models')).sort();
}

export function readExpected(modelDir: string): Expected {
  return JSON.parse(readFileSync(join(modelDir, 'expected.json'), 'utf8')) as Expected;
}

const datasets = new Map<string, number[][]>();

/** The rows a case predicts on: its dataset, then its extra (tree threshold) rows. */
export function inputRows(root: string, expected: Expected): number[][] {
  const key = `${root}:${expected.dataset}`;
  let rows = datasets.get(key);
  if (!rows) {
    rows = (JSON.parse(readFileSync(join(root, 'data', `${expected.dataset}.json`), 'utf8')) as { X: number[][] }).X;
    datasets.set(key, rows);
  }
  return [...rows, ...expected.extra_rows];
}

export function matrixTensor(rows: number[][]): Tensor {
  const f = rows[0]!.length;
  const data = new Float64Array(rows.length * f);
  rows.forEach((row, r) => {
    data.set(row, r * f);
  });
  return { name: 'input-0', datatype: 'FP64', shape: [rows.length, f], data };
}

/** Asserts every value is within tolerance; returns the largest relative difference seen. */
export function assertAllClose(actual: ArrayLike<number>, expected: readonly number[], what: string): number {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const diff = Math.abs(a - e);
    const scale = Math.max(Math.abs(a), Math.abs(e));
    if (diff > ABS_FLOOR) worst = Math.max(worst, diff / scale);
    assert.ok(diff <= ABS_FLOOR || diff <= REL_TOL * scale, `${what}[${i}]: got ${a}, sklearn ${e}`);
  }
  return worst;
}
