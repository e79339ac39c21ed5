// Columns as they arrive in a request, before sklearn's check_array turns them into a float matrix: a pandas-style
// DataFrame (KServe's `content_type: pd`, V1 records) or the columns of a 2-D array. Encoders, imputers and the
// ColumnTransformer take these, because their input may hold strings and None; everything else takes floats.

import { checkFeatureNames } from '../feature-names.js';
import { checkFiniteness, invalidInput } from '../input-matrix.js';
import { parsePythonFloat, pythonStrRepr } from '../python-text.js';
import type { Finiteness } from './estimator.js';

/** One column: numbers, strings, null (None) or Buffers, `rows` long. */
export type Column = ArrayLike<unknown>;

export interface Frame {
  readonly rows: number;
  /** Column names for a DataFrame; null for the columns of a plain array. */
  readonly names: readonly string[] | null;
  readonly columns: readonly Column[];
}

/** A frame of the given columns of `frame`, by position. */
export function selectColumns(frame: Frame, indices: readonly number[]): Frame {
  return {
    rows: frame.rows,
    names: frame.names ? indices.map((i) => frame.names![i]!) : null,
    columns: indices.map((i) => frame.columns[i]!),
  };
}

/** A numeric row-major matrix as a frame (columns as views). */
export function matrixToFrame(x: Float64Array, rows: number, cols: number): Frame {
  const columns: Float64Array[] = [];
  for (let c = 0; c < cols; c++) {
    const column = new Float64Array(rows);
    for (let r = 0; r < rows; r++) column[r] = x[r * cols + c]!;
    columns.push(column);
  }
  return { rows, names: null, columns };
}

/**
 * `check_array(X, dtype=float64)` on a frame, for a step named `className` that expects `nFeatures` columns:
 * strings parse as Python's float() does, None is NaN, and non-finite values are refused as sklearn refuses them.
 */
export function frameToMatrix(
  frame: Frame,
  step: { className: string; nFeatures: number | null; inputFinite?: Finiteness },
): Float64Array {
  const cols = frame.columns.length;
  if (step.nFeatures !== null && cols !== step.nFeatures) {
    throw invalidInput(
      `X has ${cols} features, but ${step.className} is expecting ${step.nFeatures} features as input.`,
    );
  }
  const rows = frame.rows;
  const x = new Float64Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    const column = frame.columns[c]!;
    if (column instanceof Float64Array) {
      for (let r = 0; r < rows; r++) x[r * cols + c] = column[r]!;
    } else {
      for (let r = 0; r < rows; r++) x[r * cols + c] = cellToNumber(column[r]);
    }
  }
  checkFiniteness(x, step.className, step.inputFinite ?? 'finite');
  return x;
}

/** numpy's float() of one cell. */
export function cellToNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (value === null || value === undefined) return Number.NaN;
  const text = typeof value === 'string' ? value : value instanceof Uint8Array ? Buffer.from(value).toString() : null;
  if (text !== null) {
    const parsed = parsePythonFloat(text);
    if (parsed === undefined) throw invalidInput(`could not convert string to float: ${pythonStrRepr(text)}`);
    return parsed;
  }
  throw invalidInput(`could not convert ${typeof value} to float`);
}

/** Frame input to a transformer fitted on named columns: sklearn's feature-name check (names and order). */
export function checkFrameNames(step: { featureNames: readonly string[] | null }, frame: Frame): void {
  if (frame.names) checkFeatureNames(step.featureNames, frame.names);
}
