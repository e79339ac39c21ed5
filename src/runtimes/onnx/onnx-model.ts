// A loaded ONNX model: one onnxruntime InferenceSession behind inferd's Model interface. Matches request
// tensors to the model's inputs by name, converts them (input-data.ts), runs, and converts the outputs
// back (output-data.ts). onnxruntime-node 1.30 runs a session synchronously on the JS thread (after a
// setImmediate), so one replica computes one request at a time; replicas are processes, so a slow model
// blocks only its own.

import * as ort from 'onnxruntime-node';
import { InferdError, messageOf } from '../../errors.js';
import type { Model, ModelMetadata, PredictOptions, Tensor } from '../model.js';
import { checkNamedDims, checkShape, invalid, toOrtData } from './input-data.js';
import { fromOrtTensor } from './output-data.js';
import { type OnnxThreads, sessionOptions } from './session-options.js';
import { describeValue, type OnnxValueInfo } from './tensor-types.js';

/**
 * onnxruntime-common picks the array type of 'float16' tensors once, on the first Tensor it makes: Node 24's
 * global Float16Array when there is one. onnxruntime-node 1.30's native binding does not read Float16Array
 * (inputs fail with "not enough space: expected 8, got 0"), so make that one-time choice with Float16Array
 * hidden: float16 stays raw bits in a Uint16Array on every Node, as input-data.ts and output-data.ts expect.
 */
function pinFloat16ToUint16(): void {
  const g = globalThis as { Float16Array?: unknown };
  const saved = g.Float16Array;
  if (saved === undefined) return;
  g.Float16Array = undefined;
  try {
    new ort.Tensor('float32', new Float32Array(1), [1]);
  } finally {
    g.Float16Array = saved;
  }
}
pinFloat16ToUint16();

/** The platform string V2 metadata reports, as Triton does for ONNX models. */
export const ONNX_PLATFORM = 'onnxruntime_onnx';

// onnxruntime's own input validation messages (rank, dims, element type): client mistakes, not server faults.
// inferd checks names, types and shapes before run(), so these are a safety net for what it leaves to
// onnxruntime (inputs whose rank onnxruntime reports as unknown).
const ORT_INPUT_ERROR = /invalid (rank|dimensions) for input|unexpected input data type|missing input:/i;

/** A failed session.run() as an InferdError: INVALID_INPUT for onnxruntime's input checks, else INTERNAL. */
export function runError(modelName: string, cause: unknown): InferdError {
  const message = messageOf(cause);
  if (ORT_INPUT_ERROR.test(message)) return new InferdError('INVALID_INPUT', message, { cause });
  return new InferdError('INTERNAL', `onnxruntime failed to run model ${modelName}: ${message}`, { cause });
}

export class OnnxModel implements Model {
  readonly name: string;
  /** The file the session was created from. */
  readonly path: string;
  readonly inputs: readonly OnnxValueInfo[];
  /** Tensor outputs, in model order: what predict returns by default. */
  readonly outputs: readonly OnnxValueInfo[];
  #session: ort.InferenceSession | null;
  /** Outputs that are not tensors (e.g. skl2onnx's ZipMap): listed in errors, never fetched. */
  readonly #otherOutputs: readonly string[];

  private constructor(name: string, path: string, session: ort.InferenceSession) {
    this.name = name;
    this.path = path;
    this.#session = session;
    this.inputs = session.inputMetadata.map((m) => describeValue(m, 'input'));
    this.outputs = session.outputMetadata.filter((m) => m.isTensor).map((m) => describeValue(m, 'output'));
    this.#otherOutputs = session.outputMetadata.filter((m) => !m.isTensor).map((m) => m.name);
  }

  /** Creates a session for the .onnx file at `path`; onnxruntime's message becomes MODEL_LOAD_FAILED. */
  static async create(name: string, path: string, threads: OnnxThreads): Promise<OnnxModel> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path, sessionOptions(threads, name));
    } catch (cause) {
      throw new InferdError('MODEL_LOAD_FAILED', `onnxruntime could not load ${path}: ${messageOf(cause)}`, {
        reason: 'ModelLoadFailed',
        cause,
      });
    }
    try {
      return new OnnxModel(name, path, session);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  metadata(): ModelMetadata {
    const strip = ({ name, datatype, shape }: OnnxValueInfo) => ({ name, datatype, shape: [...shape] });
    return { platform: ONNX_PLATFORM, inputs: this.inputs.map(strip), outputs: this.outputs.map(strip) };
  }

  async predict(inputs: Tensor[], opts: PredictOptions = {}): Promise<Tensor[]> {
    const session = this.#session;
    if (!session) throw new InferdError('MODEL_NOT_READY', `Model ${this.name} is not ready (unloaded)`);
    const feeds: Record<string, ort.Tensor> = {};
    const pairs = this.#matchInputs(inputs);
    for (const [info, input] of pairs) checkShape(input, info);
    checkNamedDims(pairs);
    for (const [info, input] of pairs) {
      feeds[info.name] = new ort.Tensor(info.ortType, toOrtData(input, info), input.shape);
    }
    const fetches = this.#outputNames(opts.outputNames);
    opts.signal?.throwIfAborted();
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(feeds, fetches);
    } catch (cause) {
      throw runError(this.name, cause);
    }
    return fetches.map((name) => fromOrtTensor(name, results[name] as ort.Tensor));
  }

  async unload(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    await session?.release();
  }

  /**
   * Pairs each model input with a request tensor by name. A single-input model also takes one tensor under
   * any name: KServe clients send `input-0` without knowing the model's input name.
   */
  #matchInputs(inputs: readonly Tensor[]): [OnnxValueInfo, Tensor][] {
    const byName = new Map<string, Tensor>();
    for (const t of inputs) {
      if (byName.has(t.name)) throw invalid(`input "${t.name}" is given more than once`, t.name);
      byName.set(t.name, t);
    }
    if (this.inputs.length === 1 && inputs.length === 1) return [[this.inputs[0]!, inputs[0]!]];
    const known = new Set(this.inputs.map((i) => i.name));
    const expected = this.inputs.map((i) => i.name).join(', ');
    for (const t of inputs) {
      if (!known.has(t.name)) {
        throw invalid(`model ${this.name} has no input named "${t.name}"; its inputs are: ${expected}`, t.name);
      }
    }
    return this.inputs.map((info) => {
      const t = byName.get(info.name);
      if (!t) throw invalid(`missing input "${info.name}" (model ${this.name} needs: ${expected})`, info.name);
      return [info, t];
    });
  }

  /** The outputs to fetch: the client's selection, or every tensor output. */
  #outputNames(requested: readonly string[] | undefined): string[] {
    if (!requested || requested.length === 0) return this.outputs.map((o) => o.name);
    const known = new Set(this.outputs.map((o) => o.name));
    for (const name of requested) {
      if (this.#otherOutputs.includes(name)) {
        throw new InferdError(
          'UNSUPPORTED',
          `output "${name}" of model ${this.name} is not a tensor (a sequence or map); V2 carries tensors only`,
          { output: name },
        );
      }
      if (!known.has(name)) {
        const available = this.outputs.map((o) => o.name).join(', ');
        throw new InferdError(
          'INVALID_INPUT',
          `model ${this.name} has no output named "${name}"; its outputs are: ${available}`,
          { output: name },
        );
      }
    }
    return [...new Set(requested)];
  }
}
