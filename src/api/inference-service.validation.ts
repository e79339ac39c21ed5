// The InferenceService validating webhook as a pure function, returning every problem instead of the first.
// KServe: pkg/apis/serving/v1beta1/inference_service_validation.go (isvc name regex, "the 'name' field is not
// allowed in standard predictor", autoscaler class), component.go (exactly one implementation, replicas,
// containerConcurrency, logger mode), the controller's storageUri and runtime checks
// (pkg/controller/v1beta1/inferenceservice/{utils/utils.go,components/predictor.go}), plus what inferd adds:
// unknown fields (as kubectl's strict field validation), the model formats inferd serves, and KServe's host
// limit ({name}-predictor-{namespace} must fit one 63-character DNS label; kserve/kserve#4807).

import { validateAutoscalingAnnotations, validateEffectiveScaleBounds } from './autoscaling.validation.js';
import { isObject, isOneOf, isString, isStringMap, type Out, present, unknownFields } from './checks.js';
import { validateComponentExtension, validateContainerFields, validateContainers } from './component.validation.js';
import { DEFAULT_NAMESPACE, modelFromFramework } from './inference-service.defaults.js';
import { andList, child, describe, isPlainObject } from './json-path.js';
import {
  INTRA_OP_THREADS_ANNOTATION,
  LOAD_TIMEOUT_ANNOTATION,
  MAX_INTRA_OP_THREADS,
  parseDurationText,
  parseIntraOpThreads,
} from './limits.js';
import { isDns1035Label } from './names.js';
import { validateObjectMeta } from './object-meta.validation.js';
import {
  EXPLAINER_FIELDS,
  EXTENSION_FIELDS,
  INFERENCE_SERVICE_SPEC_FIELDS,
  MODEL_FIELDS,
  MODEL_FORMAT_FIELDS,
  PREDICTOR_FIELDS,
  STORAGE_SPEC_FIELDS,
  TOP_LEVEL_FIELDS,
  TRANSFORMER_FIELDS,
} from './resource-fields.js';
import { selectRuntime } from './runtime-selection.js';
import { BUILTIN_CLUSTER_SERVING_RUNTIMES, isBuiltinRuntime, knownModelFormats } from './serving-runtimes.js';
import { STORAGE_SPEC_URI_PREFIXES, storageUriProblem } from './storage-uri.js';
import { didYouMean } from './suggest.js';
import {
  FRAMEWORK_KEYS,
  type FrameworkKey,
  type InferenceService,
  type KindInfo,
  kindByName,
  type ModelSpec,
  PROTOCOL_VERSIONS,
  type Problem,
  type ServingRuntime,
} from './types.js';

export interface InferenceServiceValidationContext {
  /** Model formats inferd can serve now (e.g. ['sklearn']); others are refused unless a user runtime serves them. */
  servedFormats: readonly string[];
  /** When given, the runtime the isvc would get is checked too (explicit `runtime:` or auto-selection). */
  runtimes?: readonly ServingRuntime[];
}

/** `{name}-predictor-{namespace}` is one DNS label of KServe's hosts: at most 63 characters. */
export const HOST_LABEL_LIMIT = 63;
const PREDICTOR_SUFFIX = '-predictor-';
const MODEL_FORMAT_VERSION = /^\d+(\.\d+){0,2}$/;

export const DEPLOYMENT_MODE_ANNOTATION = 'serving.kserve.io/deploymentMode';
export const AUTOSCALER_CLASS_ANNOTATION = 'serving.kserve.io/autoscalerClass';
/** ParseDeploymentMode accepts the legacy names too; ModelMesh is a separate project inferd does not run. */
const DEPLOYMENT_MODES = ['Standard', 'RawDeployment', 'Knative', 'Serverless'] as const;
/** constants.AutoscalerAllowedClassList */
const AUTOSCALER_CLASSES = ['hpa', 'keda', 'external', 'none'] as const;

const ISVC_KIND: KindInfo = kindByName('InferenceService')!;
const PREDICTOR = 'spec.predictor';

