// What a TrainedModel's status says and whether it may be loaded, decided without doing it: a pure function of
// the model, its parent InferenceService, its siblings (the parent's other TrainedModels) and what the parent's
// replicas report. The conditions are KServe's (pkg/apis/serving/v1alpha1/trained_model_status.go, set by
// pkg/controller/v1alpha1/trainedmodel/controller.go): InferenceServiceReady, IsMMSPredictor, FrameworkSupported,
// MemoryResourceAvailable; Ready is all of them plus, in inferd, the model loaded in the parent's replicas (KServe
// leaves that to its model agent and never reports it).

import { setCondition } from '../../api/conditions.js';
import { limitsOf, parseQuantity } from '../../api/limits.js';
import type { Condition, InferenceService, TrainedModel, TrainedModelStatus } from '../../api/types.js';
import { isMultiModel } from '../inference-service/plan.js';

/** How the model stands in the parent's replicas (the controller's tally over its Ready replicas). */
export type LoadState =
  | { phase: 'NotPlaced' }
  | { phase: 'Downloading' }
  | { phase: 'DownloadFailed'; reason: string; message: string }
  | { phase: 'Loading' }
  /** `loadedBytes`: the largest size measured at load among the replicas (inline models only). */
  | { phase: 'Loaded'; replicas: number; loadedBytes?: number }
  | { phase: 'Failed'; reason: string; message: string };

export interface TrainedModelContext {
  now: string;
  domain: string;
  /** The formats the parent's runtime supports (its ServingRuntime's supportedModelFormats names). */
  parentFormats: readonly string[];
}

export interface TrainedModelPlan {
  /** The parent is there, multi-model, Ready, supports the framework, and the budget has room: fetch and load. */
  placeable: boolean;
  status: TrainedModelStatus;
}

/** `spec.model.memory` in bytes (0 when unreadable: admission refuses those). */
export function memoryOf(tm: TrainedModel): number {
  return parseQuantity(tm.spec?.model?.memory) ?? 0;
}

/** `status.annotations` key (KServe's status has an annotations map): bytes the model's load added to its worker. */
export const LOADED_BYTES_ANNOTATION = 'serving.inferd.dev/loaded-bytes';

/** What a TrainedModels' worker needs besides its models (its isolate, the runtimes' modules), MiB. */
export const MODEL_WORKER_BASE_MB = 64;
/** The smallest heap limit given to a TrainedModels' worker, MiB. */
export const MODEL_WORKER_MIN_MB = 32;

/**
 * The V8 heap limit of the worker a parent's TrainedModels share (MiB): the parent's `resources.limits.memory`
 * when set, else the sum of its TrainedModels' `memory` plus the worker's base, rounded up to a power of two
 * (models added one by one then restart the worker log2(n) times, not n times), never more than
 * `--worker-heap-limit` (`capMb`) nor less than MODEL_WORKER_MIN_MB. So one model cannot take the whole process.
 */
export function modelWorkerHeapMb(
  parent: InferenceService | undefined,
  models: readonly TrainedModel[],
  capMb: number,
): number {
  const limit = limitsOf(parent?.spec?.predictor?.model?.resources).memoryBytes;
  let want: number;
  if (limit !== undefined) want = Math.ceil(limit / 2 ** 20);
  else {
    const sum = models.reduce((n, m) => n + memoryOf(m), 0);
    want = 2 ** Math.ceil(Math.log2(MODEL_WORKER_BASE_MB + Math.ceil(sum / 2 ** 20)));
  }
  return Math.max(MODEL_WORKER_MIN_MB, Math.min(capMb, want));
}

/**
 * Placement order among a parent's TrainedModels: oldest first, then by name. The memory budget is spent in
 * this order, so a model added later cannot push out one that already serves.
 */
export function placementOrder(a: TrainedModel, b: TrainedModel): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** The V1 or V2 predict URL of a model under its parent's host (KServe's TrainedModel status.url). */
export function modelUrl(parentUrl: string, model: string, protocol: string | undefined): string {
  const base = parentUrl.replace(/\/+$/, '');
  return protocol === 'v2' || protocol === 'grpc-v2'
    ? `${base}/v2/models/${model}/infer`
    : `${base}/v1/models/${model}:predict`;
}

