// V1 request body → tensors, as KServe's `get_predict_input` turns `instances` into `np.array(instances)`:
// rows of numbers → FP64 [n, f], a flat list → [n], strings → BYTES; a list of records (objects) → one
// column tensor per key, flagged `content_type: "pd"` like KServe's DataFrame path; an object of lists is
// columns (one row per element), as pandas reads it.

import { InferdError } from '../errors.js';
import type { PredictOptions, Tensor } from '../runtimes/model.js';
import { flattenNested } from './numpy-shape.js';
import { show } from './tensor-decode.js';

export interface V1Request {
  inputs: Tensor[];
  options: PredictOptions;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const invalid = (msg: string) => new InferdError('INVALID_INPUT', msg);

/** Decodes a parsed V1 body. Throws InferdError('INVALID_INPUT') with a message the client can act on. */
export function decodeV1Request(body: unknown): V1Request {
  if (!isRecord(body)) {
    // KServe 0.12.1 answers 500 with an sklearn "scalar array" text here; we say what is wrong.
    const got = Array.isArray(body) ? 'a JSON array' : body === null ? 'null' : `a ${typeof body}`;
    throw invalid(`Expected a JSON object with "instances" or "inputs", got ${got}`);
  }
  // KServe reads "inputs" first, then "instances".
  const key = 'inputs' in body ? 'inputs' : 'instances' in body ? 'instances' : undefined;
  if (key === undefined) throw invalid('Expected "instances" or "inputs" in the request body');
  const instances = body[key];
  if (!Array.isArray(instances)) throw invalid(`Expected "${key}" to be a list`);
  const options: PredictOptions = {};
  let parameters: Record<string, unknown> | undefined;
  for (const k in body) {
    if (k !== 'instances' && k !== 'inputs') {
      parameters ??= {};
      parameters[k] = body[k];
    }
  }
  const first = instances[0];
  if (isRecord(first) || (Array.isArray(first) && isRecord(first[0]))) {
    parameters = { ...parameters, content_type: 'pd' };
    options.parameters = parameters;
    return { inputs: recordsToColumns(key, instances), options };
  }
  if (parameters) options.parameters = parameters;
  return { inputs: [instancesToTensor(key, instances)], options };
}

/** `instances` as one tensor named `input-0`. Rows of numbers take the fast path. */
export function instancesToTensor(key: string, instances: readonly unknown[]): Tensor {
  const n = instances.length;
  const first = instances[0];
  if (Array.isArray(first) && typeof first[0] === 'number') {
    const f = first.length;
    const data = new Float64Array(n * f);
    let k = 0;
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      const row = instances[i];
      if (!Array.isArray(row) || row.length !== f) ok = false;
      else
        for (let j = 0; j < f; j++) {
          const v = row[j];
          if (typeof v !== 'number') {
            ok = false;
            break;
          }
          data[k++] = v;
        }
    }
    if (ok) return { name: 'input-0', datatype: 'FP64', shape: [n, f], data };
  } else if (typeof first === 'number') {
    const data = new Float64Array(n);
    let ok = true;
    for (let i = 0; i < n; i++) {
      const v = instances[i];
      if (typeof v !== 'number') {
        ok = false;
        break;
      }
      data[i] = v;
    }
    if (ok) return { name: 'input-0', datatype: 'FP64', shape: [n], data };
  }
  const { shape, flat } = flattenNested(instances);
  return { name: 'input-0', shape, ...leavesToData(key, flat) };
}

