// The first input tensor → the row-major feature matrix a tree model predicts on, checked the way a client can
// act on: rank 2 `[rows, features]`, numbers only, the model's feature count. xgboost reads float32 (as its
// DMatrix does); LightGBM reads float64. JSON null (V1 has no NaN) means missing. Shared by both runtimes.

import { InferdError } from '../../errors.js';
import type { Tensor } from '../model.js';

export interface MatrixSpec {
  /** Runtime name for messages, e.g. `xgboost`. */
  runtime: string;
  /** Features per row the model was trained with. */
  nFeatures: number;
}

function invalidInput(message: string): InferdError {
  return new InferdError('INVALID_INPUT', message);
}

/** Validates the tensor's shape against the model and returns its row count. */
function checkShape(tensor: Tensor | undefined, spec: MatrixSpec): { tensor: Tensor; rows: number } {
  if (!tensor) throw invalidInput(`${spec.runtime} expects one input tensor of shape [rows, ${spec.nFeatures}]`);
  const { shape, name } = tensor;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalidInput(`input ${name}: invalid shape ${JSON.stringify(shape)}`);
  }
  if (tensor.datatype === 'BYTES') {
    throw invalidInput(
      `input ${name}: ${spec.runtime} takes numeric tensors (FP32, FP64, INT*, UINT*, BOOL), got BYTES`,
    );
  }
  if (shape.length !== 2) {
    throw invalidInput(
      `input ${name}: expected a rank-2 tensor [rows, ${spec.nFeatures}], got shape ${JSON.stringify(shape)}`,
    );
  }
  const [rows, features] = shape as [number, number];
  if (tensor.data.length !== rows * features) {
    throw invalidInput(
      `input ${name}: shape ${JSON.stringify(shape)} needs ${rows * features} values, got ${tensor.data.length}`,
    );
  }
  if (features !== spec.nFeatures) {
    throw invalidInput(
      `input ${name}: the model expects ${spec.nFeatures} features per row, got ${features} (shape ${JSON.stringify(shape)})`,
    );
  }
  return { tensor, rows };
}

/** One value as a number: null/undefined are missing (NaN), booleans 0/1; strings are refused. */
function toNumber(value: unknown, index: number, spec: MatrixSpec, name: string): number {
  if (typeof value === 'number') return value;
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  throw invalidInput(
    `input ${name}: ${spec.runtime} takes numbers, got ${typeof value === 'string' ? JSON.stringify(value) : typeof value} at index ${index}`,
  );
}

function fill(target: Float32Array | Float64Array, data: Tensor['data'], spec: MatrixSpec, name: string): void {
  if (ArrayBuffer.isView(data)) {
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      for (let i = 0; i < data.length; i++) target[i] = Number(data[i]);
    } else {
      target.set(data as ArrayLike<number>);
    }
    return;
  }
  const items = data as readonly unknown[];
  for (let i = 0; i < items.length; i++) target[i] = toNumber(items[i], i, spec, name);
}

/** float32 rows, as xgboost's DMatrix holds them (float64 inputs round to nearest). */
export function toFloat32Matrix(input: Tensor | undefined, spec: MatrixSpec): { x: Float32Array; rows: number } {
  const { tensor, rows } = checkShape(input, spec);
  if (tensor.data instanceof Float32Array) return { x: tensor.data, rows }; // read-only use: no copy
  const x = new Float32Array(tensor.data.length);
  fill(x, tensor.data, spec, tensor.name);
  return { x, rows };
}

/** float64 rows, as LightGBM predicts on them. */
export function toFloat64Matrix(input: Tensor | undefined, spec: MatrixSpec): { x: Float64Array; rows: number } {
  const { tensor, rows } = checkShape(input, spec);
  if (tensor.data instanceof Float64Array) return { x: tensor.data, rows };
  const x = new Float64Array(tensor.data.length);
  fill(x, tensor.data, spec, tensor.name);
  return { x, rows };
}

export interface ColumnSpec extends MatrixSpec {
  /** The model's feature names, in column order; empty when it was trained without names. */
  featureNames: readonly string[];
  /**
   * Columns the model has but the request lacks: `nan` fills them with NaN, as `pd.DataFrame(records,
   * columns=booster.feature_name())` does in KServe's lgbserver; `error` refuses, as xgboost's feature-name check does.
   */
  absent: 'nan' | 'error';
}

const MAX_FILLED_CELLS = 1 << 22;
const MAX_CELLS_PER_VALUE = 16;

/**
 * Named column tensors (KServe's pandas path: V1 records, or V2 inputs with `content_type: "pd"`) → rows.
 * Columns are matched to the model's feature names; a model without names takes them in request order.
 */
export function columnsToMatrix(inputs: readonly Tensor[], spec: ColumnSpec): Tensor {
  if (inputs.length === 0) throw invalidInput(`${spec.runtime} expects input columns`);
  const rows = inputs[0]!.data.length;
  for (const column of inputs) {
    const shape = column.shape;
    if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1)) || column.data.length !== rows) {
      throw invalidInput(
        `input ${column.name}: each column must be [rows] with the same rows as the others, got shape ${JSON.stringify(shape)}`,
      );
    }
    if (column.datatype === 'BYTES')
      throw invalidInput(`input ${column.name}: ${spec.runtime} takes numeric columns, got BYTES`);
  }
  const byName = new Map(inputs.map((t) => [t.name, t]));
  let columns: (Tensor | undefined)[];
  if (spec.featureNames.length === 0) {
    if (inputs.length !== spec.nFeatures) {
      throw invalidInput(`the model expects ${spec.nFeatures} columns, got ${inputs.length}`);
    }
    columns = [...inputs];
  } else {
    columns = spec.featureNames.map((n) => byName.get(n));
    const known = new Set(spec.featureNames);
    const unknown = inputs.filter((t) => !known.has(t.name)).map((t) => t.name);
    const absent = spec.featureNames.filter((_, i) => columns[i] === undefined);
    if (spec.absent === 'error' && (absent.length > 0 || unknown.length > 0)) {
      const parts = [];
      if (absent.length > 0) parts.push(`missing column(s) ${absent.join(', ')}`);
      if (unknown.length > 0) parts.push(`unknown column(s) ${unknown.join(', ')}`);
      throw invalidInput(
        `feature_names mismatch: ${parts.join('; ')}; the model's features are ${spec.featureNames.join(', ')}`,
      );
    }
  }
  const f = columns.length;
  // Absent columns are filled with NaN: a one-column body to a many-feature model must not make a matrix far
  // larger than what was sent (16 MiB of one column to a 50-feature model would be ~1.6 GB).
  const sent = rows * inputs.length;
  if (rows * f > Math.max(MAX_FILLED_CELLS, MAX_CELLS_PER_VALUE * sent)) {
    throw invalidInput(
      `${inputs.length} column(s) of ${rows} rows would make a ${rows} × ${f} matrix (the model's features); send the missing columns or fewer rows (at most ${MAX_CELLS_PER_VALUE} cells per value sent, or ${MAX_FILLED_CELLS} in all)`,
    );
  }
  const data = new Float64Array(rows * f);
  columns.forEach((column, c) => {
    if (!column) {
      for (let r = 0; r < rows; r++) data[r * f + c] = Number.NaN;
      return;
    }
    const values = new Float64Array(rows);
    fill(values, column.data, spec, column.name);
    for (let r = 0; r < rows; r++) data[r * f + c] = values[r]!;
  });
  return { name: 'dataframe', datatype: 'FP64', shape: [rows, f], data };
}
