// The first input tensor → the X matrix an estimator predicts on, checked the way sklearn's check_array and
// _check_n_features check it, in the same order and with the same messages (KServe's sklearn server sends those
// texts to clients). Strings are parsed as Python's float() would; numbers cast to float64, or float32 for trees.

import { InferdError } from '../../errors.js';
import type { Tensor } from '../model.js';
import type { Estimator, Finiteness } from './estimators/estimator.js';
import { numpyArrayStr } from './numpy-array-str.js';
import { parsePythonFloat, pythonBytesRepr, pythonFloatRepr, pythonStrRepr } from './python-text.js';

export interface FeatureMatrix {
  x: Float64Array | Float32Array;
  rows: number;
}

const RESHAPE_HINT =
  'Reshape your data either using array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) if it contains a single sample.';

const NAN_HINT =
  'does not accept missing values encoded as NaN natively. For supervised learning, you might want to consider sklearn.ensemble.HistGradientBoostingClassifier and Regressor which accept missing values encoded as NaNs natively. Alternatively, it is possible to preprocess the data, for instance by using an imputer transformer in a pipeline or drop samples with missing values. See https://scikit-learn.org/stable/modules/impute.html You can find a list of all estimators that handle NaN values at the following page: https://scikit-learn.org/stable/modules/impute.html#estimators-that-handle-nan-values';

export function invalidInput(message: string): InferdError {
  return new InferdError('INVALID_INPUT', message);
}

/** Validates `tensor` as sklearn would for `estimator` and returns X (row-major, rows × nFeatures). */
export function toFeatureMatrix(tensor: Tensor, estimator: Estimator): FeatureMatrix {
  const shape = tensor.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalidInput(`invalid tensor shape ${JSON.stringify(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== size) {
    // numpy's words, as KServe reshapes the flat data before sklearn sees it
    const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(',')})`;
    throw invalidInput(`cannot reshape array of size ${tensor.data.length} into shape ${dims}`);
  }
  const float32 = estimator.inputDType === 'float32';
  // A float32 tensor reaches a float32Exact estimator as it is: every read below widens it as the cast would.
  const values =
    estimator.float32Exact && !float32 && tensor.data instanceof Float32Array ? tensor.data : toFloat64(tensor.data);
  const x = float32 ? Float32Array.from(values) : values;
  const name = estimator.className;

  if (shape.length === 0) {
    throw invalidInput(
      `Expected 2D array, got scalar array instead:\narray=${pythonFloatRepr(x[0]!)}.\n${RESHAPE_HINT}`,
    );
  }
  if (shape.length === 1) {
    throw invalidInput(
      `Expected 2D array, got 1D array instead:\narray=${numpyArrayStr(x, float32)}.\n${RESHAPE_HINT}`,
    );
  }
  if (shape.length > 2) throw invalidInput(`Found array with dim ${shape.length}. ${name} expected <= 2.`);
  checkFiniteness(x, name, estimator.inputFinite ?? 'finite', float32 ? 'float32' : 'float64');
  const [rows, features] = shape as [number, number];
  if (rows < 1) {
    throw invalidInput(
      `Found array with ${rows} sample(s) (shape=(${rows}, ${features})) while a minimum of 1 is required by ${name}.`,
    );
  }
  if (features < 1) {
    throw invalidInput(
      `Found array with ${features} feature(s) (shape=(${rows}, ${features})) while a minimum of 1 is required by ${name}.`,
    );
  }
  if (estimator.nFeatures !== null && features !== estimator.nFeatures) {
    throw invalidInput(
      `X has ${features} features, but ${name} is expecting ${estimator.nFeatures} features as input.`,
    );
  }
  return { x, rows };
}

/** sklearn's _assert_all_finite: the first offending value decides the message. */
export function checkFiniteness(x: ArrayLike<number>, className: string, finite: Finiteness, dtype = 'float64'): void {
  if (finite === 'any' || allFinite(x)) return;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v - v === 0) continue; // finite
    if (Number.isNaN(v)) {
      if (finite === 'allow-nan') continue;
      throw invalidInput(`Input X contains NaN.\n${className} ${NAN_HINT}`);
    }
    throw invalidInput(`Input X contains infinity or a value too large for dtype('${dtype}').`);
  }
}

/**
 * True when no value is NaN or ±Infinity: v * 0 is ±0 for a finite v and NaN otherwise, summed in four
 * independent lanes (no branch per value, ~3× faster than testing each). Any NaN lane sends the caller to the
 * exact loop, which finds the first offending value.
 */
function allFinite(x: ArrayLike<number>): boolean {
  const n = x.length;
  const whole = n - (n % 4);
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  for (let i = 0; i < whole; i += 4) {
    a += x[i]! * 0;
    b += x[i + 1]! * 0;
    c += x[i + 2]! * 0;
    d += x[i + 3]! * 0;
  }
  for (let i = whole; i < n; i++) a += x[i]! * 0;
  return a + b + c + d === 0;
}

/** numpy's cast of the tensor's values to float64 (`np.asarray(X, dtype=np.float64)`). */
function toFloat64(data: Tensor['data']): Float64Array {
  if (data instanceof Float64Array) return data; // read-only use: no copy on the hot path
  const n = data.length;
  const out = new Float64Array(n);
  if (ArrayBuffer.isView(data)) {
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      for (let i = 0; i < n; i++) out[i] = Number(data[i]);
    } else out.set(data as ArrayLike<number>); // FP32/INT*: converted natively, not element by element
    return out;
  }
  const items = data as readonly unknown[];
  for (let i = 0; i < n; i++) out[i] = toNumber(items[i]);
  return out;
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (value === null || value === undefined) return Number.NaN; // numpy: None → nan in a float array
  if (typeof value === 'string') {
    const parsed = parsePythonFloat(value);
    if (parsed === undefined) throw invalidInput(`could not convert string to float: ${pythonStrRepr(value)}`);
    return parsed;
  }
  if (value instanceof Uint8Array) {
    const parsed = parsePythonFloat(Buffer.from(value).toString('latin1'));
    if (parsed === undefined) throw invalidInput(`could not convert string to float: ${pythonBytesRepr(value)}`);
    return parsed;
  }
  throw invalidInput(`could not convert ${typeof value} to float`);
}
