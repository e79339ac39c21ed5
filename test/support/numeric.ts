// The one way tests compare floats (issue 12, item 6): numpy's `allclose` rule, |actual − expected| ≤ atol +
// rtol·|expected|, elementwise. Values made by another machine's BLAS, libm or numpy differ in the last digits,
// so only labels, integers and bit-exact operations (copies, transposes, casts) are compared exactly: pass
// `EXACT` for those.

import assert from 'node:assert/strict';

export interface Tolerance {
  /** Relative to |expected|. */
  rtol: number;
  /** Absolute: what "close" means near zero. */
  atol: number;
}

/** Bit for bit (Object.is: NaN equals NaN, -0 differs from 0). For outputs no arithmetic touches. */
export const EXACT: Tolerance = { rtol: 0, atol: 0 };

/** The same arithmetic run by another build of the same library (a fresh scikit-learn, numpy, LAPACK). */
export const SAME_LIBRARY: Tolerance = { rtol: 1e-12, atol: 1e-15 };

/** A tolerance `tol` relative to max(1, |expected|): absolute below 1, relative above (within a factor 2). */
export const unitScaled = (tol: number): Tolerance => ({ rtol: tol, atol: tol });

export interface CloseReport {
  /** The largest |a − e| / |e| over the pairs that were not identical (0 when all were). */
  worstRelative: number;
  /** How many pairs were bit-identical. */
  identical: number;
}

/**
 * Asserts `actual` and `expected` have the same length and every pair is close under `tol`. NaN is close to
 * NaN only, an infinity to the same infinity only. Names the first failing index with both values.
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  what: string,
): CloseReport {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const exact = tol.rtol === 0 && tol.atol === 0;
  let worstRelative = 0;
  let identical = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Object.is(a, e)) {
      identical++;
      continue;
    }
    const diff = Math.abs(a - e);
    const ok = !exact && Number.isFinite(e) && diff <= tol.atol + tol.rtol * Math.abs(e);
    assert.ok(ok, `${what}[${i}]: got ${a}, expected ${e} (diff ${diff}; rtol ${tol.rtol}, atol ${tol.atol})`);
    if (e !== 0) worstRelative = Math.max(worstRelative, diff / Math.abs(e));
  }
  return { worstRelative, identical };
}

/** The largest relative difference, for a diagnostic line; NaN pairs and exact zeros count as 0. */
export function maxRelativeDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < Math.min(actual.length, expected.length); i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Object.is(a, e) || e === 0) continue;
    const r = Math.abs(a - e) / Math.abs(e);
    if (!Number.isNaN(r)) worst = Math.max(worst, r);
  }
  return worst;
}
