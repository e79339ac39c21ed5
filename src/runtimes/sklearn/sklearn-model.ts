// A loaded scikit-learn estimator behind inferd's Model interface, answering as KServe's SKLearnModel does: the
// first input tensor is X (or, with `content_type: pd`, every input is a named column of a DataFrame), and
// the output is `output-0` from predict, or from predict_proba when PREDICT_PROBA=true and the model has it.
//
// Per request (V2), a client may also ask for probabilities: `parameters: {"predict_proba": true}` (output still
// `output-0`), or MLServer's way, `outputs: [{"name": "predict_proba"}]` and/or `[{"name": "predict"}]` (outputs
// named after the method). KServe 0.12.1 has only the env switch; both request forms are inferd's additions.

import type { ParallelKernel } from '../intra-op/settings.js';
import type { Model, ModelMetadata, PredictOptions, Tensor } from '../model.js';
import type { Estimator, Prediction, PredictMethod } from './estimators/estimator.js';
import { checkFeatureNames } from './feature-names.js';
import { invalidInput, toFeatureMatrix } from './input-matrix.js';
import type { OrtKernel } from './ort-kernel.js';
import { requestFrame } from './request-frame.js';

/** KServe's output name; MLServer names outputs after the method instead. */
const DEFAULT_OUTPUT = 'output-0';

interface RequestedOutput {
  name: string;
  method: PredictMethod;
}

export class SklearnModel implements Model {
  readonly name: string;
  readonly estimator: Estimator;
  readonly #defaultOutputs: readonly RequestedOutput[];
  readonly #parallel: ParallelKernel | undefined;
  readonly #ort: OrtKernel | undefined;

  /**
   * `parallel`: the estimator's rowParallel kernel registered with the intra-op pool (large batches); `ort`: its
   * onnxOffload graph in an onnxruntime session (large batches of MLPs; taken before `parallel`).
   */
  constructor(
    name: string,
    estimator: Estimator,
    options: { predictProba: boolean; parallel?: ParallelKernel; ort?: OrtKernel },
  ) {
    this.name = name;
    this.estimator = estimator;
    this.#parallel = options.parallel;
    this.#ort = options.ort;
    // KServe: PREDICT_PROBA=true and hasattr(model, "predict_proba"); otherwise predict.
    const useProba = options.predictProba && estimator.predictProba !== undefined;
    this.#defaultOutputs = [{ name: DEFAULT_OUTPUT, method: useProba ? 'predict_proba' : 'predict' }];
  }

  /** KServe's sklearn server reports no tensor metadata. */
  metadata(): ModelMetadata {
    return { platform: '', inputs: [], outputs: [] };
  }

  /**
   * Synchronous, on the calling thread, unless the batch is large enough to split across threads or (MLPs) to
   * run in onnxruntime.
   */
  predict(inputs: Tensor[], opts?: PredictOptions): Tensor[] | Promise<Tensor[]> {
    const outputs = this.#requestedOutputs(opts);
    const isDataFrame = opts?.parameters?.content_type === 'pd';
    const estimator = this.estimator;
    if (estimator.predictFrame) {
      const frame = requestFrame(inputs, isDataFrame);
      return outputs.map(({ name, method }) => toTensor(name, estimator.predictFrame!(frame, method)));
    }
    const tensor = isDataFrame ? columnsToMatrix(inputs, estimator) : inputs[0];
    if (!tensor) throw invalidInput('Expected at least one input tensor');
    const { x, rows } = toFeatureMatrix(tensor, estimator);
    const offload = estimator.onnxOffload;
    if (this.#ort && offload && this.#ort.takes(rows)) {
      const run = this.#ort.run;
      return Promise.all(
        outputs.map(async ({ name, method }) => toTensor(name, await offload.predictWith(method, x, rows, run))),
      );
    }
    const split = estimator.rowParallel;
    if (this.#parallel && split && this.#parallel.splits(rows, split.stepsPerRow)) {
      const kernel = this.#parallel;
      const run = (job: Parameters<typeof kernel.run>[0]) => kernel.run(job, rows, split.blockRows);
      return Promise.all(
        outputs.map(async ({ name, method }) => toTensor(name, await split.predictWith(method, x, rows, run))),
      );
    }
    return outputs.map(({ name, method }) =>
      toTensor(name, method === 'predict_proba' ? estimator.predictProba!(x, rows) : estimator.predict(x, rows)),
    );
  }

  async unload(): Promise<void> {
    this.#parallel?.close();
    await this.#ort?.close();
  }

  #requestedOutputs(opts: PredictOptions | undefined): readonly RequestedOutput[] {
    const names = opts?.outputNames;
    if (names && names.length > 0) {
      return names.map((name) => {
        if (name === DEFAULT_OUTPUT) return this.#defaultOutputs[0]!;
        if (name === 'predict' || name === 'predict_proba') return { name, method: this.#checkMethod(name) };
        throw invalidInput(
          `Output '${name}' is not available; this model offers ${this.#methods()
            .map((m) => `'${m}'`)
            .join(', ')}`,
        );
      });
    }
    const flag = opts?.parameters?.predict_proba;
    if (flag === undefined || flag === null) return this.#defaultOutputs;
    const wantsProba = flag === true || (typeof flag === 'string' && flag.toLowerCase() === 'true');
    const method = wantsProba ? this.#checkMethod('predict_proba') : 'predict';
    return [{ name: DEFAULT_OUTPUT, method }];
  }

  #methods(): PredictMethod[] {
    return this.estimator.predictProba ? ['predict', 'predict_proba'] : ['predict'];
  }

  #checkMethod(method: PredictMethod): PredictMethod {
    if (method === 'predict_proba' && !this.estimator.predictProba) {
      throw invalidInput(`This ${this.estimator.className} model has no predict_proba`);
    }
    return method;
  }
}

function toTensor(name: string, result: Prediction): Tensor {
  return { name, datatype: result.datatype, shape: result.shape, data: result.data };
}

/** KServe's `as_dataframe()`: one column per input tensor, named after it, in request order. */
function columnsToMatrix(inputs: Tensor[], estimator: Estimator): Tensor | undefined {
  if (inputs.length === 0) return undefined;
  checkFeatureNames(
    estimator.featureNames,
    inputs.map((t) => t.name),
  );
  const rows = inputs[0]!.data.length;
  const cols = inputs.length;
  const data: unknown[] = new Array(rows * cols);
  inputs.forEach((column, c) => {
    if (column.data.length !== rows) throw invalidInput('All arrays must be of the same length');
    const values = column.data as ArrayLike<unknown>;
    for (let r = 0; r < rows; r++) data[r * cols + c] = values[r];
  });
  return { name: 'dataframe', datatype: 'BYTES', shape: [rows, cols], data: data as string[] };
}
