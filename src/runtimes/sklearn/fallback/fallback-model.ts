// A scikit-learn model served by the Python fallback worker, behind the same Model interface and with the same
// request conventions as the native SklearnModel (first tensor as X, or `content_type: pd` columns; PREDICT_PROBA
// and per-request probabilities). sklearn itself checks the input, so its messages are the ones KServe sends.

import { InferdError } from '../../../errors.js';
import type { Datatype, Model, ModelMetadata, PredictOptions, Tensor, TensorData } from '../../model.js';
import { invalidInput } from '../input-matrix.js';
import type { PythonWorker, WorkerReply } from './python-worker.js';

const INT_DATATYPES: Record<string, Datatype> = {
  i1: 'INT8',
  i2: 'INT16',
  i4: 'INT32',
  i8: 'INT64',
  u1: 'UINT8',
  u2: 'UINT16',
  u4: 'UINT32',
  u8: 'UINT64',
};

export interface FallbackLoaded {
  className: string;
  hasProba: boolean;
}

export class FallbackSklearnModel implements Model {
  readonly name: string;
  readonly className: string;
  readonly #worker: PythonWorker;
  readonly #path: string;
  readonly #key: string;
  readonly #hasProba: boolean;
  readonly #useProba: boolean;
  readonly #onUnload: () => void;
  #generation: number;
  #unloaded = false;

  private constructor(
    name: string,
    worker: PythonWorker,
    path: string,
    key: string,
    loaded: FallbackLoaded,
    generation: number,
    options: { predictProba: boolean; onUnload: () => void },
  ) {
    this.name = name;
    this.#onUnload = options.onUnload;
    this.#worker = worker;
    this.#path = path;
    this.#key = key;
    this.className = loaded.className;
    this.#hasProba = loaded.hasProba;
    this.#useProba = options.predictProba && loaded.hasProba;
    this.#generation = generation;
  }

  /** Loads `path` in the worker; throws UNSAFE_MODEL when the worker's unpickler refuses a global. */
  static async create(options: {
    name: string;
    worker: PythonWorker;
    path: string;
    key: string;
    predictProba: boolean;
    /** Called once when the model is unloaded (the runtime stops an idle worker). */
    onUnload: () => void;
  }): Promise<FallbackSklearnModel> {
    const generation = await options.worker.started();
    const loaded = await loadIn(options.worker, options.key, options.path);
    return new FallbackSklearnModel(
      options.name,
      options.worker,
      options.path,
      options.key,
      loaded,
      generation,
      options,
    );
  }

  metadata(): ModelMetadata {
    return { platform: '', inputs: [], outputs: [] };
  }

  async predict(inputs: Tensor[], opts?: PredictOptions): Promise<Tensor[]> {
    const outputs = this.#requestedOutputs(opts);
    const { header, body } = requestBody(inputs, opts?.parameters?.content_type === 'pd');
    const results: Tensor[] = [];
    for (const { name, method } of outputs) {
      const reply = await this.#call({ ...header, op: 'predict', model: this.#key, method }, body);
      results.push(toTensor(name, reply));
    }
    return results;
  }

