// A scikit-learn model served by a Python worker, behind the same Model interface and output conventions as the
// native runtime (output-0, the datatype of classes_, PREDICT_PROBA). The worker is long-lived; when it dies
// (a crash, or killed after a timeout) the requests in flight fail and the next request starts a new worker
// and loads the model again.

import { InferdError, messageOf } from '../../errors.js';
import type { Model, ModelMetadata, PredictOptions, Tensor } from '../model.js';
import type { PythonWorker, WorkerHello } from './python-worker.js';
import { type ModelMethods, type PredictMethod, requestedOutputs } from './requested-outputs.js';
import { decodeTensors, encodeTensors, type WireTensor } from './worker-protocol.js';

export interface PythonModelOptions {
  name: string;
  /** The model file (found in the model directory as KServe's sklearnserver finds it). */
  modelPath: string;
  /** PREDICT_PROBA=true. */
  predictProba: boolean;
  /** Starts a fresh worker; called once to load, and again after the worker died. */
  startWorker: () => Promise<PythonWorker>;
  loadTimeoutMs: number;
  requestTimeoutMs: number;
}

/** What the worker reported about the loaded model. */
export interface PythonModelInfo {
  /** e.g. `sklearn.svm._classes.OneClassSVM`. */
  qualifiedClassName: string;
  methods: PredictMethod[];
  nFeatures: number | null;
  /** Warnings scikit-learn raised while loading (e.g. InconsistentVersionWarning). */
  warnings: string[];
  worker: WorkerHello;
}

async function loadInto(worker: PythonWorker, opts: PythonModelOptions): Promise<PythonModelInfo> {
  const reply = await worker.request({ op: 'load', path: opts.modelPath }, [], { timeoutMs: opts.loadTimeoutMs });
  const h = reply.header;
  return {
    qualifiedClassName: String(h.class),
    methods: (h.methods as PredictMethod[]) ?? ['predict'],
    nFeatures: typeof h.n_features_in === 'number' ? h.n_features_in : null,
    warnings: Array.isArray(h.warnings) ? h.warnings.map(String) : [],
    worker: worker.hello,
  };
}

export class PythonModel implements Model {
  readonly name: string;
  readonly info: PythonModelInfo;
  readonly #opts: PythonModelOptions;
  readonly #methods: ModelMethods;
  #worker: PythonWorker | null;
  #restarting: Promise<PythonWorker> | null = null;
  #closed = false;

  private constructor(opts: PythonModelOptions, worker: PythonWorker, info: PythonModelInfo) {
    this.name = opts.name;
    this.#opts = opts;
    this.#worker = worker;
    this.info = info;
    const hasPredictProba = info.methods.includes('predict_proba');
    this.#methods = {
      className: info.qualifiedClassName.split('.').pop() ?? info.qualifiedClassName,
      hasPredictProba,
      // KServe: PREDICT_PROBA=true and hasattr(model, "predict_proba"); otherwise predict.
      defaultMethod: opts.predictProba && hasPredictProba ? 'predict_proba' : 'predict',
    };
  }

  /** Starts a worker and loads the model in it; the worker is stopped again when loading fails. */
  static async create(opts: PythonModelOptions): Promise<PythonModel> {
    const worker = await opts.startWorker();
    try {
      return new PythonModel(opts, worker, await loadInto(worker, opts));
    } catch (err) {
      await worker.stop();
      throw err;
    }
  }

  /** The worker's process id (undefined while none runs). */
  get workerPid(): number | undefined {
    return this.#worker?.isAlive ? this.#worker.pid : undefined;
  }

  /** KServe's sklearn server reports no tensor metadata. */
  metadata(): ModelMetadata {
    return { platform: '', inputs: [], outputs: [] };
  }

  async predict(inputs: Tensor[], opts?: PredictOptions): Promise<Tensor[]> {
    const outputs = requestedOutputs(this.#methods, opts);
    if (inputs.length === 0) throw new InferdError('INVALID_INPUT', 'Expected at least one input tensor');
    const methods = [...new Set(outputs.map((o) => o.method))];
    const { tensors, chunks } = encodeTensors(inputs);
    const header = {
      op: 'predict',
      methods,
      content_type: opts?.parameters?.content_type === 'pd' ? 'pd' : null,
      tensors,
    };
    const worker = await this.#ready();
    const reply = await worker.request(header, chunks, {
      timeoutMs: this.#opts.requestTimeoutMs,
      ...(opts?.signal ? { signal: opts.signal } : {}),
    });
    const results = decodeTensors((reply.header.tensors ?? []) as WireTensor[], reply.body);
    return outputs.map(({ name, method }) => ({ ...results[methods.indexOf(method)]!, name }));
  }

  async unload(): Promise<void> {
    this.#closed = true;
    const restarting = this.#restarting;
    if (restarting) await restarting.catch(() => undefined);
    await this.#worker?.stop();
    this.#worker = null;
  }

  /** The live worker, or a new one with the model loaded again when the last one died. */
  #ready(): Promise<PythonWorker> {
    if (this.#closed) return Promise.reject(new InferdError('MODEL_NOT_READY', `model ${this.name} is unloaded`));
    const current = this.#worker;
    if (current?.isAlive) return Promise.resolve(current);
    this.#restarting ??= this.#restart().finally(() => {
      this.#restarting = null;
    });
    return this.#restarting;
  }

  async #restart(): Promise<PythonWorker> {
    let worker: PythonWorker;
    try {
      worker = await this.#opts.startWorker();
    } catch (err) {
      throw new InferdError('MODEL_NOT_READY', `the Python fallback worker could not be restarted: ${messageOf(err)}`);
    }
    try {
      await loadInto(worker, this.#opts);
    } catch (err) {
      await worker.stop();
      throw new InferdError(
        'MODEL_NOT_READY',
        `the Python fallback worker could not reload the model: ${messageOf(err)}`,
      );
    }
    if (this.#closed) {
      await worker.stop();
      throw new InferdError('MODEL_NOT_READY', `model ${this.name} is unloaded`);
    }
    this.#worker = worker;
    return worker;
  }
}
