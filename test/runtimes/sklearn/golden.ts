// Reading the golden fixtures written by scripts/fixtures/gen_sklearn.py, and comparing numbers the way the
// sklearn tests do: classes exactly, floats within a relative tolerance.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PredictOptions, Tensor } from '../../../src/runtimes/model.js';
import { assertAllClose as allClose } from '../../support/numeric.js';

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
  /** sklearn.base.is_classifier (absent in fixtures from before it was recorded). */
  is_classifier?: boolean;
}

/** Whether predict returns class labels (compared exactly) rather than values (compared within tolerance). */
export function isClassifier(expected: Expected): boolean {
  return expected.is_classifier ?? expected.estimator.endsWith('Classifier');
}

/**
 * predict's values as expected.json spells them: int64 labels come as a BigInt64Array (their raw bytes go out
 * as they are), the JSON has numbers. Any other typed array or array is read as it is.
 */
export function predictedValues(output: Tensor): unknown[] {
  if (output.datatype === 'INT64') assert.ok(output.data instanceof BigInt64Array, 'INT64 labels are a BigInt64Array');
  return Array.from(output.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));
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

/** A data set's query rows (data/<name>.json); NaN and None are written as null. */
interface Dataset {
  X: (number | string | null)[][];
  /** For a DataFrame: its column names, and which columns hold strings ('O') or numbers ('f'). */
  columns?: string[];
  kinds?: ('O' | 'f')[];
}

const datasets = new Map<string, Dataset>();

function readDataset(root: string, name: string): Dataset {
  const key = `${root}:${name}`;
  let dataset = datasets.get(key);
  if (!dataset) {
    dataset = JSON.parse(readFileSync(join(root, 'data', `${name}.json`), 'utf8')) as Dataset;
    datasets.set(key, dataset);
  }
  return dataset;
}

/** The rows a case predicts on: its dataset, then its extra (tree threshold) rows; null is NaN. */
export function inputRows(root: string, expected: Expected): number[][] {
  const rows = readDataset(root, expected.dataset).X as (number | null)[][];
  return [...rows, ...expected.extra_rows].map((row) => row.map((v) => (v === null ? Number.NaN : v)));
}

export function matrixTensor(rows: number[][]): Tensor {
  const f = rows[0]!.length;
  const data = new Float64Array(rows.length * f);
  rows.forEach((row, r) => {
    data.set(row, r * f);
  });
  return { name: 'input-0', datatype: 'FP64', shape: [rows.length, f], data };
}

/** What a case sends: a matrix, or (for a DataFrame data set) one named column per tensor with content_type pd. */
export function caseInput(
  root: string,
  expected: Expected,
): { inputs: Tensor[]; options: PredictOptions; rows: number } {
  const dataset = readDataset(root, expected.dataset);
  if (!dataset.columns) {
    const rows = inputRows(root, expected);
    return { inputs: [matrixTensor(rows)], options: {}, rows: rows.length };
  }
  const rows = dataset.X;
  const inputs = dataset.columns.map((name, c): Tensor => {
    if (dataset.kinds?.[c] === 'O') {
      // strings, with null for None/NaN (as V1 records carry them)
      return { name, datatype: 'BYTES', shape: [rows.length], data: rows.map((row) => row[c]) as string[] };
    }
    const data = Float64Array.from(rows, (row) => (row[c] === null ? Number.NaN : Number(row[c])));
    return { name, datatype: 'FP64', shape: [rows.length], data };
  });
  return { inputs, options: { parameters: { content_type: 'pd' } }, rows: rows.length };
}

/** Asserts every value is within REL_TOL (ABS_FLOOR near zero); returns the largest relative difference seen. */
export function assertAllClose(actual: ArrayLike<number>, expected: readonly number[], what: string): number {
  return allClose(actual, expected, { rtol: REL_TOL, atol: ABS_FLOOR }, what).worstRelative;
}
