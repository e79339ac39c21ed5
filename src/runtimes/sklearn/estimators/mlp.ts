// MLPClassifier and MLPRegressor (sklearn/neural_network/_multilayer_perceptron.py, _forward_pass_fast): per
// layer `activation @ coefs_[i] + intercepts_[i]`, the hidden activation between layers, the output activation
// at the end. The classifier decodes like its LabelBinarizer: argmax for several classes, `p > 0.5` for two.

import { type KernelJob, type RowKernel, sharedArray, sharedFrom } from '../../intra-op/kernel.js';
import { PyObject } from '../pickle/py-values.js';
import { ClassLabels } from './class-labels.js';
import { denseForward, transposeWeights } from './dense.js';
import type { Estimator, FeatureData, OnnxOffload, Prediction, PredictMethod, RowParallel } from './estimator.js';
import type { EstimatorState } from './estimator-state.js';
import { type Activation, mlpGraph } from './mlp-graph.js';
import { numpySum } from './numpy-sum.js';
import { argmax, expit } from './special.js';

const ACTIVATIONS: readonly Activation[] = ['identity', 'logistic', 'tanh', 'relu', 'softmax'];

function activationOf(state: EstimatorState, name: string): Activation {
  const value = state.get(name);
  if (!ACTIVATIONS.includes(value as Activation)) throw state.unsupported(`${name}=${String(value)}`);
  return value as Activation;
}

/** Applies `kind` to a[start..start+n) in place, as sklearn's ACTIVATIONS do. */
function activate(kind: Activation, a: Float64Array, start: number, n: number): void {
  switch (kind) {
    case 'identity':
      return;
    case 'logistic':
      for (let i = start; i < start + n; i++) a[i] = expit(a[i]!);
      return;
    case 'tanh':
      for (let i = start; i < start + n; i++) a[i] = Math.tanh(a[i]!);
      return;
    case 'relu':
      // np.maximum(X, 0): NaN stays NaN
      for (let i = start; i < start + n; i++) if (a[i]! < 0) a[i] = 0;
      return;
    case 'softmax': {
      let max = a[start]!;
      for (let i = start + 1; i < start + n; i++) if (a[i]! > max) max = a[i]!;
      for (let i = start; i < start + n; i++) a[i] = Math.exp(a[i]! - max);
      const sum = numpySum(a, start, n); // X.sum(axis=1)
      for (let i = start; i < start + n; i++) a[i] = a[i]! / sum;
      return;
    }
  }
}

/** A Network's weights (in SharedArrayBuffers) and shape: what an intra-op worker thread rebuilds it from. */
interface NetworkState {
  weights: Float64Array[];
  biases: Float64Array[];
  sizes: number[];
  hidden: Activation;
  output: Activation;
}

/** Rows a thread takes at a time when a large batch is split (runtimes/intra-op). */
const BLOCK_ROWS = 64;

class Network {
  readonly nInputs: number;
  readonly nOutputs: number;
  readonly #weights: Float64Array[]; // layer i: out × in, row-major (coefs_[i] transposed)
  readonly #biases: Float64Array[];
  readonly #sizes: number[];
  readonly #hidden: Activation;
  readonly #output: Activation;

