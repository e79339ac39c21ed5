// libsvm's kernels as scikit-learn's bundled libsvm evaluates them at prediction time (svm.cpp,
// Kernel::k_function, dense representation): every support vector against one row of X.

export type KernelName = 'linear' | 'poly' | 'rbf' | 'sigmoid';

export interface KernelParams {
  readonly kernel: KernelName;
  readonly gamma: number;
  readonly coef0: number;
  readonly degree: number;
}

/** libsvm's powi: exponentiation by squaring, so poly kernels round exactly as libsvm does. */
function powi(base: number, times: number): number {
  let tmp = base;
  let ret = 1.0;
  for (let t = times; t > 0; t = Math.trunc(t / 2)) {
    if (t % 2 === 1) ret *= tmp;
    tmp = tmp * tmp;
  }
  return ret;
}

/**
 * Fills `out[i]` with K(x, sv_i) for the `nSV` support vectors stored row-major in `sv` (nSV × nFeatures);
 * `x` is read from `xOffset`.
 */
export function kernelRow(
  params: KernelParams,
  sv: Float64Array,
  nSV: number,
  nFeatures: number,
  x: Float64Array,
  xOffset: number,
  out: Float64Array,
): void {
  const { gamma, coef0, degree } = params;
  switch (params.kernel) {
    case 'rbf':
      for (let i = 0, s = 0; i < nSV; i++, s += nFeatures) {
        let sum = 0;
        for (let f = 0; f < nFeatures; f++) {
          const d = x[xOffset + f]! - sv[s + f]!;
          sum += d * d;
        }
        out[i] = Math.exp(-gamma * sum);
      }
      return;
    case 'linear':
      for (let i = 0, s = 0; i < nSV; i++, s += nFeatures) out[i] = dot(x, xOffset, sv, s, nFeatures);
      return;
    case 'poly':
      for (let i = 0, s = 0; i < nSV; i++, s += nFeatures) {
        out[i] = powi(gamma * dot(x, xOffset, sv, s, nFeatures) + coef0, degree);
      }
      return;
    case 'sigmoid':
      for (let i = 0, s = 0; i < nSV; i++, s += nFeatures) {
        out[i] = Math.tanh(gamma * dot(x, xOffset, sv, s, nFeatures) + coef0);
      }
      return;
  }
}

function dot(a: Float64Array, aOffset: number, b: Float64Array, bOffset: number, n: number): number {
  let sum = 0;
  for (let f = 0; f < n; f++) sum += a[aOffset + f]! * b[bOffset + f]!;
  return sum;
}
