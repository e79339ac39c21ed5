// Knative's `autoscaling.knative.dev/*` annotations as KServe users set them on an InferenceService (metadata or
// a component's `annotations`): parsed once with Knative's bounds (pkg/apis/autoscaling/annotation_validation.go),
// so admission refuses what the autoscaler could not use and the autoscaler reads typed values.
// Not here: which value wins over a spec field (controllers/autoscaler/scale-source.ts scaleSettingsOf).

export const AUTOSCALING_GROUP = 'autoscaling.knative.dev';

/** The annotation keys inferd reads, by the setting they feed. */
export const AUTOSCALING_ANNOTATIONS = {
  class: `${AUTOSCALING_GROUP}/class`,
  metric: `${AUTOSCALING_GROUP}/metric`,
  target: `${AUTOSCALING_GROUP}/target`,
  targetUtilizationPercent: `${AUTOSCALING_GROUP}/target-utilization-percentage`,
  window: `${AUTOSCALING_GROUP}/window`,
  panicWindowPercent: `${AUTOSCALING_GROUP}/panic-window-percentage`,
  panicThresholdPercent: `${AUTOSCALING_GROUP}/panic-threshold-percentage`,
  scaleDownDelay: `${AUTOSCALING_GROUP}/scale-down-delay`,
  initialScale: `${AUTOSCALING_GROUP}/initial-scale`,
  minScale: `${AUTOSCALING_GROUP}/min-scale`,
  maxScale: `${AUTOSCALING_GROUP}/max-scale`,
  scaleToZeroRetention: `${AUTOSCALING_GROUP}/scale-to-zero-pod-retention-period`,
} as const;

/** Knative's class values; `hpa` scales on cpu or memory as the Kubernetes HPA would. */
export const AUTOSCALING_CLASSES = { kpa: `kpa.${AUTOSCALING_GROUP}`, hpa: `hpa.${AUTOSCALING_GROUP}` } as const;
export type AutoscalingClass = keyof typeof AUTOSCALING_CLASSES;

export const AUTOSCALING_METRICS = ['concurrency', 'rps', 'cpu', 'memory'] as const;
export type AutoscalingMetric = (typeof AUTOSCALING_METRICS)[number];

/** Knative's bounds (pkg/apis/autoscaling/register.go). */
export const AUTOSCALING_BOUNDS = {
  windowMinMs: 6_000,
  windowMaxMs: 3_600_000,
  panicWindowPercentMin: 1,
  panicWindowPercentMax: 100,
  panicThresholdPercentMin: 110,
  panicThresholdPercentMax: 1000,
  targetMin: 0.01,
  scaleMax: 2_147_483_647,
} as const;

/** The values present and valid; a key with a bad value is absent here and reported in `problems`. */
export interface AutoscalingAnnotationValues {
  class?: AutoscalingClass;
  metric?: AutoscalingMetric;
  target?: number;
  targetUtilizationPercent?: number;
  windowMs?: number;
  panicWindowPercent?: number;
  panicThresholdPercent?: number;
  scaleDownDelayMs?: number;
  initialScale?: number;
  minScale?: number;
  maxScale?: number;
  scaleToZeroRetentionMs?: number;
}

export interface AnnotationProblem {
  /** The annotation key. */
  key: string;
  message: string;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`time.ParseDuration`) with the units people use here: `0`, `500ms`, `30s`, `1m30s`, `1h`. */
export function parseGoDurationMs(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (!/^((\d+(\.\d+)?|\.\d+)(ms|s|m|h))+$/.test(s)) return undefined;
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)/g)) total += Number(part[1]) * UNIT_MS[part[2]!]!;
  return Number.isFinite(total) ? total : undefined;
}

/** `1h`, `90s`, `1m30s` as Knative's messages print durations (Go's String without the zero parts). */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

/**
 * Reads the autoscaling annotations of one annotation map. Messages keep Knative's wording (`expected 6s <= 2s <=
 * 1h`, `invalid value: x`) and say the allowed range, so a user sees why and what to write instead.
 */
