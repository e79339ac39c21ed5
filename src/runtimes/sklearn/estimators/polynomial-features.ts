// PolynomialFeatures, dense path, ported step for step from sklearn/preprocessing/_polynomial.py so that every
// product is formed in the same order (a degree-d term is a degree-(d-1) term times one feature) and rounds the same.

import type { EstimatorState } from './estimator-state.js';
import { transformerIdentity } from './scalers.js';
import type { Transformer } from './transformer.js';

/** (output column, source column of the previous degree, feature multiplied in) for every product column. */
interface Plan {
  readonly fullWidth: number;
  readonly products: Int32Array; // triples: target, source, feature
}

function planProducts(nFeatures: number, maxDegree: number, interactionOnly: boolean, includeBias: boolean): Plan {
  const products: number[] = [];
  let current = includeBias ? 1 : 0;
  if (maxDegree === 0) return { fullWidth: current, products: Int32Array.from(products) };
  let index: number[] = [];
  for (let f = 0; f < nFeatures; f++) index.push(current + f);
  current += nFeatures;
  index.push(current);
  for (let degree = 2; degree <= maxDegree; degree++) {
    const next: number[] = [];
    const end = index[index.length - 1]!;
    for (let f = 0; f < nFeatures; f++) {
      if (index[f + 1] === undefined) break;
      let start = index[f]!;
      next.push(current);
      if (interactionOnly) start += index[f + 1]! - start;
      const nextCol = current + end - start;
      if (nextCol <= current) break;
      for (let s = start; s < end; s++) products.push(current + (s - start), s, f);
      current = nextCol;
    }
    next.push(current);
    index = next;
  }
  return { fullWidth: current, products: Int32Array.from(products) };
}

class PolynomialFeatures implements Transformer {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly nOutputs: number;
  readonly #plan: Plan;
  readonly #includeBias: boolean;
  readonly #row: Float64Array;

  constructor(state: EstimatorState) {
    const id = transformerIdentity(state, () => state.number('n_input_features_'));
    this.className = id.className;
    this.nFeatures = id.nFeatures;
    this.featureNames = id.featureNames;
    const degree = state.get('degree');
    const [minDegree, maxDegree] = state.has('_max_degree')
      ? [state.number('_min_degree'), state.number('_max_degree')]
      : [0, Number(degree)];
    if (!Number.isInteger(maxDegree) || maxDegree < 0 || maxDegree > 10)
      throw state.unsupported(`degree=${String(degree)}`);
    this.#includeBias = state.get('include_bias') === true;
    this.#plan = planProducts(this.nFeatures, maxDegree, state.get('interaction_only') === true, this.#includeBias);
    this.nOutputs = state.number('n_output_features_');
    // With a minimum degree above 1, sklearn computes everything, then keeps the bias and the last columns.
    const expected = minDegree > 1 ? this.nOutputs : this.#plan.fullWidth;
    if (this.nOutputs !== expected || this.#plan.fullWidth < this.nOutputs) {
      throw state.invalid(`has n_output_features_=${this.nOutputs}, which its degree does not give`);
    }
    this.#row = new Float64Array(this.#plan.fullWidth);
  }

  transform(x: Float64Array, rows: number): Float64Array {
    const f = this.nFeatures;
    const full = this.#plan.fullWidth;
    const k = this.nOutputs;
    const products = this.#plan.products;
    const row = this.#row;
    const first = this.#includeBias ? 1 : 0;
    const out = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) {
      if (this.#includeBias) row[0] = 1;
      for (let j = 0; j < f; j++) row[first + j] = x[r * f + j]!;
      for (let p = 0; p < products.length; p += 3)
        row[products[p]!] = row[products[p + 1]!]! * x[r * f + products[p + 2]!]!;
      if (k === full) {
        out.set(row, r * k);
      } else {
        // bias (if any), then the last k - first columns
        if (this.#includeBias) out[r * k] = 1;
        for (let c = first; c < k; c++) out[r * k + c] = row[full - k + c]!;
      }
    }
    return out;
  }
}

export const buildPolynomialFeatures = (state: EstimatorState): Transformer => new PolynomialFeatures(state);
