// Casting a request tensor's values to the datatype an MLflow signature asks for, where nothing is lost or it
// is what the client means (the rules follow MLflow's _enforce_mlflow_datatype, a little more lenient — see
// docs/runtimes.md#mlflow):
//   any number → FP64 / FP32 / FP16       integers, and floats holding whole numbers → integer types (range-checked)
//   BOOL, or numbers that are all 0/1 → BOOL      BYTES → BYTES only
// Anything else (a string for a number, 2.5 for a long, a number for a string) is INVALID_INPUT naming the
// input, which for a column signature is the column.

import { InferdError } from '../../errors.js';
import type { Datatype, Tensor, TensorData } from '../model.js';

const INT_RANGES: Partial<Record<Datatype, [number, number]>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [-(2 ** 63), 2 ** 63 - 1],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, 2 ** 64 - 1],
};

const isFloat = (d: Datatype) => d === 'FP16' || d === 'FP32' || d === 'FP64';
const isNumeric = (d: Datatype) => d !== 'BOOL' && d !== 'BYTES';

export function invalidInput(message: string, input?: string): InferdError {
  return new InferdError('INVALID_INPUT', message, input === undefined ? {} : { input });
}

/** `column "x"` or `input "x"`: how messages name what the client sent. */
export type Label = { what: 'column' | 'input'; name: string };
const show = (l: Label) => `${l.what} ${JSON.stringify(l.name)}`;

/** Short text for a value in a message. */
function showValue(v: unknown): string {
  if (typeof v === 'bigint') return String(v);
  if (v instanceof Uint8Array) return `b${JSON.stringify(Buffer.from(v).toString('latin1'))}`;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/**
 * `t`'s values as `target`. `want` names the expected type in messages (a column's MLflow type, or the
 * tensor's dtype). Numbers come back as a Float64Array for FP64, Float32Array for FP32/FP16, a typed
 * integer array (BigInt64Array for INT64, BigUint64Array for UINT64), boolean[] or string[].
 */
export function castValues(t: Tensor, target: Datatype, label: Label, want: string): TensorData {
  const from = t.datatype;
  const data = t.data as ArrayLike<unknown>;
  const n = data.length;
  const wrongType = (): never => {
    throw invalidInput(`${show(label)}: expected ${want} values, got ${from}`, label.name);
  };
  if (target === 'BYTES') {
    if (from !== 'BYTES') wrongType();
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const v = data[i];
      out[i] = typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8');
    }
    return out;
  }
  if (target === 'BOOL') {
    const out = new Array<boolean>(n);
    if (from === 'BOOL') {
      for (let i = 0; i < n; i++) out[i] = Boolean(data[i]);
      return out;
    }
    if (!isNumeric(from)) wrongType();
    for (let i = 0; i < n; i++) {
      const v = Number(data[i]);
      if (v !== 0 && v !== 1) {
        throw invalidInput(`${show(label)}: element ${i} (${showValue(data[i])}) is not a ${want} value`, label.name);
      }
      out[i] = v === 1;
    }
    return out;
  }
  if (!isNumeric(from)) wrongType();
  if (isFloat(target)) {
    const out = target === 'FP64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(data[i]);
    return out;
  }
  const [min, max] = INT_RANGES[target]!;
  const checkInt = (i: number, v: number): void => {
    if (!Number.isInteger(v)) {
      throw invalidInput(
        `${show(label)}: element ${i} (${showValue(data[i])}) is not a whole number; expected ${want}`,
        label.name,
      );
    }
    if (v < min || v > max) {
      throw invalidInput(
        `${show(label)}: element ${i} (${showValue(data[i])}) is out of range for ${want}`,
        label.name,
      );
    }
  };
  if (target === 'INT64' || target === 'UINT64') {
    const out = target === 'INT64' ? new BigInt64Array(n) : new BigUint64Array(n);
    for (let i = 0; i < n; i++) {
      const raw = data[i];
      if (typeof raw === 'bigint') {
        if (target === 'UINT64' && raw < 0n) checkInt(i, -1);
        out[i] = raw;
        continue;
      }
      const v = Number(raw);
      checkInt(i, v);
      out[i] = BigInt(v);
    }
    return out;
  }
  const out = new INT_ARRAYS[target as keyof typeof INT_ARRAYS](n);
  for (let i = 0; i < n; i++) {
    const v = Number(data[i]);
    checkInt(i, v);
    out[i] = v;
  }
  return out;
}

const INT_ARRAYS = {
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
} as const;
