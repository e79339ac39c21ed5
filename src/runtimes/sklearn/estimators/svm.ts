// SVC, NuSVC, SVR and NuSVR: prediction with the fitted libsvm model that sklearn pickles (support vectors,
// dual coefficients, intercepts), following libsvm's svm_predict_values. Classification is one-vs-one voting;
// a tie goes to the lowest class index, as in libsvm, unless break_ties=True (then sklearn's ovr argmax).
// sklearn flips the signs of dual_coef_/intercept_ for binary SVC; the unflipped `_dual_coef_`/`_intercept_`
// are what libsvm uses, so we read those.

import { ClassLabels } from './class-labels.js';
import type { Estimator, Prediction } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import { type KernelName, type KernelParams, kernelRow } from './svm-kernel.js';
import { PairwiseCoupling } from './svm-probability.js';

const KERNELS: readonly KernelName[] = ['linear', 'poly', 'rbf', 'sigmoid'];

/** The libsvm model shared by classifiers and regressors. */
class LibsvmModel {
  readonly kernel: KernelParams;
  readonly supportVectors: Float64Array;
  readonly nSV: number;
  readonly nFeatures: number;
  readonly dualCoef: Float64Array; // (k-1) × nSV, row-major
  readonly intercept: Float64Array; // -rho, one per class pair
  readonly kernelValues: Float64Array; // scratch: K(x, sv_i) for the current row

  constructor(state: EstimatorState) {
    const kernel = state.get('kernel');
    if (typeof kernel !== 'string' || !KERNELS.includes(kernel as KernelName)) {
      throw state.unsupported(`kernel=${typeof kernel === 'string' ? `'${kernel}'` : 'a callable'}`);
    }
    if (state.has('_sparse') && state.get('_sparse') === true) throw state.unsupported('a model fitted on sparse X');
    this.kernel = {
      kernel: kernel as KernelName,
      gamma: state.number('_gamma'), // 'scale'/'auto' resolved at fit time
      coef0: state.number('coef0'),
      degree: state.number('degree'),
    };
    const sv = state.array('support_vectors_');
    this.supportVectors = state.float64('support_vectors_');
    this.nSV = sv.shape[0] ?? 0;
    this.nFeatures = state.nFeatures(() => sv.shape[1] ?? 0);
    if (sv.shape.length !== 2 || sv.shape[1] !== this.nFeatures) throw state.invalid('has malformed support_vectors_');
    this.dualCoef = state.float64('_dual_coef_');
    this.intercept = state.float64('_intercept_');
    if (this.dualCoef.length % Math.max(this.nSV, 1) !== 0) throw state.invalid('has malformed _dual_coef_');
    this.kernelValues = new Float64Array(this.nSV);
  }

  computeKernel(x: Float64Array, row: number): void {
    kernelRow(this.kernel, this.supportVectors, this.nSV, this.nFeatures, x, row * this.nFeatures, this.kernelValues);
  }
}