  /** From the fitted estimator (checked), or from a `state()` (an intra-op worker thread: the same arrays). */
  constructor(state: EstimatorState | NetworkState) {
    if (!('list' in state)) {
      this.#weights = state.weights;
      this.#biases = state.biases;
      this.#sizes = state.sizes;
      this.#hidden = state.hidden;
      this.#output = state.output;
      this.nInputs = state.sizes[0]!;
      this.nOutputs = state.sizes[state.sizes.length - 1]!;
      return;
    }
    const coefs = state.list('coefs_');
    const intercepts = state.list('intercepts_');
    if (coefs.length === 0 || coefs.length !== intercepts.length)
      throw state.invalid('has mismatched coefs_/intercepts_');
    this.#sizes = [];
    coefs.forEach((coef, i) => {
      const c = coef as { shape?: number[] };
      if (!c || !Array.isArray(c.shape) || c.shape.length !== 2) throw state.invalid('has a malformed coefs_');
      const [rows, cols] = c.shape as [number, number];
      if (i === 0) this.#sizes.push(rows);
      else if (rows !== this.#sizes[i]) throw state.invalid('has coefs_ whose layers do not chain');
      this.#sizes.push(cols);
    });
    // Shared memory, so that intra-op worker threads use the same weights without a copy.
    this.#weights = coefs.map((coef, i) =>
      sharedFrom(
        Float64Array,
        transposeWeights(floatArray(coef, state, `coefs_[${i}]`), this.#sizes[i]!, this.#sizes[i + 1]!),
      ),
    );
    this.#biases = intercepts.map((intercept, i) =>
      sharedFrom(Float64Array, floatArray(intercept, state, `intercepts_[${i}]`)),
    );
    this.#biases.forEach((b, i) => {
      if (b.length !== this.#sizes[i + 1]) throw state.invalid(`has intercepts_[${i}] of the wrong length`);
    });
    this.nInputs = this.#sizes[0]!;
    this.nOutputs = this.#sizes[this.#sizes.length - 1]!;
    this.#hidden = activationOf(state, 'activation');
    this.#output = activationOf(state, 'out_activation_');
  }

  state(): NetworkState {
    return {
      weights: this.#weights,
      biases: this.#biases,
      sizes: this.#sizes,
      hidden: this.#hidden,
      output: this.#output,
    };
  }

  /** Multiply-adds per row: the split threshold counts them as node steps. */
  get stepsPerRow(): number {
    let n = 0;
    for (let l = 0; l + 1 < this.#sizes.length; l++) n += this.#sizes[l]! * this.#sizes[l + 1]!;
    return n;
  }

  /**
   * The rows split across the intra-op threads (networkKernel): every block runs forward() on its rows, the
   * same arithmetic as the single-thread call.
   */
  parallel(answer: (method: PredictMethod, out: Float64Array, rows: number) => Prediction): RowParallel {
    return {
      kernelSpec: () => ({ module: import.meta.url, exportName: 'networkKernel', state: this.state() }),
      stepsPerRow: this.stepsPerRow,
      blockRows: BLOCK_ROWS,
      predictWith: async (method, x, rows, run) => {
        const out = sharedArray(Float64Array, rows * this.nOutputs);
        await run({ arrays: { x: sharedFrom(Float64Array, x), out }, params: {} });
        return answer(method, out.slice(), rows);
      },
    };
  }

  /** The same network as an ONNX graph for onnxruntime; `answer` decodes its output as after forward(). */
  offload(answer: (method: PredictMethod, out: Float64Array, rows: number) => Prediction): OnnxOffload {
    return {
      graph: (type) => mlpGraph(this.state(), type),
      nInputs: this.nInputs,
      nOutputs: this.nOutputs,
      stepsPerRow: this.stepsPerRow,
      predictWith: async (method, x, rows, run) => answer(method, await run(x as Float64Array, rows), rows),
    };
  }

  /** rows × nOutputs. */
  forward(x: Float64Array, rows: number): Float64Array {
    let input = x;
    const layers = this.#weights.length;
    for (let l = 0; l < layers; l++) {
      const nIn = this.#sizes[l]!;
      const nOut = this.#sizes[l + 1]!;
      const w = this.#weights[l]!;
      const b = this.#biases[l]!;
      const out = new Float64Array(rows * nOut);
      denseForward(input, rows, nIn, w, b, nOut, out);
      const activation = l === layers - 1 ? this.#output : this.#hidden;
      for (let r = 0; r < rows; r++) activate(activation, out, r * nOut, nOut);
      input = out;
    }
    return input;
  }
}

/** The intra-op kernel: job.arrays `x` (rows × inputs float64) and `out` (rows × outputs). */
export function networkKernel(state: NetworkState): RowKernel {
  const net = new Network(state);
  return (job: KernelJob, begin: number, end: number) => {
    const x = (job.arrays.x as Float64Array).subarray(begin * net.nInputs, end * net.nInputs);
    (job.arrays.out as Float64Array).set(net.forward(x, end - begin), begin * net.nOutputs);
  };
}

function floatArray(value: unknown, state: EstimatorState, what: string): Float64Array {
  const array = value as { data?: unknown };
  if (!array || !(array.data instanceof Float64Array || array.data instanceof Float32Array)) {
    throw state.invalid(`has a non-numeric ${what}`);
  }
  return Float64Array.from(array.data as ArrayLike<number>);
}

