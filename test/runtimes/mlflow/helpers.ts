// Shared helpers for the mlflow runtime tests: fixture paths, V2-shaped column tensors, and throwaway MLflow
// model directories written from a YAML string.

import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Datatype, Tensor } from '../../../src/runtimes/model.js';
import { fixturesDir } from '../../helpers/paths.js';
import { assertAllClose, unitScaled } from '../../support/numeric.js';

export const mlflowFixtures = join(fixturesDir, 'mlflow');
export const fixture = (name: string) => join(mlflowFixtures, name);

export function readExpected<T = Record<string, unknown>>(modelDir: string): T {
  return JSON.parse(readFileSync(join(modelDir, 'expected.json'), 'utf8')) as T;
}

/** One [rows] FP64 (or `datatype`) input per column, named after it: KServe's MLflow example request. */
export function columnInputs(
  columns: readonly string[],
  rows: readonly number[][],
  datatype: Datatype = 'FP64',
): Tensor[] {
  return columns.map((name, c) => {
    const values = rows.map((r) => r[c]!);
    const data = datatype === 'FP32' ? Float32Array.from(values) : Float64Array.from(values);
    return { name, datatype, shape: [rows.length], data };
  });
}

export function matrix(rows: readonly number[][], name = 'input-0'): Tensor {
  return { name, datatype: 'FP64', shape: [rows.length, rows[0]!.length], data: Float64Array.from(rows.flat()) };
}

export const values = (t: Tensor | undefined) => Array.from((t?.data ?? []) as ArrayLike<unknown>, (v) => Number(v));

/** `tol` relative to max(1, |want|). */
export function assertClose(got: readonly number[], want: readonly number[], tol: number, what: string): void {
  assertAllClose(got, want, unitScaled(tol), what);
}

/** A temporary model directory holding `files` (name → contents); removed when the test ends. */
export async function modelDir(t: TestContext, files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'inferd-mlflow-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, body] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), body);
  }
  return dir;
}

/** The iris fixture's pickle, for directories that need a real model file. */
export const irisPickle = () => readFileSync(join(fixture('iris_model'), 'model.pkl'));

export const IRIS_COLUMNS = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];
