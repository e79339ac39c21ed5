// Checks shared by predictor, transformer and explainer: ComponentExtensionSpec (KServe component.go
// Validate: validateReplicas, validateContainerConcurrency, validateLogger; the enums of ScaleMetric and
// LoggerSpec.mode) and the containers of custom components (corev1.Container, the fields inferd reads).

import { validateAutoscalingAnnotations } from './autoscaling.validation.js';
import {
  isArray,
  isInt,
  isObject,
  isOneOf,
  isString,
  isStringArray,
  isStringMap,
  type Out,
  present,
  unknownFields,
} from './checks.js';
import { envNameProblem } from './env-names.js';
import { child, describe, orList } from './json-path.js';
import { resourceQuantityProblems } from './limits.js';
import { nameProblem } from './names.js';
import { BATCHER_FIELDS, CONTAINER_FIELDS, LOGGER_FIELDS } from './resource-fields.js';
import { didYouMean } from './suggest.js';

export const SCALE_METRICS = ['cpu', 'memory', 'concurrency', 'rps'] as const;
export const SCALE_METRIC_TYPES = ['Utilization', 'Value', 'AverageValue'] as const;
export const LOGGER_MODES = ['all', 'request', 'response'] as const;
/** constants.DefaultMinReplicas: what an unset minReplicas means. */
export const DEFAULT_MIN_REPLICAS = 1;

/** ComponentExtensionSpec fields of `c` (a predictor, transformer or explainer) at `path`. */
export function validateComponentExtension(c: Record<string, unknown>, path: string, out: Out): void {
  const at = (k: string) => child(path, k);
  // KServe's own wording (component.go validateReplicas, validateContainerConcurrency), then what to write.
  let min = DEFAULT_MIN_REPLICAS;
  const minReplicas = c['minReplicas'];
  if (present(minReplicas) && isInt(minReplicas, at('minReplicas'), out)) {
    if (minReplicas < 0) {
      out.push({
        path: at('minReplicas'),
        message: `MinReplicas cannot be less than 0, got ${minReplicas} (0 scales to zero)`,
      });
    } else min = minReplicas;
  }
  const max = c['maxReplicas'];
  if (present(max) && isInt(max, at('maxReplicas'), out)) {
    if (max < 0) {
      out.push({
        path: at('maxReplicas'),
        message: `MaxReplicas cannot be less than 0, got ${max} (0 means no limit)`,
      });
    } else if (max !== 0 && max < min) {
      out.push({
        path: at('maxReplicas'),
        message: `MinReplicas cannot be greater than MaxReplicas: minReplicas is ${min}, maxReplicas ${max} (set maxReplicas >= ${min}, or 0 for no limit)`,
      });
    }
  }
  let metric: string | undefined;
  const scaleMetric = c['scaleMetric'];
  if (present(scaleMetric)) {
    if (typeof scaleMetric === 'string' && (SCALE_METRICS as readonly string[]).includes(scaleMetric)) {
      metric = scaleMetric;
    } else {
      // KServe: "[x] is not a supported metric" (inference_service_validation.go validateKPAMetrics).
      const hint = typeof scaleMetric === 'string' ? didYouMean(scaleMetric, SCALE_METRICS) : '';
      out.push({
        path: at('scaleMetric'),
        message: `[${typeof scaleMetric === 'string' ? scaleMetric : describe(scaleMetric)}] is not a supported metric; must be one of ${orList(SCALE_METRICS.map((m) => JSON.stringify(m)))}${hint}`,
      });
    }
  }
  const target = c['scaleTarget'];
  if (present(target) && isInt(target, at('scaleTarget'), out, { min: 1 })) {
    if (metric === 'cpu' && target > 100) {
      out.push({
        path: at('scaleTarget'),
        message: `the target utilization percentage should be a [1-100] integer, got ${target}`,
      });
    }
  }
  if (present(c['scaleMetricType'])) isOneOf(c['scaleMetricType'], SCALE_METRIC_TYPES, at('scaleMetricType'), out);
  const cc = c['containerConcurrency'];
  if (present(cc) && isInt(cc, at('containerConcurrency'), out) && cc < 0) {
    out.push({
      path: at('containerConcurrency'),
      message: `Parallelism cannot be less than 0, got ${cc} (containerConcurrency is the most requests one replica serves at once; 0 means no limit)`,
    });
  }
  if (present(c['timeout'])) isInt(c['timeout'], at('timeout'), out, { min: 1, note: '(seconds)' });
  if (present(c['canaryTrafficPercent'])) {
    isInt(c['canaryTrafficPercent'], at('canaryTrafficPercent'), out, { min: 0, max: 100 });
  }
  if (present(c['logger'])) validateLogger(c['logger'], at('logger'), out);
  if (present(c['batcher'])) validateBatcher(c['batcher'], at('batcher'), out);
  if (present(c['labels'])) isStringMap(c['labels'], at('labels'), out);
  if (present(c['annotations']) && isStringMap(c['annotations'], at('annotations'), out)) {
    validateAutoscalingAnnotations(c['annotations'], at('annotations'), out);
  }
  if (present(c['serviceAccountName']) && isString(c['serviceAccountName'], at('serviceAccountName'), out)) {
    const bad = nameProblem(c['serviceAccountName'], 'dns1123Subdomain');
    if (bad) out.push({ path: at('serviceAccountName'), message: bad });
  }
}

