// metadata checks for every kind, as the Kubernetes API server does them
// (k8s.io/apimachinery/pkg/api/validation/objectmeta.go ValidateObjectMeta): the name per the kind's rule,
// the namespace as a DNS-1123 label, label keys/values, annotation keys and total size.

import { isObject, isString, isStringMap, type Out, present, unknownFields } from './checks.js';
import { child } from './json-path.js';
import { labelValueProblem, type NameRule, nameProblem, qualifiedNameProblem } from './names.js';
import { OBJECT_META_FIELDS } from './resource-fields.js';
import type { KindInfo, Problem } from './types.js';

/** How each kind's name is checked; others are DNS-1123 subdomains (Kubernetes' default for most kinds). */
const NAME_RULES: Record<string, NameRule> = {
  // KServe's isvc regex (inference_service_validation.go IsvcNameFmt); its names become DNS labels of hosts.
  InferenceService: 'dns1035Label',
  // KServe's TrainedModel webhook (TmRegexp): the name is the model's name in request paths.
  TrainedModel: 'dns1035Label',
  Namespace: 'dns1123Label',
  ServiceAccount: 'dns1123Subdomain',
  Secret: 'dns1123Subdomain',
  ServingRuntime: 'dns1123Subdomain',
  ClusterServingRuntime: 'dns1123Subdomain',
  Event: 'dns1123Subdomain',
};

/** TotalAnnotationSizeLimitB in objectmeta.go */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024; // 256 KiB

export function nameRuleFor(kind: string): NameRule {
  return NAME_RULES[kind] ?? 'dns1123Subdomain';
}

/** Problems with `meta` (the object's `metadata`) for a resource of `kind`. */
export function validateObjectMeta(meta: unknown, kind: KindInfo, path = 'metadata'): Problem[] {
  const out: Out = [];
  if (!isObject(meta, path, out)) return out;
  unknownFields(meta, OBJECT_META_FIELDS, path, out);

  const name = meta['name'];
  if (!present(name) || name === '') out.push({ path: child(path, 'name'), message: 'required' });
  else if (isString(name, child(path, 'name'), out)) {
    const bad = nameProblem(name, nameRuleFor(kind.kind));
    if (bad) out.push({ path: child(path, 'name'), message: bad });
  }
  // The control API expands generateName into name before admission; here it only has to be a string.
  if (present(meta['generateName'])) isString(meta['generateName'], child(path, 'generateName'), out);

  const ns = meta['namespace'];
  if (kind.namespaced && present(ns) && ns !== '' && isString(ns, child(path, 'namespace'), out)) {
    const bad = nameProblem(ns, 'dns1123Label');
    if (bad) out.push({ path: child(path, 'namespace'), message: bad });
  }

  const labels = meta['labels'];
  if (present(labels) && isStringMap(labels, child(path, 'labels'), out)) {
    for (const [k, v] of Object.entries(labels)) {
      const p = child(child(path, 'labels'), k);
      const keyBad = qualifiedNameProblem(k);
      if (keyBad) out.push({ path: p, message: keyBad });
      const valueBad = labelValueProblem(v);
      if (valueBad) out.push({ path: p, message: valueBad });
    }
  }

  const annotations = meta['annotations'];
  if (present(annotations) && isStringMap(annotations, child(path, 'annotations'), out)) {
    let size = 0;
    for (const [k, v] of Object.entries(annotations)) {
      const keyBad = qualifiedNameProblem(k);
      if (keyBad) out.push({ path: child(child(path, 'annotations'), k), message: keyBad });
      size += Buffer.byteLength(k) + Buffer.byteLength(v);
    }
    if (size > MAX_ANNOTATIONS_BYTES) {
      out.push({
        path: child(path, 'annotations'),
        message: `may not be more than ${MAX_ANNOTATIONS_BYTES} bytes in total, got ${size}`,
      });
    }
  }
  return out;
}
