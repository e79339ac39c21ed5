// The scalar and row functions sklearn's probability code uses, in numpy/scipy's order of operations:
// scipy.special.expit, sklearn.utils.extmath.softmax (in place), scipy.special.logsumexp over one row.

import { numpySum } from './numpy-sum.js';

/** scipy.special.expit: 1 / (1 + exp(-x)). */
export function expit(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** sklearn.utils.extmath.softmax on a[start..start+n): subtract the max, exponentiate, divide by the sum. */
export function softmaxInPlace(a: Float64Array, start: number, n: number): void {
  let max = a[start]!;
  for (let i = 1; i < n; i++) if (a[start + i]! > max) max = a[start + i]!;
  for (let i = 0; i < n; i++) a[start + i] = Math.exp(a[start + i]! - max);
  const sum = numpySum(a, start, n);
  for (let i = 0; i < n; i++) a[start + i] = a[start + i]! / sum;
}

/** scipy.special.logsumexp of a[start..start+n), using `scratch` (length >= n) for the exponentials. */
export function logSumExp(a: ArrayLike<number>, start: number, n: number, scratch: Float64Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (a[start + i]! > max) max = a[start + i]!;
  if (!Number.isFinite(max)) max = 0;
  for (let i = 0; i < n; i++) scratch[i] = Math.exp(a[start + i]! - max);
  return Math.log(numpySum(scratch, 0, n)) + max;
}

/** numpy's argmax over a[start..start+n): the first maximum (NaN counts as the maximum, as in numpy). */
export function argmax(a: ArrayLike<number>, start: number, n: number): number {
  let best = 0;
  for (let i = 0; i < n; i++) {
    const v = a[start + i]!;
    if (Number.isNaN(v)) return i;
    if (v > a[start + best]!) best = i;
  }
  return best;
}
