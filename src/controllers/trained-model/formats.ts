// Which model formats a multi-model InferenceService can take as TrainedModels: its runtime's
// supportedModelFormats (KServe's IsFrameworkSupported), or its own modelFormat when no runtime is recorded.

import type { InferenceService, ServingRuntime } from '../../api/types.js';

export function parentFormatsOf(parent: InferenceService, runtimes: readonly ServingRuntime[]): string[] {
  const model = parent.spec?.predictor?.model;
  const named = model?.runtime ? runtimes.find((r) => r.metadata.name === model.runtime) : undefined;
  const formats = named
    ? (named.spec?.supportedModelFormats ?? []).map((f) => f.name)
    : [model?.modelFormat?.name ?? ''];
  return [...new Set(formats.filter((f) => f !== ''))];
}
