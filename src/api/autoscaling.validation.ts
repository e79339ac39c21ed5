// Admission checks of the `autoscaling.knative.dev/*` annotations (Knative's bounds and wording, with the allowed
// range said), where they are written: `metadata.annotations[...]` or a component's `annotations[...]`. Also the
// one check that spans both places and the spec fields: the replica bounds that will actually apply.

import { AUTOSCALING_ANNOTATIONS, parseAutoscalingAnnotations } from './autoscaling-annotations.js';
import type { Out } from './checks.js';
import { child, isPlainObject } from './json-path.js';

/** Problems of one annotation map at `path` (`metadata.annotations` or `spec.predictor.annotations`). */
export function validateAutoscalingAnnotations(annotations: unknown, path: string, out: Out): void {
  if (!isPlainObject(annotations)) return;
  for (const p of parseAutoscalingAnnotations(annotations).problems)
    out.push({ path: child(path, p.key), message: p.message });
}

/**
 * minReplicas/min-scale against maxReplicas/max-scale as scaleSettingsOf resolves them (a spec field wins; the
 * component's annotation over the metadata's): refuses a pair the user split over two places, e.g.
 * `minReplicas: 3` with `autoscaling.knative.dev/max-scale: "2"`. Same-place pairs are reported where they are.
 */
export function validateEffectiveScaleBounds(
  metadataAnnotations: unknown,
  component: Record<string, unknown>,
  componentPath: string,
  out: Out,
): void {
  type Source = 'spec' | 'component' | 'metadata' | 'default';
  const meta = parseAutoscalingAnnotations(isPlainObject(metadataAnnotations) ? metadataAnnotations : undefined).values;
  const own = parseAutoscalingAnnotations(
    isPlainObject(component['annotations']) ? component['annotations'] : undefined,
  ).values;
  const pick = (spec: unknown, key: 'minScale' | 'maxScale', fallback: number): [number, Source] => {
    if (typeof spec === 'number') return [spec, 'spec'];
    if (own[key] !== undefined) return [own[key], 'component'];
    if (meta[key] !== undefined) return [meta[key], 'metadata'];
    return [fallback, 'default'];
  };
  const [min, minFrom] = pick(component['minReplicas'], 'minScale', 1);
  const specMax = component['maxReplicas'] === 0 ? undefined : component['maxReplicas']; // KServe: 0 = unset
  const [max, maxFrom] = pick(specMax, 'maxScale', 0);
  if (max === 0 || max >= min || minFrom === maxFrom) return; // a same-place pair is reported where it is
  const key = AUTOSCALING_ANNOTATIONS.maxScale;
  const path =
    maxFrom === 'spec'
      ? child(componentPath, 'maxReplicas')
      : maxFrom === 'component'
        ? child(child(componentPath, 'annotations'), key)
        : child('metadata.annotations', key);
  const name = (from: Source, field: string, ann: string) => (from === 'spec' ? field : ann);
  out.push({
    path,
    message: `MinReplicas cannot be greater than MaxReplicas: ${name(minFrom, 'minReplicas', AUTOSCALING_ANNOTATIONS.minScale)} is ${min} and ${name(maxFrom, 'maxReplicas', key)} is ${max} (a spec field wins over its annotation, a component's annotation over the metadata's; raise the maximum, or 0 for no limit)`,
  });
}
