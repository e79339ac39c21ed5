// An MLflow model signature (MLmodel `signature.inputs` / `signature.outputs`: JSON text inside the YAML) →
// typed column or tensor specs, and the V2 metadata MLServer's MLflow runtime derives from them
// (mlserver_mlflow/metadata.py): a column is `[-1, 1]` of its type, a tensor keeps its shape, unnamed specs
// are `input-<i>` / `output-<i>`.

import { InferdError } from '../../errors.js';
import type { Datatype, TensorMetadata } from '../model.js';

/** MLflow's ColSpec types (mlflow.types.DataType) that a tabular model can take. */
export type ColumnType = 'double' | 'float' | 'long' | 'integer' | 'boolean' | 'string' | 'binary' | 'datetime';

export interface ColumnSpec {
  kind: 'column';
  /** null for an unnamed column (MLflow allows it; inputs are then positional). */
  name: string | null;
  type: ColumnType;
  required: boolean;
}

export interface TensorSpec {
  kind: 'tensor';
  name: string | null;
  datatype: Datatype;
  /** -1 for a dynamic dimension. */
  shape: number[];
}

export type Schema = { kind: 'columns'; specs: ColumnSpec[] } | { kind: 'tensors'; specs: TensorSpec[] };

export interface Signature {
  inputs: Schema | null;
  outputs: Schema | null;
}

/** MLflow DataType → V2 datatype, as MLServer maps it. */
export const COLUMN_DATATYPES: Readonly<Record<ColumnType, Datatype>> = {
  boolean: 'BOOL',
  integer: 'INT32',
  long: 'INT64',
  float: 'FP32',
  double: 'FP64',
  string: 'BYTES',
  binary: 'BYTES',
  datetime: 'BYTES',
};

/** numpy dtype names a TensorSpec may carry → V2 datatype (MLServer's to_datatype). */
const NUMPY_DATATYPES: Readonly<Record<string, Datatype>> = {
  bool: 'BOOL',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  object: 'BYTES',
  str: 'BYTES',
  bytes: 'BYTES',
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function badSignature(where: string, message: string): InferdError {
  return new InferdError('MODEL_LOAD_FAILED', `MLmodel signature.${where}: ${message}`, { reason: 'ModelLoadFailed' });
}

/** Parses MLmodel's `signature` mapping (each side a JSON string, or already a list). */
export function parseSignature(raw: unknown): Signature | null {
  if (raw === undefined || raw === null) return null;
  if (!isRecord(raw)) throw badSignature('', `expected a mapping with inputs and outputs, got ${typeof raw}`);
  return { inputs: parseSchema(raw.inputs, 'inputs'), outputs: parseSchema(raw.outputs, 'outputs') };
}

export function parseSchema(raw: unknown, where: string): Schema | null {
  if (raw === undefined || raw === null) return null;
  let list: unknown = raw;
  if (typeof raw === 'string') {
    try {
      list = JSON.parse(raw);
    } catch (err) {
      throw badSignature(where, `not valid JSON (${(err as Error).message})`);
    }
  }
  if (!Array.isArray(list)) throw badSignature(where, 'expected a JSON list of column or tensor specs');
  if (list.length === 0) return null;
  const specs = list.map((item, i) => parseSpec(item, `${where}[${i}]`));
  const tensors = specs.filter((s): s is TensorSpec => s.kind === 'tensor');
  if (tensors.length === specs.length) return { kind: 'tensors', specs: tensors };
  if (tensors.length > 0) throw badSignature(where, 'mixes column specs and tensor specs');
  const columns = specs as ColumnSpec[];
  const named = columns.filter((c) => c.name !== null).length;
  if (named !== 0 && named !== columns.length) throw badSignature(where, 'names some columns but not all');
  const seen = new Set<string>();
  for (const c of columns) {
    if (c.name === null) continue;
    if (seen.has(c.name)) throw badSignature(where, `names column ${JSON.stringify(c.name)} twice`);
    seen.add(c.name);
  }
  return { kind: 'columns', specs: columns };
}

function parseSpec(item: unknown, where: string): ColumnSpec | TensorSpec {
  if (!isRecord(item)) throw badSignature(where, 'expected an object');
  const name = item.name === undefined || item.name === null ? null : String(item.name);
  if (item.type === 'tensor') {
    const ts = item['tensor-spec'];
    if (!isRecord(ts)) throw badSignature(where, 'a tensor spec needs "tensor-spec": {dtype, shape}');
    const dtype = String(ts.dtype ?? '');
    const datatype = NUMPY_DATATYPES[dtype] ?? (/^[<>|=]?[US]\d*$/.test(dtype) ? 'BYTES' : undefined);
    if (!datatype) throw badSignature(where, `tensor dtype ${JSON.stringify(dtype)} has no V2 datatype`);
    const shape = ts.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= -1)) {
      throw badSignature(where, `tensor shape ${JSON.stringify(shape)} is not a list of sizes (-1: any)`);
    }
    return { kind: 'tensor', name, datatype, shape: shape as number[] };
  }
  const type = item.type;
  if (typeof type === 'string' && Object.hasOwn(COLUMN_DATATYPES, type)) {
    return { kind: 'column', name, type: type as ColumnType, required: item.required !== false };
  }
  // MLflow 2.10+ Array / Object / Map / AnyType columns: no tabular flavor inferd serves can take them.
  throw new InferdError(
    'UNSUPPORTED',
    `MLmodel signature.${where}: column ${name === null ? '' : `${JSON.stringify(name)} `}has type ${JSON.stringify(type)}; inferd serves columns of type ${Object.keys(COLUMN_DATATYPES).join(', ')}`,
    { reason: 'UnsupportedModel' },
  );
}

/** The V2 tensor metadata MLServer reports for a schema side. */
export function schemaMetadata(schema: Schema | null, prefix: 'input-' | 'output-'): TensorMetadata[] {
  if (!schema) return [];
  if (schema.kind === 'columns') {
    return schema.specs.map((c, i) => ({
      name: c.name ?? `${prefix}${i}`,
      datatype: COLUMN_DATATYPES[c.type],
      shape: [-1, 1],
    }));
  }
  return schema.specs.map((t, i) => ({ name: t.name ?? `${prefix}${i}`, datatype: t.datatype, shape: [...t.shape] }));
}
