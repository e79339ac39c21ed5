// The runtime adapter: an SDK Model as the model server's Model (runtimes/model.ts), taking whole requests
// (RequestHandlers) so that the built-in server code (rest/, grpc/) serves it. The adapter runs KServe's
// `Model.__call__` order and writes the results; it knows nothing about HTTP.

import { randomUUID } from 'node:crypto';
import { InferdError } from '../errors.js';
import type {
  InferenceCall,
  InferenceReply,
  ModelMetadata,
  PredictOptions,
  RequestInfo,
  Model as ServedModel,
  Tensor,
} from '../runtimes/model.js';
import { inferResponse } from '../server/rest/v2-response.js';
import type { Model, Payload, Result } from './model.js';
import { InferRequest, InferTensor, isInferResponse } from './tensor.js';

/** The SDK model's methods the adapter calls (duck-typed: a Model from another copy of the SDK works too). */
export type SdkModel = Pick<
  Model,
  'name' | 'ready' | 'load' | 'preprocess' | 'predict' | 'postprocess' | 'explain' | 'protocol'
> &
  Partial<Pick<Model, 'inputTypes' | 'outputTypes' | 'unload'>>;

/** True when `v` has what the adapter calls. */
export function isSdkModel(v: unknown): v is SdkModel {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.name === 'string' &&
    ['load', 'preprocess', 'predict', 'postprocess', 'explain'].every((k) => typeof m[k] === 'function')
  );
}

/** JSON with typed arrays written as arrays and bigints as numbers (V1 answers built from tensors). */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return Number(x);
    if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
      return Array.from(x as unknown as ArrayLike<number | bigint>, Number);
    }
    return x;
  });
}

/** KServe's Model.validate: after preprocess, `instances` (V1) / `inputs` (V2 REST) must be lists. */
function validate(model: SdkModel, payload: Payload): void {
  if (payload instanceof InferRequest || typeof payload !== 'object' || payload === null) return;
  const p = payload as Record<string, unknown>;
  if (model.protocol === 'v2' && 'inputs' in p && !Array.isArray(p.inputs)) {
    throw new InferdError('INVALID_INPUT', 'Expected "inputs" to be a list');
  }
  if (model.protocol === 'v1' && 'instances' in p && !Array.isArray(p.instances)) {
    throw new InferdError('INVALID_INPUT', 'Expected "instances" to be a list');
  }
}

async function call(
  model: SdkModel,
  payload: Payload,
  info: RequestInfo,
  verb: 'predict' | 'explain',
): Promise<Result> {
  // Handlers may be sync or async (as in KServe); a sync answer is used without a microtask hop.
  // Each stage is timed for the server's request_{stage}_seconds, a failed one too (KServe's `.time()`).
  let stage: 'preprocess' | 'predict' | 'postprocess' | 'explain' = 'preprocess';
  let t = performance.now();
  let pending = true;
  const next = (to: typeof stage | undefined) => {
    const now = performance.now();
    info.timed?.(stage, (now - t) / 1000);
    if (to === undefined) pending = false;
    else stage = to;
    t = now;
  };
  try {
    let pre = model.preprocess(payload, info);
    if (pre instanceof Promise) pre = await pre;
    validate(model, pre);
    next(verb);
    let result = verb === 'predict' ? model.predict(pre, info) : model.explain(pre, info);
    if (result instanceof Promise) result = await result;
    next('postprocess');
    const post = await model.postprocess(result, info);
    next(undefined);
    return post;
  } finally {
    if (pending) next(undefined);
  }
}

function replyOf(model: SdkModel, result: Result): InferenceReply {
  const outputs = (result as { outputs?: unknown }).outputs;
  if (!isInferResponse(result) && !Array.isArray(outputs)) {
    throw new InferdError(
      'INTERNAL',
      `model ${model.name} answered a V2 request with ${result === null ? 'null' : typeof result}; return an InferResponse`,
    );
  }
  return { outputs: outputs as Tensor[] };
}

/**
 * The model server's view of an SDK model. `readiness` is the SDK model itself: the repository reads and
 * writes its `ready` (model-repository.ts).
 */
export function servedModel(model: SdkModel): ServedModel {
  const metadata = (): ModelMetadata => ({
    platform: '',
    inputs: model.inputTypes?.() ?? [],
    outputs: model.outputTypes?.() ?? [],
  });
  const v2 = async (c: InferenceCall, info: RequestInfo): Promise<InferenceReply> => {
    const req = new InferRequest(model.name, c.inputs.map(InferTensor.from), c.id, c.parameters, c.outputs);
    return replyOf(model, await call(model, req, info, 'predict'));
  };
  return {
    get name() {
      return model.name;
    },
    metadata,
    requests: {
      v1: async (body, info, verb) => {
        const result = await call(model, body as Payload, info, verb);
        // A model that answers a V1 request with an InferResponse: its V2 JSON (KServe's to_rest()).
        if (isInferResponse(result)) return inferResponse(model.name, result.id || info.requestId, result.outputs);
        return toJson(result);
      },
      v2,
    },
    // The tensor path, for callers that have tensors only (the batcher is not used with SDK models).
    predict: async (inputs: Tensor[], opts?: PredictOptions) => {
      const info: RequestInfo = {
        headers: {},
        requestId: randomUUID(),
        protocol: 'v2',
        signal: opts?.signal ?? new AbortController().signal,
      };
      const reply = await v2(
        {
          id: info.requestId,
          inputs,
          parameters: opts?.parameters ?? null,
          outputs: opts?.outputNames ?? null,
        },
        info,
      );
      return reply.outputs;
    },
    unload: async () => {
      await model.unload?.();
    },
  };
}
