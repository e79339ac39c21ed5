// Reading test/fixtures/onnx/<case>/expected.json (written by scripts/fixtures/gen_onnx.py) and comparing
// outputs. Float tolerance is per fixture: |got - want| <= tolerance * max(1, |want|), so 1e-5 is absolute for
// probabilities and relative for larger values; 0 means exact. Integers, booleans and strings are exact.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Datatype, Tensor, TensorData, TensorMetadata } from '../../../src/runtimes/model.js';
import { fixturesDir } from '../../helpers/paths.js';
import { assertAllClose as allClose, EXACT, unitScaled } from '../../support/numeric.js';

export const onnxFixtures = join(fixturesDir, 'onnx');

export interface JsonTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  /** INT64 as decimal strings; non-finite floats as "Infinity", "-Infinity", "NaN". */
  data: unknown[];
}

export interface Expected {
  note: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  tolerance: number | null;
  cases: { name: string; inputs: JsonTensor[]; outputs: JsonTensor[]; select_outputs: boolean }[];
}

export const fixtureNames = (root = onnxFixtures) =>
  readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

export const fixtureDir = (name: string, root = onnxFixtures) => join(root, name);

export function readExpected(name: string, root = onnxFixtures): Expected {
  return JSON.parse(readFileSync(join(root, name, 'expected.json'), 'utf8')) as Expected;
}

const float = (v: unknown) => (typeof v === 'string' ? Number(v) : (v as number));

/** A JSON tensor with the typed data the server's V2 decoder produces (INT64 → BigInt64Array, FP16 → values). */
export function toTensor(t: JsonTensor): Tensor {
  let data: TensorData;
  switch (t.datatype) {
    case 'FP16':
    case 'FP32':
      data = Float32Array.from(t.data, float);
      break;
    case 'FP64':
      data = Float64Array.from(t.data, float);
      break;
    case 'INT64':
      data = BigInt64Array.from(t.data as string[], (v) => BigInt(v));
      break;
    case 'INT32':
      data = Int32Array.from(t.data as number[]);
      break;
    case 'BOOL':
      data = [...(t.data as boolean[])];
      break;
    case 'BYTES':
      data = [...(t.data as string[])];
      break;
    default:
      throw new Error(`golden.ts: no reader for ${t.datatype}`);
  }
  return { name: t.name, datatype: t.datatype, shape: [...t.shape], data };
}

/** Asserts `got` equals the expected tensor: names, datatypes, shapes, and values within `tolerance`. */
export function assertTensorEqual(got: Tensor, want: JsonTensor, tolerance: number, where: string): void {
  assert.equal(got.name, want.name, `${where}: output name`);
  assert.equal(got.datatype, want.datatype, `${where}: datatype of ${want.name}`);
  assert.deepEqual(got.shape, want.shape, `${where}: shape of ${want.name}`);
  assert.equal(got.data.length, want.data.length, `${where}: length of ${want.name}`);
  const values = Array.from(got.data as ArrayLike<unknown>);
  switch (want.datatype) {
    case 'INT64':
    case 'UINT64':
      assert.deepEqual(
        values.map((v) => String(v)),
        want.data,
        `${where}: ${want.name}`,
      );
      return;
    case 'FP16':
    case 'FP32':
    case 'FP64':
      assertAllClose(values as number[], want.data.map(float), tolerance, `${where}: ${want.name}`);
      return;
    default:
      assert.deepEqual(values, want.data, `${where}: ${want.name}`);
  }
}

/** `tolerance` relative to max(1, |want|); 0 means bit for bit (NaN equal to NaN). */
export function assertAllClose(got: ArrayLike<number>, want: readonly number[], tolerance: number, what: string) {
  allClose(got, want, tolerance === 0 ? EXACT : unitScaled(tolerance), what);
}