class MLPClassifier implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly predictProba: (x: FeatureData, rows: number) => Prediction;
  readonly rowParallel: RowParallel;
  readonly onnxOffload: OnnxOffload;
  readonly #net: Network;
  readonly #labels: ClassLabels;
  /** Trained on an indicator matrix: one logistic output per label, predict answers rows × labels of 0/1. */
  readonly #multilabel: boolean;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.#net = new Network(state);
    this.nFeatures = state.nFeatures(() => this.#net.nInputs);
    this.featureNames = state.featureNames();
    this.#labels = new ClassLabels(state.array('classes_'), state);
    const binarizer = state.has('_label_binarizer') ? state.get('_label_binarizer') : null;
    const yType = binarizer instanceof PyObject ? binarizer.attributes.get('y_type_') : null;
    this.#multilabel = yType === 'multilabel-indicator';
    const k = this.#labels.count;
    if (this.#net.nOutputs !== (k === 2 && !this.#multilabel ? 1 : k))
      throw state.invalid('has an output layer that does not match classes_');
    this.predictProba = (x, rows) => this.#proba(x as Float64Array, rows);
    const answer = (method: PredictMethod, out: Float64Array, rows: number) =>
      method === 'predict_proba' ? this.#probaOf(out, rows) : this.#predictOf(out, rows);
    this.rowParallel = this.#net.parallel(answer);
    this.onnxOffload = this.#net.offload(answer);
  }

  predict(x: FeatureData, rows: number): Prediction {
    return this.#predictOf(this.#net.forward(x as Float64Array, rows), rows);
  }

  #predictOf(out: Float64Array, rows: number): Prediction {
    const n = this.#net.nOutputs;
    if (this.#multilabel) {
      // LabelBinarizer.inverse_transform: np.array(y > 0.5, dtype=int); int64 as every numeric label tensor.
      const data = new BigInt64Array(rows * n);
      for (let i = 0; i < rows * n; i++) data[i] = out[i]! > 0.5 ? 1n : 0n;
      return { datatype: 'INT64', shape: [rows, n], data };
    }
    const indices = new Int32Array(rows);
    for (let r = 0; r < rows; r++) indices[r] = n === 1 ? (out[r]! > 0.5 ? 1 : 0) : argmax(out, r * n, n);
    return { datatype: this.#labels.datatype, shape: [rows], data: this.#labels.take(indices) };
  }

  #proba(x: Float64Array, rows: number): Prediction {
    return this.#probaOf(this.#net.forward(x, rows), rows);
  }

  #probaOf(out: Float64Array, rows: number): Prediction {
    const n = this.#net.nOutputs;
    if (n !== 1) return { datatype: 'FP64', shape: [rows, n], data: out };
    const proba = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      proba[2 * r] = 1 - out[r]!;
      proba[2 * r + 1] = out[r]!;
    }
    return { datatype: 'FP64', shape: [rows, 2], data: proba };
  }
}

class MLPRegressor implements Estimator {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly inputDType = 'float64' as const;
  readonly rowParallel: RowParallel;
  readonly onnxOffload: OnnxOffload;
  readonly #net: Network;

  constructor(state: EstimatorState) {
    this.className = state.className;
    this.#net = new Network(state);
    this.nFeatures = state.nFeatures(() => this.#net.nInputs);
    this.featureNames = state.featureNames();
    const n = this.#net.nOutputs;
    const answer = (_method: PredictMethod, out: Float64Array, rows: number): Prediction => ({
      datatype: 'FP64',
      shape: n === 1 ? [rows] : [rows, n],
      data: out,
    });
    this.rowParallel = this.#net.parallel(answer);
    this.onnxOffload = this.#net.offload(answer);
  }

  predict(x: FeatureData, rows: number): Prediction {
    const out = this.#net.forward(x as Float64Array, rows);
    const n = this.#net.nOutputs;
    return { datatype: 'FP64', shape: n === 1 ? [rows] : [rows, n], data: out };
  }
}

export const buildMLPClassifier = (state: EstimatorState): Estimator => new MLPClassifier(state);
export const buildMLPRegressor = (state: EstimatorState): Estimator => new MLPRegressor(state);
