// libsvm's probability estimates for SVC(probability=True) (svm.cpp: svm_predict_probability): each pairwise
// decision value goes through Platt's sigmoid (probA_, probB_), and the pairwise probabilities are coupled
// into class probabilities by Wu, Lin and Weng's method (multiclass_probability). Written to follow libsvm's
// arithmetic step by step, so the numbers match sklearn's to the last few bits.

const MIN_PROB = 1e-7;

function sigmoidPredict(decision: number, a: number, b: number): number {
  const fApB = decision * a + b;
  // 1-p is used later; this form avoids catastrophic cancellation.
  return fApB >= 0 ? Math.exp(-fApB) / (1.0 + Math.exp(-fApB)) : 1.0 / (1 + Math.exp(fApB));
}

/** Scratch buffers for one model, reused across rows (k = number of classes). */
export class PairwiseCoupling {
  readonly #k: number;
  readonly #r: Float64Array; // k × k pairwise probabilities
  readonly #q: Float64Array; // k × k
  readonly #qp: Float64Array;

  constructor(k: number) {
    this.#k = k;
    this.#r = new Float64Array(k * k);
    this.#q = new Float64Array(k * k);
    this.#qp = new Float64Array(k);
  }

  /** Writes the k class probabilities for one row's pairwise `decisions` into `out` at `outOffset`. */
  estimate(
    decisions: Float64Array,
    probA: Float64Array,
    probB: Float64Array,
    out: Float64Array,
    outOffset: number,
  ): void {
    const k = this.#k;
    const r = this.#r;
    let p = 0;
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        const pij = Math.min(Math.max(sigmoidPredict(decisions[p]!, probA[p]!, probB[p]!), MIN_PROB), 1 - MIN_PROB);
        r[i * k + j] = pij;
        r[j * k + i] = 1 - pij;
        p++;
      }
    }
    // sklearn's libsvm couples even two classes iteratively (no closed-form shortcut), so we do too.
    this.#couple(out, outOffset);
  }

  /** libsvm's multiclass_probability (method 2 of Wu, Lin and Weng 2004). */
  #couple(p: Float64Array, o: number): void {
    const k = this.#k;
    const r = this.#r;
    const q = this.#q;
    const qp = this.#qp;
    const maxIter = Math.max(100, k);
    const eps = 0.005 / k;
    for (let t = 0; t < k; t++) {
      p[o + t] = 1.0 / k;
      q[t * k + t] = 0;
      for (let j = 0; j < t; j++) {
        q[t * k + t]! += r[j * k + t]! * r[j * k + t]!;
        q[t * k + j] = q[j * k + t]!;
      }
      for (let j = t + 1; j < k; j++) {
        q[t * k + t]! += r[j * k + t]! * r[j * k + t]!;
        q[t * k + j] = -r[j * k + t]! * r[t * k + j]!;
      }
    }
    for (let iter = 0; iter < maxIter; iter++) {
      // Stopping condition; Qp and pQp are recomputed for numerical accuracy.
      let pQp = 0;
      for (let t = 0; t < k; t++) {
        qp[t] = 0;
        for (let j = 0; j < k; j++) qp[t]! += q[t * k + j]! * p[o + j]!;
        pQp += p[o + t]! * qp[t]!;
      }
      let maxError = 0;
      for (let t = 0; t < k; t++) {
        const error = Math.abs(qp[t]! - pQp);
        if (error > maxError) maxError = error;
      }
      if (maxError < eps) break;
      for (let t = 0; t < k; t++) {
        const diff = (-qp[t]! + pQp) / q[t * k + t]!;
        p[o + t]! += diff;
        pQp = (pQp + diff * (diff * q[t * k + t]! + 2 * qp[t]!)) / (1 + diff) / (1 + diff);
        for (let j = 0; j < k; j++) {
          qp[j] = (qp[j]! + diff * q[t * k + j]!) / (1 + diff);
          p[o + j]! /= 1 + diff;
        }
      }
    }
  }
}