export function validateInferenceService(isvc: InferenceService, ctx: InferenceServiceValidationContext): Problem[] {
  const out: Out = [];
  const obj = isvc as unknown as Record<string, unknown>;
  unknownFields(obj, TOP_LEVEL_FIELDS, '', out);
  out.push(...validateObjectMeta(obj['metadata'], ISVC_KIND));
  const meta = isPlainObject(obj['metadata']) ? obj['metadata'] : {};
  const namespace = typeof meta['namespace'] === 'string' && meta['namespace'] ? meta['namespace'] : DEFAULT_NAMESPACE;
  checkHostLimit(meta['name'], namespace, out);
  checkAnnotations(meta['annotations'], out);

  const spec = obj['spec'];
  if (!present(spec)) {
    out.push({ path: 'spec', message: 'required (with a predictor)' });
    return out;
  }
  if (!isObject(spec, 'spec', out)) return out;
  unknownFields(spec, INFERENCE_SERVICE_SPEC_FIELDS, 'spec', out);
  if (present(spec['canary'])) {
    out.push({
      path: 'spec.canary',
      message: 'not supported by inferd; use spec.predictor.canaryTrafficPercent for a canary rollout',
    });
  }
  validatePredictor(spec['predictor'], namespace, meta['annotations'], ctx, out);
  if (present(spec['transformer'])) validateTransformer(spec['transformer'], 'spec.transformer', out);
  if (present(spec['explainer'])) validateExplainer(spec['explainer'], 'spec.explainer', out);
  return out;
}

function checkHostLimit(name: unknown, namespace: string, out: Out): void {
  if (typeof name !== 'string' || !isDns1035Label(name)) return; // validateObjectMeta reported it
  const label = `${name}${PREDICTOR_SUFFIX}${namespace}`;
  if (label.length <= HOST_LABEL_LIMIT) return;
  out.push({
    path: 'metadata.name',
    message: `${JSON.stringify(name)} in namespace ${JSON.stringify(namespace)} is too long: the host label ${JSON.stringify(label)} has ${label.length} characters and KServe allows ${HOST_LABEL_LIMIT} (name and namespace together at most ${HOST_LABEL_LIMIT - PREDICTOR_SUFFIX.length})`,
  });
}

function checkAnnotations(annotations: unknown, out: Out): void {
  if (!isPlainObject(annotations)) return;
  const at = (k: string) => child('metadata.annotations', k);
  const mode = annotations[DEPLOYMENT_MODE_ANNOTATION];
  if (mode === 'ModelMesh') {
    out.push({ path: at(DEPLOYMENT_MODE_ANNOTATION), message: 'ModelMesh is not supported by inferd' });
  } else if (typeof mode === 'string') {
    isOneOf(mode, DEPLOYMENT_MODES, at(DEPLOYMENT_MODE_ANNOTATION), out);
  }
  const loadTimeout = annotations[LOAD_TIMEOUT_ANNOTATION];
  if (loadTimeout !== undefined && parseDurationText(loadTimeout) === undefined) {
    out.push({
      path: at(LOAD_TIMEOUT_ANNOTATION),
      message: `expected a positive duration like 30s, 10m or 1h, got ${JSON.stringify(loadTimeout)}`,
    });
  }
  const threads = annotations[INTRA_OP_THREADS_ANNOTATION];
  if (threads !== undefined && parseIntraOpThreads(threads) === undefined) {
    out.push({
      path: at(INTRA_OP_THREADS_ANNOTATION),
      message: `expected a whole number of threads from 1 to ${MAX_INTRA_OP_THREADS} (e.g. "2"), got ${JSON.stringify(threads)}`,
    });
  }
  validateAutoscalingAnnotations(annotations, 'metadata.annotations', out);
  const cls = annotations[AUTOSCALER_CLASS_ANNOTATION];
  if (typeof cls === 'string' && !(AUTOSCALER_CLASSES as readonly string[]).includes(cls)) {
    out.push({ path: at(AUTOSCALER_CLASS_ANNOTATION), message: `[${cls}] is not a supported autoscaler class type` });
  }
}

// ---- predictor ----

