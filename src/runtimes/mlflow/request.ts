// V2 request tensors → what the flavor's model takes, driven by the MLflow signature, as MLServer's MLflow
// runtime decodes them (a column signature makes every request a pandas DataFrame, one input per column; a
// tensor signature a numpy array or a dict of them):
//  - column signature: one input per column, matched by name and put in signature order; a missing column is a
//    400 naming it; inputs the signature does not name are ignored (MLflow's _enforce_schema keeps only the
//    signature's columns). inferd also takes one unnamed [rows, columns] matrix (a V1 `instances` body).
//  - tensor signature: the one input (unnamed spec) or each named input, cast to the spec's dtype, shape-checked.
//  - no signature: the inputs as sent.

import type { Datatype, Tensor, TensorData, TensorMetadata } from '../model.js';
import { castValues, invalidInput } from './cast.js';
import { COLUMN_DATATYPES, type ColumnSpec, type Schema, type TensorSpec } from './signature.js';

const showShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** The inputs for the flavor's model. `inner` is that model's own input metadata (empty when it reports none). */
export function decodeRequest(
  inputs: readonly Tensor[],
  schema: Schema | null,
  inner: readonly TensorMetadata[],
): Tensor[] {
  if (inputs.length === 0) throw invalidInput('Expected at least one tensor in "inputs"');
  const seen = new Set<string>();
  for (const t of inputs) {
    if (seen.has(t.name)) throw invalidInput(`input "${t.name}" is given more than once`, t.name);
    seen.add(t.name);
  }
  if (!schema) return [...inputs];
  return schema.kind === 'columns' ? decodeColumns(inputs, schema.specs, inner) : decodeTensors(inputs, schema.specs);
}

// ---------------------------------------------------------------------------------------------------------------
// Column signatures

interface Column {
  spec: ColumnSpec;
  label: string;
  values: Float64Array | string[];
}

function decodeColumns(
  inputs: readonly Tensor[],
  specs: readonly ColumnSpec[],
  inner: readonly TensorMetadata[],
): Tensor[] {
  const named = specs[0]?.name !== null;
  const byName = new Map(inputs.map((t) => [t.name, t]));
  const anyNamed = named && specs.some((s) => byName.has(s.name!));
  let columns: Column[];
  let rows: number;
  const only = inputs[0]!;
  if (!anyNamed && inputs.length === 1 && only.shape.length === 2 && only.shape[1] === specs.length) {
    // One [rows, columns] matrix (V1 `instances`, or an unnamed-column signature): columns by position.
    rows = only.shape[0]!;
    columns = specs.map((spec, c) => columnOf(spec, c, sliceColumn(only, c, specs.length, rows)));
  } else if (!named) {
    // Unnamed columns, several inputs: by position, one input per column.
    if (inputs.length !== specs.length) {
      throw invalidInput(
        `the model's signature has ${specs.length} unnamed columns; send them as one [rows, ${specs.length}] tensor or as ${specs.length} inputs, got ${inputs.length} inputs`,
      );
    }
    columns = specs.map((spec, c) => columnOf(spec, c, asColumn(inputs[c]!, `column ${c}`)));
    rows = checkRows(columns);
  } else {
    const missing = specs.filter((s) => !byName.has(s.name!)).map((s) => JSON.stringify(s.name));
    if (missing.length > 0) {
      const all = specs.map((s) => JSON.stringify(s.name)).join(', ');
      throw invalidInput(
        `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: the model's signature needs one input per column (${all})`,
        specs.find((s) => !byName.has(s.name!))!.name!,
      );
    }
    columns = specs.map((spec, c) =>
      columnOf(spec, c, asColumn(byName.get(spec.name!)!, `column ${JSON.stringify(spec.name)}`)),
    );
    rows = checkRows(columns);
  }
  if (inner.length > 1) {
    // A model with one input per feature (ONNX): each column under its own name, [rows, 1].
    return columns.map((col) => ({
      name: col.spec.name ?? col.label,
      datatype: col.values instanceof Float64Array ? 'FP64' : 'BYTES',
      shape: [rows, 1],
      data: col.values,
    }));
  }
  return [toMatrix(columns, rows, inner[0]?.name ?? 'input-0')];
}

/** A column input's values: shape [rows] or [rows, 1]. */
function asColumn(t: Tensor, what: string): Tensor {
  const s = t.shape;
  if (s.length === 1 || (s.length === 2 && s[1] === 1)) return t;
  throw invalidInput(`${what}: expected shape [rows] or [rows, 1], got ${showShape(s)}`, t.name);
}

function sliceColumn(t: Tensor, c: number, cols: number, rows: number): Tensor {
  const src = t.data as ArrayLike<unknown>;
  if (src.length !== rows * cols) {
    throw invalidInput(
      `input "${t.name}": shape ${showShape(t.shape)} needs ${rows * cols} values, got ${src.length}`,
      t.name,
    );
  }
  const out = new Array<unknown>(rows);
  for (let r = 0; r < rows; r++) out[r] = src[r * cols + c];
  return { name: t.name, datatype: t.datatype, shape: [rows], data: out as TensorData };
}