export function planTrainedModel(
  tm: TrainedModel,
  parent: InferenceService | undefined,
  siblings: readonly TrainedModel[],
  load: LoadState,
  ctx: TrainedModelContext,
): TrainedModelPlan {
  const namespace = tm.metadata.namespace ?? 'default';
  const parentName = tm.spec?.inferenceService ?? '';
  const framework = tm.spec?.model?.framework ?? '';
  let conditions: Condition[] | undefined = tm.status?.conditions;
  const set = (type: string, ok: boolean, reason?: string, message?: string) => {
    conditions = setCondition(
      conditions,
      ok ? { type, status: 'True' } : { type, status: 'False', reason, message },
      ctx.now,
    );
  };
  const unknown = (type: string, reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status: 'Unknown', reason, message }, ctx.now);
  };

  let blocking: { reason: string; message: string } | undefined;
  const block = (reason: string, message: string) => {
    blocking ??= { reason, message };
  };

  if (!parent) {
    const message = `InferenceService ${JSON.stringify(parentName)} does not exist in namespace ${JSON.stringify(namespace)}; create it (a predictor without storageUri) or fix spec.inferenceService`;
    set('InferenceServiceReady', false, 'InferenceServiceNotFound', message);
    for (const type of ['IsMMSPredictor', 'FrameworkSupported', 'MemoryResourceAvailable']) {
      unknown(type, 'InferenceServiceNotFound', 'waiting for the parent InferenceService');
    }
    block('InferenceServiceNotFound', message);
  } else {
    const parentReady = parent.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (parentReady) set('InferenceServiceReady', true);
    else {
      const message = 'Inference Service needs to be ready before Trained Model can be ready';
      set('InferenceServiceReady', false, 'InferenceServiceNotReady', message);
      block('InferenceServiceNotReady', message);
    }
    if (isMultiModel(parent)) set('IsMMSPredictor', true);
    else {
      const message = `Inference Service ${JSON.stringify(parentName)} is not configured for multi-model serving: its predictor has a storageUri (remove it to make a multi-model server)`;
      set('IsMMSPredictor', false, 'IsNotMMSPredictor', message);
      block('IsNotMMSPredictor', message);
    }
    if (ctx.parentFormats.some((f) => f.toLowerCase() === framework.toLowerCase())) set('FrameworkSupported', true);
    else {
      const message = `Inference Service ${JSON.stringify(parentName)} does not support the Trained Model framework ${JSON.stringify(framework)} (its runtime serves: ${ctx.parentFormats.join(', ') || 'nothing'})`;
      set('FrameworkSupported', false, 'FrameworkNotSupported', message);
      block('FrameworkNotSupported', message);
    }
    // The parent's memory limit is the budget; models are placed oldest first (placementOrder).
    const limit = limitsOf(parent.spec?.predictor?.model?.resources).memoryBytes;
    if (limit === undefined) set('MemoryResourceAvailable', true);
    else {
      let used = 0;
      for (const s of [...siblings].sort(placementOrder)) {
        if (s.metadata.name === tm.metadata.name) break;
        used += memoryOf(s);
      }
      if (used + memoryOf(tm) <= limit) set('MemoryResourceAvailable', true);
      else {
        const message = `Inference service ${JSON.stringify(parentName)} memory resources are not available: its limit is ${mib(limit)}, its other models take ${mib(used)}, this one asks ${mib(memoryOf(tm))}`;
        set('MemoryResourceAvailable', false, 'MemoryResourceNotAvailable', message);
        block('MemoryResourceNotAvailable', message);
      }
    }
  }

  if (blocking) set('Ready', false, blocking.reason, blocking.message);
  else {
    switch (load.phase) {
      case 'Loaded':
        set('Ready', true);
        break;
      case 'NotPlaced':
      case 'Loading':
        unknown('Ready', 'ModelLoading', 'loading the model into the InferenceService');
        break;
      case 'Downloading':
        unknown('Ready', 'Downloading', 'downloading the model');
        break;
      case 'DownloadFailed':
      case 'Failed':
        set('Ready', false, load.reason, load.message);
        break;
    }
  }

  const status: TrainedModelStatus = { ...(tm.status ?? {}), conditions };
  const parentUrl = parent?.status?.url ?? (parent ? `http://${parentName}.${namespace}.${ctx.domain}` : undefined);
  if (parentUrl) {
    const protocol = parent?.spec?.predictor?.model?.protocolVersion;
    status.url = modelUrl(parentUrl, tm.metadata.name, protocol);
    const address = parent?.status?.address?.url;
    if (address) status.address = { url: modelUrl(address, tm.metadata.name, protocol) };
  } else {
    delete status.url;
    delete status.address;
  }
  // The size measured at load, in KServe's status annotations map (its other keys are left as they are).
  const annotations = { ...(status.annotations ?? {}) };
  if (!blocking && load.phase === 'Loaded' && load.loadedBytes !== undefined)
    annotations[LOADED_BYTES_ANNOTATION] = String(load.loadedBytes);
  else delete annotations[LOADED_BYTES_ANNOTATION];
  if (Object.keys(annotations).length > 0) status.annotations = annotations;
  else delete status.annotations;
  if (tm.metadata.generation !== undefined) status.observedGeneration = tm.metadata.generation;
  return { placeable: blocking === undefined, status };
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 2 ** 20) * 10) / 10}Mi`;
}
