// How many replicas each revision should have: the contract between the InferenceService controller (which
// starts and stops replicas to match) and whoever decides (the KPA-like autoscaler, or FixedScale when a
// revision is not autoscaled). The controller calls observe() on every pass for every revision it keeps;
// the decider emits 'scale' when its answer changes between passes (load moved, a request arrived for a
// revision at zero), and the controller reconciles the service again.

import { mergedAutoscalingAnnotations, parseAutoscalingAnnotations } from '../../api/autoscaling-annotations.js';
import type { InferenceService } from '../../api/types.js';

export type ScaleMetric = 'concurrency' | 'rps' | 'cpu' | 'memory';

/** One revision's scaling knobs, resolved from the component's spec and annotations (Knative defaults otherwise). */
export interface ScaleSettings {
  /** minReplicas / autoscaling.knative.dev/min-scale (KServe's default 1; 0 allows scale to zero). */
  minScale: number;
  /** maxReplicas / autoscaling.knative.dev/max-scale; 0 = no limit. */
  maxScale: number;
  /** autoscaling.knative.dev/initial-scale: replicas a new revision starts with (at least minScale, at least 1). */
  initialScale: number;
  metric: ScaleMetric;
  /** scaleTarget / autoscaling.knative.dev/target: per replica (concurrent requests, rps, or a utilization %). */
  target: number;
  /** Share of `target` aimed at, in percent (Knative's container-concurrency-target-percentage, default 70). */
  targetUtilizationPercent: number;
  /** autoscaling.knative.dev/window: the stable window (default 60 s). */
  windowMs: number;
  /** autoscaling.knative.dev/panic-window-percentage (default 10). */
  panicWindowPercent: number;
  /** autoscaling.knative.dev/panic-threshold-percentage (default 200). */
  panicThresholdPercent: number;
  /** autoscaling.knative.dev/scale-down-delay (default 0). */
  scaleDownDelayMs: number;
  /** autoscaling.knative.dev/scale-to-zero-pod-retention-period, else `inferd serve`'s grace period (default 30 s). */
  scaleToZeroGraceMs: number;
  /** containerConcurrency: hard in-flight limit per replica, 0 = unlimited. */
  containerConcurrency: number;
  /** False under `serving.kserve.io/autoscalerClass: none|external`: a fixed count (FixedScale), never KPA. */
  autoscaled: boolean;
}

/** A revision as the controller sees it on one pass. */
export interface RevisionScaleInput {
  /** `{namespace}/{name}/{revision}` (TrafficStats uses the same key). */
  key: string;
  settings: ScaleSettings;
  /** Replicas Ready now. */
  ready: number;
  /** Replicas starting or loading now (never scaled away: issue 14). */
  starting: number;
  /** The revision takes traffic (percent > 0 or a tag): one that takes none is kept at minScale, never woken. */
  routable: boolean;
}

export interface ScaleChange {
  key: string;
  desired: number;
  previous: number;
  /** Short machine-readable cause, e.g. `ScaleUp`, `ScaleDown`, `ScaleToZero`, `Activate`, `Panic`. */
  reason: string;
  /** What a user reads in `inferd describe` (observed load, target, window). */
  message: string;
}

export interface ScaleSource {
  /** The desired replica count of the revision now; starts tracking it (idempotent, cheap). */
  observe(input: RevisionScaleInput): number;
  /** Stops tracking a revision that is gone. */
  forget(key: string): void;
  close(): void;
  on(event: 'scale', listener: (change: ScaleChange) => void): this;
  off(event: 'scale', listener: (change: ScaleChange) => void): this;
}

/** Knative's KPA defaults (config-autoscaler) where a revision's spec says nothing. */
export const KNATIVE_DEFAULTS = {
  concurrencyTarget: 100,
  rpsTarget: 200,
  cpuUtilizationPercent: 80,
  memoryUtilizationPercent: 80,
  targetUtilizationPercent: 70,
  windowMs: 60_000,
  panicWindowPercent: 10,
  panicThresholdPercent: 200,
  scaleToZeroGraceMs: 30_000,
} as const;

