// FunctionTransformer, only with an allowlisted numpy ufunc (np.log1p, np.exp, np.sqrt, ...) or no function
// (identity). A pickled FunctionTransformer names its function by module and name; the unpickler resolves only the
// names in numpy-ufunc-names.ts (NUMPY_UFUNC_GLOBALS), so any other function is refused as UNSAFE_MODEL before
// it is built.

import { unsafe } from '../pickle/allowlist.js';
import { PyGlobal } from '../pickle/py-values.js';
import type { Finiteness } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import type { Frame } from './frame.js';
import { NUMPY_UFUNC_GLOBALS, type UfuncName } from './numpy-ufunc-names.js';
import { transformerIdentity } from './scalers.js';
import type { StepData, Transformer } from './transformer.js';

type Unary = (x: number) => number;

/** numpy ufuncs by name, as elementwise functions on float64 (each one ulp or better from numpy's). */
const UFUNCS: Readonly<Record<UfuncName, Unary>> = {
  log1p: Math.log1p,
  expm1: Math.expm1,
  exp: Math.exp,
  exp2: (x) => 2 ** x,
  log: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sqrt: Math.sqrt,
  cbrt: Math.cbrt,
  square: (x) => x * x,
  absolute: Math.abs,
  fabs: Math.abs,
  negative: (x) => -x,
  reciprocal: (x) => 1 / x,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  arcsinh: Math.asinh,
  arctanh: Math.atanh,
  floor: Math.floor,
  ceil: Math.ceil,
  trunc: Math.trunc,
  sign: (x) => (Number.isNaN(x) ? x : Math.sign(x)),
};

function ufuncOf(func: unknown, state: EstimatorState): Unary | null {
  if (func === null) return null;
  if (!(func instanceof PyGlobal) || !NUMPY_UFUNC_GLOBALS.has(func.qualifiedName)) {
    throw unsafe(func instanceof PyGlobal ? func.qualifiedName : `${state.className}.func`);
  }
  return UFUNCS[func.qualifiedName.slice(func.qualifiedName.lastIndexOf('.') + 1) as UfuncName];
}

class FunctionTransformer implements Transformer {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly nOutputs: number;
  readonly inputFinite: Finiteness;
  readonly transformFrame?: (frame: Frame) => StepData;
  readonly #func: Unary | null;

  constructor(state: EstimatorState) {
    this.#func = ufuncOf(state.get('func'), state);
    const kwArgs = state.has('kw_args') ? state.get('kw_args') : null;
    if (kwArgs instanceof Map && kwArgs.size > 0) throw state.unsupported('kw_args');
    const id = transformerIdentity(state, () => {
      throw state.unsupported('no n_features_in_ (fitted on something other than a 2-D array)');
    });
    this.className = id.className;
    this.nFeatures = id.nFeatures;
    this.featureNames = id.featureNames;
    this.nOutputs = this.nFeatures;
    // validate=False (the default) hands X to the function as it came: NaN and inf included.
    this.inputFinite = state.has('validate') && state.get('validate') === true ? 'finite' : 'any';
    // The identity passes raw columns through unchanged (strings included), as sklearn's does.
    if (this.#func === null && this.inputFinite === 'any') this.transformFrame = (frame) => frame;
  }

  transform(x: Float64Array, rows: number): Float64Array {
    const func = this.#func;
    if (!func) return x;
    const n = rows * this.nFeatures;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = func(x[i]!);
    return out;
  }
}

export const buildFunctionTransformer = (state: EstimatorState): Transformer => new FunctionTransformer(state);
