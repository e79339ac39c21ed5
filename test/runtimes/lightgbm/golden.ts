// Reading the LightGBM fixtures (scripts/fixtures/gen_lightgbm.py, and the real LightGBM model in
// models/leaves_rf_iris) and comparing float64 outputs.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../../src/runtimes/model.js';
import { assertAllClose } from '../../support/numeric.js';

export interface Expected {
  case: string;
  source: string;
  objective: string;
  rows: (number | null)[][];
  output_shape: number[];
  raw: number[];
  predict?: number[];
}

export interface HandChecked {
  cases: { model: string; decision_type: number; threshold: number; x: number | null; expected: number; why: string }[];
}

/** Relative bound for float64 outputs: the same sums in the same order, up to exp()'s last bit. */
export const REL_TOL = 1e-12;
export const ABS_FLOOR = 1e-15;

export function caseNames(root: string): string[] {
  return readdirSync(join(root, 'models'))
    .filter((n) => n !== 'hand_checked_stumps')
    .sort();
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function matrix(rows: (number | null)[][]): { tensor: Tensor; x: Float64Array } {
  const f = rows[0]!.length;
  const x = new Float64Array(rows.length * f);
  rows.forEach((row, r) => {
    row.forEach((v, c) => {
      x[r * f + c] = v === null ? Number.NaN : v;
    });
  });
  return { tensor: { name: 'input-0', datatype: 'FP64', shape: [rows.length, f], data: x }, x };
}

export function assertClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assertAllClose(actual, expected, { rtol: REL_TOL, atol: ABS_FLOOR }, what);
}