function columnOf(spec: ColumnSpec, index: number, t: Tensor): Column {
  const label = spec.name ?? `column ${index}`;
  const datatype = COLUMN_DATATYPES[spec.type];
  const want = `${spec.type} (${datatype})`;
  const cast = castValues(t, datatype, { what: 'column', name: label }, want);
  let values: Float64Array | string[];
  if (datatype === 'BYTES') values = cast as string[];
  else if (cast instanceof Float64Array) values = cast;
  else {
    // pandas → numpy → sklearn: every numeric or boolean column ends as float64.
    const src = cast as ArrayLike<number | bigint | boolean>;
    values = new Float64Array(src.length);
    for (let i = 0; i < src.length; i++) values[i] = Number(src[i]);
  }
  return { spec, label, values };
}

function checkRows(columns: readonly Column[]): number {
  const rows = columns[0]!.values.length;
  for (const col of columns) {
    if (col.values.length !== rows) {
      throw invalidInput(
        `column ${JSON.stringify(col.label)} has ${col.values.length} rows, column ${JSON.stringify(columns[0]!.label)} has ${rows}; every column needs one value per row`,
        col.label,
      );
    }
  }
  return rows;
}

/** Columns → one row-major [rows, columns] tensor: FP64 when every column is numeric, else BYTES (str of numbers). */
function toMatrix(columns: readonly Column[], rows: number, name: string): Tensor {
  const cols = columns.length;
  if (columns.every((c) => c.values instanceof Float64Array)) {
    const data = new Float64Array(rows * cols);
    for (let c = 0; c < cols; c++) {
      const v = columns[c]!.values as Float64Array;
      for (let r = 0; r < rows; r++) data[r * cols + c] = v[r]!;
    }
    return { name, datatype: 'FP64', shape: [rows, cols], data };
  }
  const data = new Array<string>(rows * cols);
  for (let c = 0; c < cols; c++) {
    const v = columns[c]!.values;
    for (let r = 0; r < rows; r++) data[r * cols + c] = pyStr(v[r]!);
  }
  return { name, datatype: 'BYTES', shape: [rows, cols], data };
}

function pyStr(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isNaN(v)) return 'nan';
  if (v === Number.POSITIVE_INFINITY) return 'inf';
  if (v === Number.NEGATIVE_INFINITY) return '-inf';
  return String(v);
}

// ---------------------------------------------------------------------------------------------------------------
// Tensor signatures

const NUMPY_NAMES: Partial<Record<Datatype, string>> = {
  FP64: 'float64',
  FP32: 'float32',
  FP16: 'float16',
  INT64: 'int64',
  INT32: 'int32',
  INT16: 'int16',
  INT8: 'int8',
  UINT64: 'uint64',
  UINT32: 'uint32',
  UINT16: 'uint16',
  UINT8: 'uint8',
  BOOL: 'bool',
  BYTES: 'str',
};

function decodeTensors(inputs: readonly Tensor[], specs: readonly TensorSpec[]): Tensor[] {
  if (specs.length === 1 && specs[0]!.name === null) {
    if (inputs.length !== 1) {
      throw invalidInput(`the model's signature has one unnamed tensor input; got ${inputs.length} inputs`);
    }
    return [castTensor(inputs[0]!, specs[0]!, inputs[0]!.name)];
  }
  const byName = new Map(inputs.map((t) => [t.name, t]));
  // A single named spec also takes one input under any name (clients send `input-0`).
  if (specs.length === 1 && inputs.length === 1 && !byName.has(specs[0]!.name!)) {
    return [castTensor(inputs[0]!, specs[0]!, specs[0]!.name!)];
  }
  const names = specs.map((s, i) => s.name ?? `input-${i}`);
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw invalidInput(
      `missing input${missing.length > 1 ? 's' : ''} ${missing.map((n) => JSON.stringify(n)).join(', ')}: the model's signature needs ${names.map((n) => JSON.stringify(n)).join(', ')}`,
      missing[0],
    );
  }
  return specs.map((spec, i) => castTensor(byName.get(names[i]!)!, spec, names[i]!));
}

function castTensor(t: Tensor, spec: TensorSpec, name: string): Tensor {
  const want = spec.shape;
  const got = t.shape;
  if (got.length !== want.length || want.some((d, i) => d !== -1 && d !== got[i])) {
    throw invalidInput(
      `input "${t.name}": expected shape ${showShape(want)} (-1: any size), got ${showShape(got)}`,
      t.name,
    );
  }
  const wantType = `${NUMPY_NAMES[spec.datatype] ?? spec.datatype} (${spec.datatype})`;
  const data = castValues(t, spec.datatype, { what: 'input', name: t.name }, wantType);
  return { name, datatype: spec.datatype, shape: [...got], data };
}