  async unload(): Promise<void> {
    if (this.#unloaded) return;
    this.#unloaded = true;
    await this.#worker.request({ op: 'unload', model: this.#key }).catch(() => undefined); // a dead worker holds nothing
    this.#onUnload();
  }

  /** A request, reloading the model first if the worker was restarted since it was loaded. */
  async #call(header: Record<string, unknown>, body: Uint8Array): Promise<WorkerReply> {
    const generation = await this.#worker.started();
    if (generation !== this.#generation) {
      await loadIn(this.#worker, this.#key, this.#path);
      this.#generation = generation;
    }
    const reply = await this.#worker.request(header, body);
    if (reply.header.ok !== true) {
      // sklearn's ValueError/TypeError at predict are the client's input (KServe sends their text back)
      const kind = String(reply.header.error);
      const message = String(reply.header.message ?? kind);
      throw ['ValueError', 'TypeError', 'KeyError', 'IndexError'].includes(kind)
        ? invalidInput(message)
        : new InferdError('INTERNAL', `${kind}: ${message}`);
    }
    return reply;
  }

  #requestedOutputs(opts: PredictOptions | undefined): { name: string; method: 'predict' | 'predict_proba' }[] {
    const check = (method: 'predict' | 'predict_proba') => {
      if (method === 'predict_proba' && !this.#hasProba)
        throw invalidInput(`This ${this.className} model has no predict_proba`);
      return method;
    };
    const names = opts?.outputNames;
    if (names && names.length > 0) {
      return names.map((name) => {
        if (name === 'output-0') return { name, method: this.#useProba ? 'predict_proba' : 'predict' };
        if (name === 'predict' || name === 'predict_proba') return { name, method: check(name) };
        throw invalidInput(
          `Output '${name}' is not available; this model offers 'predict'${this.#hasProba ? ", 'predict_proba'" : ''}`,
        );
      });
    }
    const flag = opts?.parameters?.predict_proba;
    if (flag === undefined || flag === null)
      return [{ name: 'output-0', method: this.#useProba ? 'predict_proba' : 'predict' }];
    const wants = flag === true || (typeof flag === 'string' && flag.toLowerCase() === 'true');
    return [{ name: 'output-0', method: wants ? check('predict_proba') : 'predict' }];
  }
}

async function loadIn(worker: PythonWorker, key: string, path: string): Promise<FallbackLoaded> {
  const reply = await worker.request({ op: 'load', model: key, path });
  const h = reply.header;
  if (h.ok === true) return { className: String(h.className), hasProba: h.hasProba === true };
  if (h.error === 'forbidden') {
    throw new InferdError(
      'UNSAFE_MODEL',
      `refusing to load model: pickle references '${String(h.message)}', which is not an allowed class`,
      {
        reason: 'UnsafeModel',
        className: String(h.message),
      },
    );
  }
  throw new InferdError(
    'MODEL_LOAD_FAILED',
    `the Python sklearn worker could not load ${path}: ${String(h.error)}: ${String(h.message)}`,
    {
      reason: 'ModelLoadFailed',
    },
  );
}

/** The request as the worker reads it: float64 X in the body, strings in the header, DataFrame columns by name. */
function requestBody(inputs: Tensor[], isDataFrame: boolean): { header: Record<string, unknown>; body: Uint8Array } {
  if (inputs.length === 0) throw invalidInput('Expected at least one input tensor');
  if (isDataFrame) {
    const rows = inputs[0]!.data.length;
    const numeric: Float64Array[] = [];
    const columns = inputs.map((t) => {
      if (t.data.length !== rows) throw invalidInput('All arrays must be of the same length');
      if (t.datatype === 'BYTES')
        return { name: t.name, kind: 'str', values: Array.from(t.data as ArrayLike<unknown>, text) };
      numeric.push(Float64Array.from(t.data as ArrayLike<number | bigint | boolean>, Number));
      return { name: t.name, kind: 'f8' };
    });
    return { header: { columns, rows }, body: concatFloat64(numeric) };
  }
  const tensor = inputs[0]!;
  if (tensor.datatype === 'BYTES') {
    return {
      header: { shape: tensor.shape, values: Array.from(tensor.data as ArrayLike<unknown>, text) },
      body: new Uint8Array(0),
    };
  }
  const x = Float64Array.from(tensor.data as ArrayLike<number | bigint | boolean>, Number);
  const size = tensor.shape.reduce((a, b) => a * b, 1);
  if (size !== x.length)
    throw invalidInput(`cannot reshape array of size ${x.length} into shape (${tensor.shape.join(',')})`);
  return { header: { shape: tensor.shape }, body: new Uint8Array(x.buffer, x.byteOffset, x.byteLength) };
}

function text(v: unknown): unknown {
  return v instanceof Uint8Array ? Buffer.from(v).toString() : v;
}

function concatFloat64(parts: Float64Array[]): Uint8Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return new Uint8Array(out.buffer);
}

function toTensor(name: string, reply: WorkerReply): Tensor {
  const h = reply.header;
  const shape = (h.shape as number[]) ?? [];
  const dtype = String(h.dtype);
  const body = reply.body;
  let datatype: Datatype;
  let data: TensorData;
  if (dtype === 'f8') {
    datatype = 'FP64';
    data = new Float64Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  } else if (dtype in INT_DATATYPES) {
    datatype = INT_DATATYPES[dtype]!;
    const ints = new BigInt64Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
    data = Array.from(ints, Number);
  } else if (dtype === 'b1') {
    datatype = 'BOOL';
    data = h.values as boolean[];
  } else {
    datatype = 'BYTES';
    data = h.values as string[];
  }
  return { name, datatype, shape, data };
}