function validateLogger(logger: unknown, path: string, out: Out): void {
  if (!isObject(logger, path, out)) return;
  unknownFields(logger, LOGGER_FIELDS, path, out);
  const url = logger['url'];
  if (present(url) && isString(url, child(path, 'url'), out) && !isHttpUrl(url)) {
    out.push({
      path: child(path, 'url'),
      message: `must be an absolute http:// or https:// URL, got ${describe(url)}`,
    });
  }
  // LoggerSpec.mode: the CRD defaults it to "all"; any other value is KServe's "invalid logger type".
  if (present(logger['mode'])) isOneOf(logger['mode'], LOGGER_MODES, child(path, 'mode'), out);
  if (present(logger['metadataHeaders'])) isStringArray(logger['metadataHeaders'], child(path, 'metadataHeaders'), out);
}

function validateBatcher(batcher: unknown, path: string, out: Out): void {
  if (!isObject(batcher, path, out)) return;
  unknownFields(batcher, BATCHER_FIELDS, path, out);
  if (present(batcher['maxBatchSize'])) isInt(batcher['maxBatchSize'], child(path, 'maxBatchSize'), out, { min: 1 });
  if (present(batcher['maxLatency'])) {
    isInt(batcher['maxLatency'], child(path, 'maxLatency'), out, { min: 1, note: '(milliseconds)' });
  }
  if (present(batcher['timeout']))
    isInt(batcher['timeout'], child(path, 'timeout'), out, { min: 1, note: '(seconds)' });
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host !== '';
  } catch {
    return false;
  }
}

/**
 * A container of a custom component: known fields only, a DNS-1123 label `name`, and an `image` or a `command`
 * when `requireRunnable` (locally inferd runs the command; on a cluster, the image).
 */
export function validateContainer(c: unknown, path: string, out: Out, opts: { requireRunnable: boolean }): void {
  if (!isObject(c, path, out)) return;
  unknownFields(c, CONTAINER_FIELDS, path, out);
  if (present(c['name']) && isString(c['name'], child(path, 'name'), out)) {
    const bad = nameProblem(c['name'], 'dns1123Label');
    if (bad) out.push({ path: child(path, 'name'), message: bad });
  }
  validateContainerFields(c, path, out);
  if (opts.requireRunnable && !present(c['image']) && !present(c['command'])) {
    out.push({ path, message: 'a container needs an "image" or a "command"' });
  }
}

/** The corev1.Container fields inferd reads (`image`, `command`, `args`, `env`, `resources`, `ports`). */
export function validateContainerFields(c: Record<string, unknown>, path: string, out: Out): void {
  if (present(c['image'])) isString(c['image'], child(path, 'image'), out);
  if (present(c['command'])) isStringArray(c['command'], child(path, 'command'), out);
  if (present(c['args'])) isStringArray(c['args'], child(path, 'args'), out);
  if (present(c['workingDir'])) isString(c['workingDir'], child(path, 'workingDir'), out);
  if (present(c['env'])) validateEnv(c['env'], child(path, 'env'), out);
  if (present(c['resources']) && isObject(c['resources'], child(path, 'resources'), out)) {
    for (const p of resourceQuantityProblems(c['resources'])) {
      out.push({ path: p.path.reduce(child, child(path, 'resources')), message: p.message });
    }
  }
  if (present(c['ports']) && isArray(c['ports'], child(path, 'ports'), out)) {
    c['ports'].forEach((p, i) => {
      const pp = child(child(path, 'ports'), i);
      if (isObject(p, pp, out)) isInt(p['containerPort'], child(pp, 'containerPort'), out, { min: 1, max: 65535 });
    });
  }
}

function validateEnv(env: unknown, path: string, out: Out): void {
  if (!isArray(env, path, out)) return;
  env.forEach((e, i) => {
    const p = child(path, i);
    if (!isObject(e, p, out)) return;
    if (!present(e['name']) || e['name'] === '') out.push({ path: child(p, 'name'), message: 'required' });
    else if (isString(e['name'], child(p, 'name'), out)) {
      const problem = envNameProblem(e['name']);
      if (problem) out.push({ path: child(p, 'name'), message: problem });
    }
    if (present(e['value'])) isString(e['value'], child(p, 'value'), out);
  });
}

/** `containers` of a custom component: a non-empty list of runnable containers. */
export function validateContainers(list: unknown, path: string, out: Out): void {
  if (!isArray(list, path, out)) return;
  if (list.length === 0) out.push({ path, message: 'must have at least one container' });
  list.forEach((c, i) => {
    validateContainer(c, child(path, i), out, { requireRunnable: true });
  });
}