/** Defaults `inferd serve` passes in (flags). */
export interface ScaleDefaults {
  scaleToZeroGraceMs: number;
}

/**
 * The scale settings of a service's predictor from its spec fields (KServe: minReplicas, maxReplicas,
 * scaleMetric, scaleTarget, containerConcurrency), then the `autoscaling.knative.dev/*` annotations (the
 * predictor's `annotations` over `metadata.annotations`, as KServe's Union does), then Knative's defaults.
 * A spec field wins over its annotation, as KServe's createKnativeService overwrites the annotation with it
 * (min-scale only when minReplicas is set: KServe always overwrites it, with 1 when unset, which makes the
 * annotation dead; inferd honours it; docs/autoscaling.md). Admission has validated both; a value that is bad
 * anyway (an old stored object) is ignored for its default.
 */
export function scaleSettingsOf(
  isvc: InferenceService,
  defaults: ScaleDefaults = { scaleToZeroGraceMs: KNATIVE_DEFAULTS.scaleToZeroGraceMs },
): ScaleSettings {
  const p = isvc.spec?.predictor ?? {};
  const a = parseAutoscalingAnnotations(mergedAutoscalingAnnotations(isvc.metadata?.annotations, p.annotations)).values;
  const minScale = p.minReplicas ?? a.minScale ?? 1;
  // KServe copies maxReplicas only when it is not 0 (0 = unset = no limit).
  const maxScale = p.maxReplicas || a.maxScale || 0;
  const metric: ScaleMetric = p.scaleMetric ?? a.metric ?? (a.class === 'hpa' ? 'cpu' : 'concurrency');
  const containerConcurrency = p.containerConcurrency ?? 0;
  const target =
    p.scaleTarget ??
    a.target ??
    (metric === 'concurrency'
      ? containerConcurrency > 0
        ? containerConcurrency
        : KNATIVE_DEFAULTS.concurrencyTarget
      : metric === 'rps'
        ? KNATIVE_DEFAULTS.rpsTarget
        : metric === 'cpu'
          ? KNATIVE_DEFAULTS.cpuUtilizationPercent
          : KNATIVE_DEFAULTS.memoryUtilizationPercent);
  const initial = Math.max(1, minScale, a.initialScale ?? 1);
  return {
    minScale,
    maxScale,
    initialScale: maxScale > 0 ? Math.min(initial, Math.max(maxScale, 1)) : initial,
    metric,
    target,
    targetUtilizationPercent: a.targetUtilizationPercent ?? KNATIVE_DEFAULTS.targetUtilizationPercent,
    windowMs: a.windowMs ?? KNATIVE_DEFAULTS.windowMs,
    panicWindowPercent: a.panicWindowPercent ?? KNATIVE_DEFAULTS.panicWindowPercent,
    panicThresholdPercent: a.panicThresholdPercent ?? KNATIVE_DEFAULTS.panicThresholdPercent,
    scaleDownDelayMs: a.scaleDownDelayMs ?? 0,
    scaleToZeroGraceMs: a.scaleToZeroRetentionMs ?? defaults.scaleToZeroGraceMs,
    containerConcurrency,
    autoscaled: isAutoscaled(isvc),
  };
}

/**
 * Whether the predictor is autoscaled (KpaAutoscaler) or keeps a fixed count (FixedScale): KServe's
 * `serving.kserve.io/autoscalerClass: none` or `external` turns autoscaling off (constants.AutoscalerClassNone,
 * AutoscalerClassExternal: "no HPA, fixed replicas").
 */
export function isAutoscaled(isvc: InferenceService): boolean {
  const cls = isvc.metadata?.annotations?.['serving.kserve.io/autoscalerClass'];
  return cls !== 'none' && cls !== 'external';
}
