// Admission: what the API server and KServe's webhooks do to an object before it is stored — kind check,
// validation (every problem at once, with JSON paths), immutable fields on UPDATE, then defaulting. The control
// API calls admit() for every create/replace; controllers write status through the store, not through here.

import { InferdError } from '../errors.js';
import {
  DEFAULT_NAMESPACE,
  defaultInferenceService,
  modelFromFramework,
  oldStyleKey,
} from './inference-service.defaults.js';
import { DEPLOYMENT_MODE_ANNOTATION } from './inference-service.validation.js';
import { checkKind } from './kinds.js';
import type {
  InferenceService,
  KindInfo,
  PredictorExtensionSpec,
  Problem,
  Resource,
  Secret,
  ServingRuntime,
} from './types.js';
import { validateResource } from './validation.js';

export type AdmissionOperation = 'CREATE' | 'UPDATE';

export interface AdmissionContext {
  /** Stored ServingRuntimes and ClusterServingRuntimes plus the built-ins: `withBuiltinRuntimes(stored)`. */
  runtimes: readonly ServingRuntime[];
  /** Model formats inferd serves natively now, e.g. ['sklearn']. */
  servedFormats: readonly string[];
}

/**
 * Checks, validates and defaults `obj`; returns the object to store (a new one). Status follows the status
 * subresource: dropped on CREATE, carried over from `old` on UPDATE. Throws INVALID_MANIFEST with
 * `details.path` (the first problem) and `details.causes` (every Problem).
 */
export function admit(
  obj: Resource,
  op: AdmissionOperation,
  old: Resource | undefined,
  ctx: AdmissionContext,
): Resource {
  const kind = checkKind(obj);
  if (kind.kind === 'InferenceService') obj = oldStyleOverModel(obj as InferenceService);
  const problems = validateResource(obj, ctx);
  if (op === 'UPDATE' && old) problems.push(...immutableFields(obj, old, kind));
  if (problems.length > 0) throw problemsError(problems);

  const out = defaultResource(obj, kind, ctx);
  if (op === 'UPDATE' && old?.status !== undefined) out.status = structuredClone(old.status);
  else delete out.status;
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * An old-style framework key next to `model` (a merge patch `{spec:{predictor:{sklearn:{...}}}}` onto a stored
 * new-style service): KServe's defaulting webhook runs before its validation and rewrites the framework key
 * into `model`, replacing what was there (setPredictorModelDefaults), so the object is valid. Same here.
 * A lone old-style key is left to defaulting, so its validation errors keep their old-style paths.
 */
function oldStyleOverModel(isvc: InferenceService): InferenceService {
  const predictor = (isvc.spec as unknown as Record<string, unknown> | undefined)?.['predictor'];
  if (!isPlainObject(predictor) || predictor['model'] === undefined) return isvc;
  const key = oldStyleKey(predictor);
  if (key === undefined) return isvc;
  const out = structuredClone(isvc);
  const p = (out.spec as unknown as Record<string, Record<string, unknown>>)['predictor']!;
  p['model'] = modelFromFramework(key, p[key] as PredictorExtensionSpec);
  delete p[key];
  return out;
}

/** The INVALID_MANIFEST error for a non-empty list of problems. */
export function problemsError(problems: readonly Problem[]): InferdError {
  return new InferdError('INVALID_MANIFEST', problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
    path: problems[0]?.path,
    causes: [...problems],
  });
}

/** Defaults for any served kind; returns a new object. */
export function defaultResource(obj: Resource, kind: KindInfo, ctx: Pick<AdmissionContext, 'runtimes'>): Resource {
  if (kind.kind === 'InferenceService') return defaultInferenceService(obj as InferenceService, ctx);
  const out = structuredClone(obj);
  out.metadata = { ...out.metadata };
  if (kind.namespaced) {
    if (!out.metadata.namespace) out.metadata.namespace = DEFAULT_NAMESPACE;
  } else {
    delete out.metadata.namespace; // cluster-scoped: the API server clears it (rest.BeforeCreate)
  }
  if (kind.kind === 'Secret') defaultSecret(out as Secret);
  return out;
}

/** As the API server does: type Opaque, and stringData merged into data (base64), which is all that is stored. */
function defaultSecret(secret: Secret): void {
  if (!secret.type) secret.type = 'Opaque';
  if (secret.stringData) {
    const data = { ...(secret.data ?? {}) };
    for (const [k, v] of Object.entries(secret.stringData)) data[k] = Buffer.from(v, 'utf8').toString('base64');
    secret.data = data;
    delete secret.stringData;
  }
}

function immutableFields(obj: Resource, old: Resource, kind: KindInfo): Problem[] {
  const out: Problem[] = [];
  const changed = (path: string, was: unknown, now: unknown) =>
    out.push({ path, message: `field is immutable: was ${JSON.stringify(was)}, got ${JSON.stringify(now)}` });
  if (old.kind !== obj.kind) changed('kind', old.kind, obj.kind);
  if (old.metadata.name !== obj.metadata.name) changed('metadata.name', old.metadata.name, obj.metadata.name);
  if (kind.namespaced) {
    const was = old.metadata.namespace || DEFAULT_NAMESPACE;
    const now = obj.metadata.namespace || DEFAULT_NAMESPACE;
    if (was !== now) changed('metadata.namespace', was, now);
  }
  if (kind.kind === 'InferenceService') {
    // validateDeploymentMode: once a mode is recorded in status, the annotation cannot change it.
    const recorded = (old.status as { deploymentMode?: string } | undefined)?.deploymentMode;
    const wanted = obj.metadata.annotations?.[DEPLOYMENT_MODE_ANNOTATION];
    if (recorded && wanted !== undefined && wanted !== recorded) {
      out.push({
        path: `metadata.annotations[${JSON.stringify(DEPLOYMENT_MODE_ANNOTATION)}]`,
        message: `update rejected: deploymentMode cannot be changed from '${recorded}' to '${wanted}'`,
      });
    }
  }
  if (kind.kind === 'TrainedModel') {
    // KServe's TrainedModel webhook: the memory budget was counted against the parent when the model was placed.
    const was = (old.spec as { model?: { memory?: unknown } } | undefined)?.model?.memory;
    const now = (obj.spec as { model?: { memory?: unknown } } | undefined)?.model?.memory;
    if (was !== undefined && String(was) !== String(now)) {
      out.push({
        path: 'spec.model.memory',
        message: `the Trained Model "${obj.metadata.name}" memory field is immutable. The memory was "${String(was)}" but it is updated to "${String(now)}"`,
      });
    }
  }
  return out;
}
