// ScaleSettings for decider and autoscaler tests: Knative's defaults with a concurrency target of 10.

import { KNATIVE_DEFAULTS, type ScaleSettings } from '../../../src/controllers/autoscaler/scale-source.js';

export function settingsWith(over: Partial<ScaleSettings> = {}): ScaleSettings {
  return {
    minScale: 1,
    maxScale: 0,
    initialScale: 1,
    metric: 'concurrency',
    target: 10,
    targetUtilizationPercent: 70,
    windowMs: KNATIVE_DEFAULTS.windowMs,
    panicWindowPercent: KNATIVE_DEFAULTS.panicWindowPercent,
    panicThresholdPercent: KNATIVE_DEFAULTS.panicThresholdPercent,
    scaleDownDelayMs: 0,
    scaleToZeroGraceMs: KNATIVE_DEFAULTS.scaleToZeroGraceMs,
    containerConcurrency: 0,
    autoscaled: true,
    ...over,
  };
}
