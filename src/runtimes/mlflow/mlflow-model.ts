// An MLflow model behind inferd's Model interface, answering as MLServer's MLflow runtime (the one KServe's
// kserve-mlserver ServingRuntime runs) does: metadata from the signature, requests decoded by the signature
// (request.ts), and the flavor's numpy result sent as MLServer's NumpyRequestCodec sends it — one output
// named `output-1`, a 1-D result given a second dimension ([rows] → [rows, 1]), `content_type: np`.

import type { Model, ModelMetadata, PredictOptions, Tensor } from '../model.js';
import type { FlavorName } from './mlmodel.js';
import { decodeRequest } from './request.js';
import { type Signature, schemaMetadata } from './signature.js';

/** MLServer's SingleInputRequestCodec names the one output `output-1` (its metadata says `output-0`). */
export const MLSERVER_OUTPUT_NAME = 'output-1';
const NP_PARAMETERS = Object.freeze({ content_type: 'np' });

export class MlflowModel implements Model {
  readonly name: string;
  readonly flavor: FlavorName;
  readonly signature: Signature | null;
  readonly #inner: Model;
  readonly #metadata: ModelMetadata;

  constructor(name: string, inner: Model, flavor: FlavorName, signature: Signature | null) {
    this.name = name;
    this.flavor = flavor;
    this.signature = signature;
    this.#inner = inner;
    const own = inner.metadata();
    // MLServer reports the signature; without one, what the flavor's model knows (ONNX: its real tensors).
    this.#metadata = {
      platform: '',
      inputs: signature?.inputs ? schemaMetadata(signature.inputs, 'input-') : own.inputs,
      outputs: signature?.outputs ? schemaMetadata(signature.outputs, 'output-') : own.outputs,
    };
  }

  metadata(): ModelMetadata {
    return this.#metadata;
  }

  async predict(inputs: Tensor[], opts: PredictOptions = {}): Promise<Tensor[]> {
    const schema = this.signature?.inputs ?? null;
    const innerInputs = this.#inner.metadata().inputs;
    const decoded = decodeRequest(inputs, schema, innerInputs);
    const innerOpts: PredictOptions = {};
    if (opts.signal) innerOpts.signal = opts.signal;
    if (opts.outputNames?.length && this.flavor === 'onnx') innerOpts.outputNames = opts.outputNames;
    if (!schema && (opts.parameters?.content_type === 'pd' || isColumns(decoded))) {
      // No signature, several column inputs: a DataFrame, as MLServer's pandas codec builds it.
      innerOpts.parameters = { content_type: 'pd' };
    }
    const outputs = await this.#inner.predict(decoded, innerOpts);
    // sklearn, xgboost and lightgbm pyfuncs return one numpy array: MLServer's NumpyRequestCodec names it
    // `output-1`. mlflow.onnx's pyfunc returns its outputs by name (a DataFrame or a dict of arrays).
    if (this.flavor !== 'onnx' && outputs.length === 1) return [npOutput(outputs[0]!, MLSERVER_OUTPUT_NAME)];
    return outputs.map((o) => npOutput(o, o.name));
  }

  unload(): Promise<void> | void {
    return this.#inner.unload?.();
  }
}

/** MLServer's NumpyCodec.encode_output: `inject_batch_dimension` turns [n] into [n, 1]. */
function npOutput(t: Tensor, name: string): Tensor {
  const shape = t.shape.length === 1 ? [t.shape[0]!, 1] : [...t.shape];
  return { name, datatype: t.datatype, shape, data: t.data, parameters: { ...NP_PARAMETERS } };
}

/** Two or more inputs, each a column ([rows] or [rows, 1]) of one length. */
function isColumns(inputs: readonly Tensor[]): boolean {
  if (inputs.length < 2) return false;
  const rows = inputs[0]!.shape[0];
  return inputs.every(
    (t) => (t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1)) && t.shape[0] === rows,
  );
}