export function parseAutoscalingAnnotations(annotations: Readonly<Record<string, unknown>> | undefined): {
  values: AutoscalingAnnotationValues;
  problems: AnnotationProblem[];
} {
  const values: AutoscalingAnnotationValues = {};
  const problems: AnnotationProblem[] = [];
  if (!annotations) return { values, problems };
  const A = AUTOSCALING_ANNOTATIONS;
  const B = AUTOSCALING_BOUNDS;
  const get = (key: string): string | undefined => {
    const v = annotations[key];
    return typeof v === 'string' ? v : undefined; // non-strings are reported by the string-map check
  };
  const bad = (key: string, message: string) => problems.push({ key, message });

  const cls = get(A.class);
  if (cls !== undefined) {
    const found = (Object.keys(AUTOSCALING_CLASSES) as AutoscalingClass[]).find((k) => AUTOSCALING_CLASSES[k] === cls);
    if (found) values.class = found;
    else {
      bad(
        A.class,
        `invalid value: ${cls}; inferd autoscales with "${AUTOSCALING_CLASSES.kpa}" (concurrency, rps) or "${AUTOSCALING_CLASSES.hpa}" (cpu, memory); for a fixed replica count set serving.kserve.io/autoscalerClass: none`,
      );
    }
  }

  const metric = get(A.metric);
  if (metric !== undefined) {
    if ((AUTOSCALING_METRICS as readonly string[]).includes(metric)) values.metric = metric as AutoscalingMetric;
    else bad(A.metric, `invalid value: ${metric}; must be one of concurrency, rps, cpu or memory`);
  }

  const float = (key: string, min: number, max: number | undefined, what: string): number | undefined => {
    const text = get(key);
    if (text === undefined) return undefined;
    const v = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(v)) {
      bad(
        key,
        `invalid value: ${text}; ${what} is a number${max === undefined ? ` >= ${min}` : ` from ${min} to ${max}`}`,
      );
      return undefined;
    }
    if (v < min || (max !== undefined && v > max)) {
      bad(
        key,
        max === undefined
          ? `target ${text} should be at least ${min} (${what})`
          : `expected ${min} <= ${text} <= ${max} (${what})`,
      );
      return undefined;
    }
    return v;
  };
  values.target = float(A.target, B.targetMin, undefined, 'the per-replica target');
  values.targetUtilizationPercent = float(A.targetUtilizationPercent, 1, 100, 'the share of the target aimed at');
  values.panicWindowPercent = float(
    A.panicWindowPercent,
    B.panicWindowPercentMin,
    B.panicWindowPercentMax,
    'the panic window in percent of the stable window',
  );
  values.panicThresholdPercent = float(
    A.panicThresholdPercent,
    B.panicThresholdPercentMin,
    B.panicThresholdPercentMax,
    'demand in percent of ready capacity that starts panic mode',
  );

  const duration = (key: string, min: number, what: string, wholeSeconds: boolean): number | undefined => {
    const text = get(key);
    if (text === undefined) return undefined;
    const range = `from ${formatDurationMs(min)} to ${formatDurationMs(B.windowMaxMs)}`;
    const ms = parseGoDurationMs(text);
    if (ms === undefined) {
      bad(key, `invalid value: ${text}; ${what} is a duration like 30s, 2m or 1h, ${range}`);
      return undefined;
    }
    if (ms < min || ms > B.windowMaxMs) {
      bad(
        key,
        `expected ${formatDurationMs(min)} <= ${text} <= ${formatDurationMs(B.windowMaxMs)} (${what}, ${range})`,
      );
      return undefined;
    }
    if (wholeSeconds && ms % 1000 !== 0) {
      bad(key, `must be specified with at most second precision, got ${text} (${what})`);
      return undefined;
    }
    return ms;
  };
  values.windowMs = duration(A.window, B.windowMinMs, 'the stable window', true);
  values.scaleDownDelayMs = duration(A.scaleDownDelay, 0, 'how long a lower replica count must hold', true);
  values.scaleToZeroRetentionMs = duration(
    A.scaleToZeroRetention,
    0,
    'how long a revision without requests keeps its last replica',
    false,
  );

  const int = (key: string, min: number, what: string): number | undefined => {
    const text = get(key);
    if (text === undefined) return undefined;
    if (!/^\s*-?\d+\s*$/.test(text)) {
      bad(key, `invalid value: ${text}; ${what} is a whole number from ${min} to ${B.scaleMax}`);
      return undefined;
    }
    const v = Number(text);
    if (v < min || v > B.scaleMax) {
      bad(key, `expected ${min} <= ${text.trim()} <= ${B.scaleMax} (${what})`);
      return undefined;
    }
    return v;
  };
  values.minScale = int(A.minScale, 0, 'the least replicas; 0 allows scale to zero');
  values.maxScale = int(A.maxScale, 0, 'the most replicas; 0 means no limit');
  const initial = get(A.initialScale);
  if (initial === '0' || (initial !== undefined && /^\s*0+\s*$/.test(initial))) {
    // Knative's allow-zero-initial-scale is off by default: a new revision starts one replica to prove it works.
    bad(
      A.initialScale,
      `invalid value: ${initial}; initial-scale=0 is not allowed: a new revision starts at least 1 replica`,
    );
  } else {
    values.initialScale = int(A.initialScale, 1, 'the replicas a new revision starts with');
  }

  if (values.minScale !== undefined && values.maxScale !== undefined && values.maxScale !== 0) {
    if (values.maxScale < values.minScale) {
      bad(A.maxScale, `max-scale=${values.maxScale} is less than min-scale=${values.minScale}`);
      values.maxScale = undefined;
    }
  }
  for (const k of Object.keys(values) as (keyof AutoscalingAnnotationValues)[]) {
    if (values[k] === undefined) delete values[k];
  }
  return { values, problems };
}

/** The metadata annotations with the component's on top (KServe's Union: the component's win). */
export function mergedAutoscalingAnnotations(
  metadata: Readonly<Record<string, unknown>> | undefined,
  component: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  return { ...(metadata ?? {}), ...(component ?? {}) };
}