/** numpy's dtype pick for a flat list: numbers → FP64 (null → nan), all booleans → BOOL, strings → BYTES. */
function leavesToData(key: string, flat: readonly unknown[]): Pick<Tensor, 'datatype' | 'data'> {
  let strings = 0;
  let bools = 0;
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    const t = typeof v;
    if (t === 'string') strings++;
    else if (t === 'boolean') bools++;
    else if (t !== 'number' && v !== null) {
      throw invalid(`Unsupported value in "${key}" at element ${i}: ${show(v)}`);
    }
  }
  if (strings > 0) {
    // np.array of mixed strings and numbers is a string array: every value becomes its str().
    const data = flat.map((v) => (typeof v === 'string' ? v : pyStr(v)));
    return { datatype: 'BYTES', data };
  }
  if (bools === flat.length && bools > 0) return { datatype: 'BOOL', data: flat as boolean[] };
  const data = new Float64Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    data[i] = v === null ? Number.NaN : Number(v);
  }
  return { datatype: 'FP64', data };
}

function pyStr(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}

/**
 * One instance given as columns, as `pd.DataFrame(instance)` reads a dict: list values are columns (one row
 * per element, all of one length), scalars beside them are repeated on every row; all scalars is one row.
 */
function recordRows(key: string, record: Record<string, unknown>): Record<string, unknown>[] {
  let length = -1;
  for (const k in record) {
    const v = record[k];
    if (!Array.isArray(v)) continue;
    if (length >= 0 && v.length !== length) {
      // pandas: "All arrays must be of the same length" (KServe answers it with a 500)
      throw invalid(
        `All arrays must be of the same length: "${key}" has an object whose column "${k}" has ${v.length} values, another ${length}`,
      );
    }
    length = v.length;
  }
  if (length < 0) return [record];
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < length; i++) {
    const row: Record<string, unknown> = {};
    for (const k in record) {
      const v = record[k];
      row[k] = Array.isArray(v) ? v[i] : v;
    }
    rows.push(row);
  }
  return rows;
}

/** A records table may hold this many cells (rows × columns), or this many per value the request sent. */
const MAX_TABLE_CELLS = 1 << 20;
const MAX_CELLS_PER_VALUE = 16;

/**
 * Refuses, before any row is built, a table far larger than the values sent: records that each bring their own
 * key, or a list column beside thousands of scalars, make rows × columns cells from a few hundred KB (a 249 KB
 * body of 20,000 one-key records took 73 s and 3.3 GB; pandas would fill the same table with NaN).
 */
function checkTableSize(key: string, instances: readonly unknown[]): void {
  let rows = 0;
  let values = 0;
  const columns = new Set<string>();
  for (const item of instances) {
    for (const row of Array.isArray(item) ? item : [item]) {
      if (!isRecord(row)) continue; // refused below with its own message
      let length = 1;
      for (const k in row) {
        columns.add(k);
        const v = row[k];
        values += Array.isArray(v) ? v.length : 1;
        if (Array.isArray(v) && !Array.isArray(item)) length = v.length; // columns: one row per element
      }
      rows += length;
    }
  }
  const cells = rows * columns.size;
  if (cells > Math.max(MAX_TABLE_CELLS, MAX_CELLS_PER_VALUE * values)) {
    throw invalid(
      `"${key}" would make a table of ${rows} rows × ${columns.size} columns from ${values} values; send records that share their keys (at most ${MAX_CELLS_PER_VALUE} cells per value sent, or ${MAX_TABLE_CELLS} in all)`,
    );
  }
}

/** Records → one [n] tensor per column, in first-seen key order; a missing key is null (pandas: NaN). */
function recordsToColumns(key: string, instances: readonly unknown[]): Tensor[] {
  checkTableSize(key, instances);
  const rows: Record<string, unknown>[] = [];
  for (const item of instances) {
    const group = Array.isArray(item) ? item : isRecord(item) ? recordRows(key, item) : [item];
    for (const row of group) {
      if (!isRecord(row)) throw invalid(`Expected every element of "${key}" to be an object when the first one is`);
      rows.push(row);
    }
  }
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const k in row) {
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
    }
  }
  return columns.map((col) => {
    const values = rows.map((r) => (col in r ? r[col] : null));
    return { name: col, shape: [rows.length], ...leavesToData(`${key}[].${col}`, values) };
  });
}