function validatePredictor(
  p: unknown,
  namespace: string,
  metadataAnnotations: unknown,
  ctx: InferenceServiceValidationContext,
  out: Out,
): void {
  if (!present(p)) {
    out.push({ path: PREDICTOR, message: 'required' });
    return;
  }
  if (!isObject(p, PREDICTOR, out)) return;
  unknownFields(p, PREDICTOR_FIELDS, PREDICTOR, out);

  const found: string[] = [];
  if (present(p['model'])) found.push('model');
  for (const k of FRAMEWORK_KEYS) if (present(p[k])) found.push(k);
  const containers = p['containers'];
  if (present(containers) && !(Array.isArray(containers) && containers.length === 0)) found.push('containers');
  if (found.length !== 1) {
    out.push({
      path: PREDICTOR,
      message: `exactly one of model, ${FRAMEWORK_KEYS.join(', ')} or containers must be set; found ${found.length ? andList(found) : 'none'}`,
    });
  }

  let servable: { model: ModelSpec; key: 'model' | FrameworkKey } | undefined;
  for (const impl of found) {
    const path = child(PREDICTOR, impl);
    const before = out.length;
    if (impl === 'containers') {
      validateContainers(containers, path, out);
    } else if (impl === 'model') {
      validateModelLike(p['model'], path, true, out);
      if (out.length === before) servable = { model: p['model'] as ModelSpec, key: 'model' };
    } else {
      const key = impl as FrameworkKey;
      validateModelLike(p[key], path, false, out);
      if (out.length === before) servable = { model: modelFromFramework(key, p[key] as ModelSpec), key };
    }
  }
  if (found.length === 1 && servable) {
    checkServing(servable.model, servable.key, namespace, present(p['workerSpec']), ctx, out);
  }

  validateComponentExtension(p, PREDICTOR, out);
  validateEffectiveScaleBounds(metadataAnnotations, p, PREDICTOR, out);
  for (const [field, why] of [
    ['name', "the 'name' field names spec.canary[] predictors, which inferd does not support"],
    ['storageUris', 'not supported by inferd yet; use model.storageUri'],
    ['workerSpec', 'multi-node serving is not supported by inferd'],
  ] as const) {
    if (present(p[field])) out.push({ path: child(PREDICTOR, field), message: why });
  }
}

/** `predictor.model` (isModel) or an old-style framework key: a ModelSpec / PredictorExtensionSpec. */
function validateModelLike(m: unknown, path: string, isModel: boolean, out: Out): void {
  if (!isObject(m, path, out)) return;
  unknownFields(m, isModel ? MODEL_FIELDS : EXTENSION_FIELDS, path, out);
  if (isModel) {
    const fp = child(path, 'modelFormat');
    const format = m['modelFormat'];
    if (!present(format)) out.push({ path: fp, message: 'required (e.g. modelFormat: {name: sklearn})' });
    else if (isObject(format, fp, out)) {
      unknownFields(format, MODEL_FORMAT_FIELDS, fp, out);
      const name = format['name'];
      if (!present(name) || name === '') out.push({ path: child(fp, 'name'), message: 'required' });
      else isString(name, child(fp, 'name'), out);
      const version = format['version'];
      if (present(version) && isString(version, child(fp, 'version'), out) && !MODEL_FORMAT_VERSION.test(version)) {
        out.push({
          path: child(fp, 'version'),
          message: `must be "major", "major.minor" or "major.minor.patch" (e.g. "1"), got ${describe(version)}`,
        });
      }
    }
    if (present(m['runtime'])) isString(m['runtime'], child(path, 'runtime'), out);
  }
  // KServe refuses only a non-empty name (validatePredictor: Name != ""); its SDK always sends name: "".
  if (present(m['name']) && m['name'] !== '') {
    out.push({ path: child(path, 'name'), message: "the 'name' field is not allowed in standard predictor" });
  }
  const uri = m['storageUri'];
  if (present(uri) && isString(uri, child(path, 'storageUri'), out) && uri !== '') {
    const bad = storageUriProblem(uri);
    if (bad) out.push({ path: child(path, 'storageUri'), message: bad });
  }
  if (present(m['runtimeVersion'])) isString(m['runtimeVersion'], child(path, 'runtimeVersion'), out);
  if (present(m['protocolVersion']))
    isOneOf(m['protocolVersion'], PROTOCOL_VERSIONS, child(path, 'protocolVersion'), out);
  if (present(m['storage']))
    validateStorageSpec(m['storage'], typeof uri === 'string' ? uri : undefined, child(path, 'storage'), out);
  validateContainerFields(m, path, out);
}

/** ModelStorageSpec; with a storageUri too, KServe's validateStorageSpec rules (component.go). */
function validateStorageSpec(s: unknown, uri: string | undefined, path: string, out: Out): void {
  if (!isObject(s, path, out)) return;
  unknownFields(s, STORAGE_SPEC_FIELDS, path, out);
  for (const f of ['key', 'path', 'schemaPath']) if (present(s[f])) isString(s[f], child(path, f), out);
  const allowed = STORAGE_SPEC_URI_PREFIXES.join(', ');
  if (uri && !STORAGE_SPEC_URI_PREFIXES.some((p) => uri.startsWith(p))) {
    out.push({
      path,
      message: `with storage, storageUri must be one of: [${allowed}]. StorageUri [${uri}] is not supported`,
    });
  }
  const params = s['parameters'];
  if (present(params) && isStringMap(params, child(path, 'parameters'), out)) {
    const type = params['type'];
    if (type !== undefined && !STORAGE_SPEC_URI_PREFIXES.some((p) => p === `${type}://`)) {
      out.push({
        path: child(child(path, 'parameters'), 'type'),
        message: `storage.spec.type, must be one of: [${allowed}]. storage.spec.type [${type}] is not supported`,
      });
    }
  }
}

