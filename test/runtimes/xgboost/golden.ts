// Reading the golden fixtures written by scripts/fixtures/gen_xgboost.py and comparing float32 predictions.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../../src/runtimes/model.js';
import { assertAllClose, unitScaled } from '../../support/numeric.js';

export interface Expected {
  case: string;
  xgboost_version: string;
  objective: string;
  booster: string;
  dataset: string;
  formats: string[];
  missing: number | null;
  extra_rows: (number | null)[][];
  rows_with_missing?: (number | null)[][];
  output_shape: number[];
  predict: number[];
  best_iteration?: number;
  num_boosted_rounds?: number;
  iteration_range?: [number, number];
  predict_iteration_range?: number[];
}

/** The brief's bound: xgboost's float32 outputs reproduced within 1e-6 (relative above 1, absolute below). */
export const TOLERANCE = 1e-6;

export function caseNames(root: string): string[] {
  return readdirSync(join(root, 'models')).sort();
}

export function readExpected(root: string, name: string): Expected {
  return JSON.parse(readFileSync(join(root, 'models', name, 'expected.json'), 'utf8')) as Expected;
}

/** The rows a case predicts on: its dataset (or its rows with the missing sentinel), then its extra rows. */
export function inputRows(root: string, expected: Expected): (number | null)[][] {
  const data = JSON.parse(readFileSync(join(root, 'data', `${expected.dataset}.json`), 'utf8')) as {
    X: (number | null)[][];
  };
  return [...(expected.rows_with_missing ?? data.X), ...expected.extra_rows];
}

/** A V2-style FP64 tensor (null → NaN), as the server builds from JSON. */
export function matrixTensor(rows: (number | null)[][]): Tensor {
  const f = rows[0]!.length;
  const data = new Float64Array(rows.length * f);
  rows.forEach((row, r) => {
    row.forEach((v, c) => {
      data[r * f + c] = v === null ? Number.NaN : v;
    });
  });
  return { name: 'input-0', datatype: 'FP64', shape: [rows.length, f], data };
}

/** Asserts all values are within TOLERANCE of max(1, |expected|); returns how many were bit-identical. */
export function assertClose(actual: ArrayLike<number>, expected: readonly number[], what: string): number {
  return assertAllClose(actual, expected, unitScaled(TOLERANCE), what).identical;
}
