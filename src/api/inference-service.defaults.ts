// The InferenceService defaulting webhook as a pure function. KServe: pkg/apis/serving/v1beta1/
// inference_service_defaults.go (setPredictorModelDefaults: each old-style framework key is rewritten into
// `predictor.model` with `modelFormat.name` and removed; triton/onnx/huggingface default to protocol v2, as does
// `modelFormat: triton`) and the runtime assignment KServe's controller does in
// pkg/controller/v1beta1/inferenceservice/components/predictor.go (inferd writes it into the spec instead:
// `spec.predictor.model.runtime` and the resulting `protocolVersion`). LoggerSpec.mode defaults to `all` (CRD
// default in pkg/apis/serving/v1beta1/inference_service.go). An empty namespace becomes `default`.

import { isInferdError } from '../errors.js';
import { isPlainObject } from './json-path.js';
import { selectRuntime } from './runtime-selection.js';
import type {
  FrameworkKey,
  InferenceService,
  ModelSpec,
  PredictorExtensionSpec,
  ProtocolVersion,
  ServingRuntime,
} from './types.js';

export const DEFAULT_NAMESPACE = 'default';

/** modelFormat.name for each old-style key (KServe's constants.SupportedModel*). */
export const FRAMEWORK_MODEL_FORMATS: Readonly<Record<FrameworkKey, string>> = {
  sklearn: 'sklearn',
  xgboost: 'xgboost',
  lightgbm: 'lightgbm',
  onnx: 'onnx',
  pytorch: 'pytorch',
  tensorflow: 'tensorflow',
  triton: 'triton',
  pmml: 'pmml',
  paddle: 'paddle',
  huggingface: 'huggingface',
};

/** Old-style keys whose protocol defaults to v2 "for backward compatibility" (assignTritonRuntime & co.). */
export const V2_DEFAULT_FRAMEWORKS: readonly FrameworkKey[] = ['triton', 'onnx', 'huggingface'];

/** The order of KServe's `switch` in setPredictorModelDefaults: the first key set wins. */
const DEFAULTING_ORDER: readonly FrameworkKey[] = [
  'sklearn',
  'tensorflow',
  'xgboost',
  'pytorch',
  'triton',
  'onnx',
  'huggingface',
  'pmml',
  'lightgbm',
  'paddle',
];

export interface DefaultingContext {
  /** ServingRuntimes (any namespace) and ClusterServingRuntimes, e.g. `withBuiltinRuntimes(stored)`. */
  runtimes: readonly ServingRuntime[];
}

/**
 * The old-style framework key set on `predictor` (the first in KServe's order), or undefined. A key holding a
 * non-object is ignored (validation reports it).
 */
export function oldStyleKey(predictor: Record<string, unknown>): FrameworkKey | undefined {
  return DEFAULTING_ORDER.find((k) => isPlainObject(predictor[k]));
}

/** `predictor.<key>` rewritten as a ModelSpec, the way setPredictorModelDefaults does (pure). */
export function modelFromFramework(key: FrameworkKey, ext: PredictorExtensionSpec): ModelSpec {
  const model: ModelSpec = { modelFormat: { name: FRAMEWORK_MODEL_FORMATS[key] }, ...ext };
  if (model.protocolVersion === undefined && V2_DEFAULT_FRAMEWORKS.includes(key)) model.protocolVersion = 'v2';
  return model;
}

/** Returns a defaulted copy of `isvc`; never throws (problems are validation's business). */
export function defaultInferenceService(isvc: InferenceService, ctx: DefaultingContext): InferenceService {
  const out = structuredClone(isvc);
  out.metadata = { ...out.metadata };
  if (!out.metadata.namespace) out.metadata.namespace = DEFAULT_NAMESPACE;
  const spec = out.spec as unknown;
  if (!isPlainObject(spec)) return out;
  const predictor = spec['predictor'];
  if (isPlainObject(predictor)) defaultPredictor(predictor, out.metadata.namespace, ctx);
  for (const component of ['predictor', 'transformer', 'explainer']) {
    const c = spec[component];
    if (isPlainObject(c)) defaultLogger(c);
  }
  return out;
}

function defaultPredictor(predictor: Record<string, unknown>, namespace: string, ctx: DefaultingContext): void {
  const key = oldStyleKey(predictor);
  if (key !== undefined && predictor['model'] === undefined) {
    predictor['model'] = modelFromFramework(key, predictor[key] as PredictorExtensionSpec);
    delete predictor[key];
  }
  const model = predictor['model'];
  if (!isPlainObject(model) || !isPlainObject(model['modelFormat'])) return;
  const format = model['modelFormat'];
  if (typeof format['name'] !== 'string' || format['name'] === '') return;
  if (model['protocolVersion'] === undefined && format['name'] === 'triton') model['protocolVersion'] = 'v2';

  let runtime = typeof model['runtime'] === 'string' && model['runtime'] !== '' ? model['runtime'] : undefined;
  let protocol = model['protocolVersion'] as ProtocolVersion | undefined;
  try {
    const sel = selectRuntime(model as unknown as ModelSpec, undefined, ctx.runtimes, {
      namespace,
      multiNode: predictor['workerSpec'] !== undefined,
    });
    runtime = sel.runtime;
    protocol = sel.protocolVersion;
  } catch (err) {
    if (!isInferdError(err)) throw err;
    protocol ??= 'v1'; // ModelSpec.GetProtocol's default
  }
  // Rebuilt to read like KServe's output: modelFormat, runtime, protocolVersion, then the rest as written.
  const { modelFormat, runtime: _r, protocolVersion: _p, ...rest } = model;
  predictor['model'] = {
    modelFormat,
    ...(runtime === undefined ? {} : { runtime }),
    protocolVersion: protocol,
    ...rest,
  };
}

function defaultLogger(component: Record<string, unknown>): void {
  const logger = component['logger'];
  if (isPlainObject(logger) && logger['mode'] === undefined) component['logger'] = { ...logger, mode: 'all' };
}
