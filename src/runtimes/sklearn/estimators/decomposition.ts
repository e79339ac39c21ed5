// PCA and TruncatedSVD: projections onto `components_`, as sklearn/decomposition/_base.py (PCA: centre by mean_,
// project, divide by sqrt(explained_variance_) when whiten) and _truncated_svd.py (project only) compute them.

import type { EstimatorState } from './estimator-state.js';
import { transformerIdentity } from './scalers.js';
import type { Transformer } from './transformer.js';

class Projection implements Transformer {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly nOutputs: number;
  readonly #mean: Float64Array | null;
  readonly #components: Float64Array; // nOutputs × nFeatures
  readonly #whiten: Float64Array | null; // sqrt(explained_variance_)
  readonly #centred: Float64Array;

  constructor(state: EstimatorState, options: { centre: boolean; whiten: boolean }) {
    const components = state.array('components_');
    const id = transformerIdentity(state, () => components.shape[1] ?? 0);
    this.className = id.className;
    this.nFeatures = id.nFeatures;
    this.featureNames = id.featureNames;
    this.nOutputs = components.shape[0] ?? 0;
    this.#components = state.float64('components_');
    if (components.shape.length !== 2 || components.shape[1] !== this.nFeatures) {
      throw state.invalid('has components_ of the wrong shape');
    }
    this.#mean = options.centre && state.has('mean_') ? state.float64('mean_') : null;
    if (this.#mean && this.#mean.length !== this.nFeatures) throw state.invalid('has mean_ of the wrong length');
    if (options.whiten) {
      const variance = state.float64('explained_variance_');
      if (variance.length !== this.nOutputs) throw state.invalid('has explained_variance_ of the wrong length');
      this.#whiten = variance.map(Math.sqrt);
    } else {
      this.#whiten = null;
    }
    this.#centred = new Float64Array(this.nFeatures);
  }

  transform(x: Float64Array, rows: number): Float64Array {
    const f = this.nFeatures;
    const k = this.nOutputs;
    const out = new Float64Array(rows * k);
    const centred = this.#centred;
    const mean = this.#mean;
    const components = this.#components;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < f; j++) centred[j] = mean ? x[r * f + j]! - mean[j]! : x[r * f + j]!;
      for (let c = 0; c < k; c++) {
        let sum = 0;
        for (let j = 0; j < f; j++) sum += centred[j]! * components[c * f + j]!;
        out[r * k + c] = this.#whiten ? sum / this.#whiten[c]! : sum;
      }
    }
    return out;
  }
}

export const buildPCA = (state: EstimatorState): Transformer =>
  new Projection(state, { centre: true, whiten: state.has('whiten') && state.get('whiten') === true });

export const buildTruncatedSVD = (state: EstimatorState): Transformer =>
  new Projection(state, { centre: false, whiten: false });
