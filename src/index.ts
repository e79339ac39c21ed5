// The public SDK: `import { Model, ModelServer } from 'inferd'`. Everything a custom model or transformer
// needs (KServe's kserve.Model / ModelServer / InferRequest / InferResponse), and nothing of the platform.

export { type ErrorCode, InferdError } from './errors.js';
export type { Datatype, Tensor, TensorData, TensorMetadata, TypedArray } from './runtimes/model.js';
export {
  Model,
  type Payload,
  type PredictorConfig,
  type RequestContext,
  type Result,
  type V1Request,
  type V1Response,
} from './sdk/model.js';
export { ModelServer, type ModelServerOptions } from './sdk/model-server.js';
export {
  type CallOptions,
  DEFAULT_PREDICTOR_TIMEOUT_MS,
  PredictorClient,
  type PredictorClientOptions,
  type PredictorProtocol,
} from './sdk/predictor-client.js';
export { parseSdkServerArgs, SDK_SERVER_USAGE, type SdkServerConfig } from './sdk/server-args.js';
export {
  datatypeOf,
  InferRequest,
  InferResponse,
  InferTensor,
  isInferRequest,
  isInferResponse,
  tensor,
} from './sdk/tensor.js';