/**
 * The model format must be one inferd serves (or one a user-applied runtime serves), and — when runtimes are
 * known — a runtime must support it with the protocol. Old-style paths point at `spec.predictor.<key>`.
 */
function checkServing(
  model: ModelSpec,
  key: 'model' | FrameworkKey,
  namespace: string,
  multiNode: boolean,
  ctx: InferenceServiceValidationContext,
  out: Out,
): void {
  const format = model.modelFormat.name;
  const formatPath = key === 'model' ? `${PREDICTOR}.model.modelFormat.name` : child(PREDICTOR, key);
  let selected: ServingRuntime | undefined;
  let selectionProblem: Problem | undefined;
  if (ctx.runtimes) {
    try {
      const sel = selectRuntime(model, undefined, ctx.runtimes, { namespace, multiNode });
      selected = ctx.runtimes.find((r) => r.metadata.name === sel.runtime && r.kind === sel.runtimeKind);
    } catch (err) {
      const e = err as { message: string; details?: { path?: string } };
      selectionProblem = { path: userPath(e.details?.path ?? `${PREDICTOR}.model`, key), message: e.message };
    }
  }
  const userRuntime = selected !== undefined && !isBuiltinRuntime(selected);
  if (!ctx.servedFormats.includes(format) && !userRuntime) {
    const known = new Set([
      ...knownModelFormats(ctx.runtimes ?? BUILTIN_CLUSTER_SERVING_RUNTIMES),
      ...ctx.servedFormats,
    ]);
    const serves = `inferd serves ${ctx.servedFormats.length ? andList([...ctx.servedFormats]) : 'no model formats natively'}`;
    const message = known.has(format)
      ? `model format ${JSON.stringify(format)} is not served by inferd yet; ${serves} (or apply a ServingRuntime with a container for it)`
      : `unknown model format ${JSON.stringify(format)}${didYouMean(format, [...ctx.servedFormats, ...known])}; ${serves}`;
    out.push({ path: formatPath, message });
    return;
  }
  if (selectionProblem) out.push(selectionProblem);
}

/** Maps `spec.predictor.model...` paths from runtime selection onto the key the user wrote. */
function userPath(path: string, key: 'model' | FrameworkKey): string {
  if (key === 'model') return path;
  const modelPrefix = `${PREDICTOR}.model`;
  if (path === `${modelPrefix}.modelFormat` || path === modelPrefix) return child(PREDICTOR, key);
  return path.startsWith(modelPrefix) ? `${child(PREDICTOR, key)}${path.slice(modelPrefix.length)}` : path;
}

// ---- transformer, explainer: custom containers only (transformer.go, explainer.go) ----

function validateTransformer(t: unknown, path: string, out: Out): void {
  if (!isObject(t, path, out)) return;
  unknownFields(t, TRANSFORMER_FIELDS, path, out);
  if (!present(t['containers']))
    out.push({ path, message: 'containers must be set: a transformer is a custom container' });
  else validateContainers(t['containers'], child(path, 'containers'), out);
  validateComponentExtension(t, path, out);
}

function validateExplainer(e: unknown, path: string, out: Out): void {
  if (!isObject(e, path, out)) return;
  unknownFields(e, EXPLAINER_FIELDS, path, out);
  const hasArt = present(e['art']);
  const hasContainers = present(e['containers']);
  if (hasArt === hasContainers) {
    out.push({
      path,
      message: `exactly one of art or containers must be set; found ${hasArt ? 'art and containers' : 'none'}`,
    });
  }
  if (hasArt && isObject(e['art'], child(path, 'art'), out)) {
    out.push({
      path: child(path, 'art'),
      message: 'the ART explainer is not served by inferd; use a custom explainer container',
    });
  }
  if (hasContainers) validateContainers(e['containers'], child(path, 'containers'), out);
  validateComponentExtension(e, path, out);
}
