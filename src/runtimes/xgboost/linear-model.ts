// xgboost's gblinear booster: margin = base + bias + Σ x·w over the features that are present, accumulated in
// float32 in feature order as GBLinear::Pred does. Missing values (NaN; callers turn the configured `missing`
// into NaN first) are skipped, because a DMatrix never stores them.

export class LinearModel {
  readonly #weights: Float32Array;
  readonly #numFeature: number;
  readonly #groups: number;

  /** `weights`: (numFeature + 1) × groups, feature-major, the bias row last (xgboost's layout). */
  constructor(weights: ArrayLike<number>, numFeature: number, groups: number) {
    this.#weights = Float32Array.from(weights);
    this.#numFeature = numFeature;
    this.#groups = groups;
  }

  /** Writes rows × groups margins into `out`, which holds the base margin on entry. */
  margins(x: Float32Array, rows: number, out: Float32Array): void {
    const w = this.#weights;
    const nf = this.#numFeature;
    const groups = this.#groups;
    const f = Math.fround;
    for (let r = 0; r < rows; r++) {
      const rowAt = r * nf;
      for (let g = 0; g < groups; g++) {
        let sum = f(w[nf * groups + g]! + out[r * groups + g]!);
        for (let j = 0; j < nf; j++) {
          const v = x[rowAt + j]!;
          if (Number.isNaN(v)) continue;
          sum = f(sum + f(v * w[j * groups + g]!));
        }
        out[r * groups + g] = sum;
      }
    }
  }
}