class SupportVectorClassifier implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly predictProba?: (x: Float64Array | Float32Array, rows: number) => Prediction;
  readonly #svm: LibsvmModel;
  readonly #labels: ClassLabels;
  readonly #k: number;
  readonly #start: Int32Array; // first support vector of each class
  readonly #count: Int32Array; // support vectors per class
  readonly #decisions: Float64Array; // scratch: one decision value per class pair
  readonly #votes: Int32Array;
  readonly #breakTies: boolean;
  readonly #probA: Float64Array;
  readonly #probB: Float64Array;
  readonly #coupling: PairwiseCoupling;
  readonly #ovrShape: boolean;
  readonly #ovrScratch: Float64Array;
  readonly decisionFunction: (x: Float64Array | Float32Array, rows: number) => Prediction;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.#svm = new LibsvmModel(state);
    this.nFeatures = this.#svm.nFeatures;
    this.featureNames = state.featureNames();
    this.#labels = new ClassLabels(state.array('classes_'), state);
    const k = this.#labels.count;
    this.#k = k;
    this.#count = state.int32(state.firstOf('_n_support', 'n_support_'));
    if (this.#count.length !== k || this.#count.reduce((a, b) => a + b, 0) !== this.#svm.nSV) {
      throw state.invalid('has _n_support that does not match its support vectors');
    }
    if (this.#svm.dualCoef.length !== (k - 1) * this.#svm.nSV || this.#svm.intercept.length !== (k * (k - 1)) / 2) {
      throw state.invalid('has _dual_coef_/_intercept_ that do not match its classes');
    }
    this.#start = new Int32Array(k);
    for (let i = 1; i < k; i++) this.#start[i] = this.#start[i - 1]! + this.#count[i - 1]!;
    this.#decisions = new Float64Array(this.#svm.intercept.length);
    this.#votes = new Int32Array(k);
    this.#breakTies = state.has('break_ties') && state.get('break_ties') === true;
    this.#probA = state.float64(state.firstOf('_probA', 'probA_'));
    this.#probB = state.float64(state.firstOf('_probB', 'probB_'));
    this.#coupling = new PairwiseCoupling(k);
    const hasProba = state.get('probability') === true && this.#probA.length === this.#decisions.length && k >= 2;
    if (hasProba) this.predictProba = (x, rows) => this.#predictProba(x as Float64Array, rows);
    this.#ovrShape = !state.has('decision_function_shape') || state.get('decision_function_shape') === 'ovr';
    this.#ovrScratch = new Float64Array(k);
    this.decisionFunction = (x, rows) => this.#decisionFunction(x as Float64Array, rows);
  }

  /** libsvm's svm_predict_values for one row: fills #decisions, returns the voted class index. */
  #decide(x: Float64Array, row: number): number {
    const svm = this.#svm;
    svm.computeKernel(x, row);
    const kv = svm.kernelValues;
    const coef = svm.dualCoef;
    const nSV = svm.nSV;
    const k = this.#k;
    const votes = this.#votes;
    votes.fill(0);
    let p = 0;
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        const si = this.#start[i]!;
        const sj = this.#start[j]!;
        const ci = this.#count[i]!;
        const cj = this.#count[j]!;
        const coef1 = (j - 1) * nSV; // sv_coef[j-1]
        const coef2 = i * nSV; // sv_coef[i]
        let sum = 0;
        for (let m = 0; m < ci; m++) sum += coef[coef1 + si + m]! * kv[si + m]!;
        for (let m = 0; m < cj; m++) sum += coef[coef2 + sj + m]! * kv[sj + m]!;
        sum += svm.intercept[p]!; // libsvm: sum -= rho, and sklearn stores intercept = -rho
        this.#decisions[p] = sum;
        if (sum > 0) votes[i]!++;
        else votes[j]!++;
        p++;
      }
    }
    if (this.#breakTies && k > 2) return this.#ovrArgmax();
    let best = 0;
    for (let c = 1; c < k; c++) if (votes[c]! > votes[best]!) best = c;
    return best;
  }

  /** sklearn's break_ties: argmax of _ovr_decision_function (votes plus scaled summed confidences). */
  #ovrArgmax(): number {
    const scores = this.#ovrScratch;
    this.#ovrScores(scores, 0);
    let best = 0;
    for (let c = 1; c < this.#k; c++) if (scores[c]! > scores[best]!) best = c;
    return best;
  }

  /** _ovr_decision_function(dec < 0, -dec, k) for the current row, into out[offset..offset+k). */
  #ovrScores(out: Float64Array, offset: number): void {
    const k = this.#k;
    for (let c = 0; c < k; c++) {
      let confidence = 0;
      let votes = 0;
      let p = 0;
      for (let i = 0; i < k; i++) {
        for (let j = i + 1; j < k; j++, p++) {
          const decision = this.#decisions[p]!;
          // predictions = dec < 0 (1 votes for j), confidences = -dec
          if (i === c) {
            confidence += decision;
            if (!(decision < 0)) votes++;
          } else if (j === c) {
            confidence -= decision;
            if (decision < 0) votes++;
          }
        }
      }
      out[offset + c] = votes + confidence / (3 * (Math.abs(confidence) + 1));
    }
  }

  /** decision_function: -dec for two classes; ovr scores (decision_function_shape='ovr') or the raw ovo values. */
  #decisionFunction(x: Float64Array, rows: number): Prediction {
    const k = this.#k;
    if (k === 2) {
      const out = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        this.#decide(x, r);
        out[r] = -this.#decisions[0]!;
      }
      return { datatype: 'FP64', shape: [rows], data: out };
    }
    const width = this.#ovrShape ? k : this.#decisions.length;
    const out = new Float64Array(rows * width);
    for (let r = 0; r < rows; r++) {
      this.#decide(x, r);
      if (this.#ovrShape) this.#ovrScores(out, r * width);
      else out.set(this.#decisions, r * width);
    }
    return { datatype: 'FP64', shape: [rows, width], data: out };
  }

  predict(x: Float64Array | Float32Array, rows: number): Prediction {
    const indices = new Int32Array(rows);
    for (let r = 0; r < rows; r++) indices[r] = this.#decide(x as Float64Array, r);
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }

  #predictProba(x: Float64Array, rows: number): Prediction {
    const k = this.#k;
    const out = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) {
      this.#decide(x, r);
      this.#coupling.estimate(this.#decisions, this.#probA, this.#probB, out, r * k);
    }
    return { datatype: 'FP64', shape: [rows, k], data: out };
  }
}

class SupportVectorRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly #svm: LibsvmModel;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.#svm = new LibsvmModel(state);
    this.nFeatures = this.#svm.nFeatures;
    this.featureNames = state.featureNames();
    if (this.#svm.dualCoef.length !== this.#svm.nSV || this.#svm.intercept.length !== 1) {
      throw state.invalid('has _dual_coef_/_intercept_ of the wrong size for a regressor');
    }
  }

  predict(x: Float64Array | Float32Array, rows: number): Prediction {
    const svm = this.#svm;
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      svm.computeKernel(x as Float64Array, r);
      let sum = 0;
      for (let i = 0; i < svm.nSV; i++) sum += svm.dualCoef[i]! * svm.kernelValues[i]!;
      out[r] = sum + svm.intercept[0]!;
    }
    return { datatype: 'FP64', shape: [rows], data: out };
  }
}

export const buildSupportVectorClassifier = (state: EstimatorState): Estimator => new SupportVectorClassifier(state);
export const buildSupportVectorRegressor = (state: EstimatorState): Estimator => new SupportVectorRegressor(state);
