// ServingRuntime / ClusterServingRuntime checks: the CRD's required fields (servingruntime_types.go:
// supportedModelFormats, containers; priority minimum 1; protocolVersions enum) and KServe's validating webhook
// (pkg/webhook/admission/servingruntime/servingruntime_webhook.go: one priority per format within a runtime, and
// no two enabled runtimes of the same scope with the same format, version, protocol and priority).

import { isArray, isBoolean, isInt, isObject, isOneOf, isString, type Out, present, unknownFields } from './checks.js';
import { validateContainer } from './component.validation.js';
import { child } from './json-path.js';
import { validateObjectMeta } from './object-meta.validation.js';
import { SUPPORTED_MODEL_FORMAT_FIELDS, TOP_LEVEL_FIELDS } from './resource-fields.js';
import {
  type KindInfo,
  kindByName,
  PROTOCOL_VERSIONS,
  type Problem,
  type ServingRuntime,
  type SupportedModelFormat,
} from './types.js';

export interface ServingRuntimeValidationContext {
  /** Runtimes already stored (any kind/namespace); used for KServe's cross-runtime priority rule. */
  runtimes?: readonly ServingRuntime[];
}

export function validateServingRuntime(rt: ServingRuntime, ctx: ServingRuntimeValidationContext = {}): Problem[] {
  const out: Out = [];
  const obj = rt as unknown as Record<string, unknown>;
  const kind: KindInfo = kindByName(rt.kind === 'ClusterServingRuntime' ? 'ClusterServingRuntime' : 'ServingRuntime')!;
  unknownFields(obj, TOP_LEVEL_FIELDS, '', out);
  out.push(...validateObjectMeta(obj['metadata'], kind));
  const spec = obj['spec'];
  if (!present(spec)) {
    out.push({ path: 'spec', message: 'required (with supportedModelFormats and containers)' });
    return out;
  }
  if (!isObject(spec, 'spec', out)) return out;

  const formats = spec['supportedModelFormats'];
  if (!present(formats))
    out.push({ path: 'spec.supportedModelFormats', message: 'required: at least one model format' });
  else if (isArray(formats, 'spec.supportedModelFormats', out)) {
    if (formats.length === 0) {
      out.push({ path: 'spec.supportedModelFormats', message: 'must list at least one model format' });
    }
    formats.forEach((f, i) => {
      validateFormat(f, child('spec.supportedModelFormats', i), out);
    });
  }
  const protocols = spec['protocolVersions'];
  if (present(protocols) && isArray(protocols, 'spec.protocolVersions', out)) {
    protocols.forEach((p, i) => {
      isOneOf(p, PROTOCOL_VERSIONS, child('spec.protocolVersions', i), out);
    });
  }
  const containers = spec['containers'];
  if (!present(containers)) out.push({ path: 'spec.containers', message: 'required: at least one container' });
  else if (isArray(containers, 'spec.containers', out)) {
    if (containers.length === 0) out.push({ path: 'spec.containers', message: 'must have at least one container' });
    containers.forEach((c, i) => {
      validateContainer(c, child('spec.containers', i), out, { requireRunnable: true });
    });
  }
  for (const f of ['multiModel', 'disabled']) if (present(spec[f])) isBoolean(spec[f], child('spec', f), out);

  if (out.length === 0 && spec['disabled'] !== true) {
    const checked = rt as CheckedRuntime;
    samePriorityWithin(checked, out);
    if (ctx.runtimes) samePriorityAcross(checked, ctx.runtimes, out);
  }
  return out;
}

function validateFormat(f: unknown, path: string, out: Out): void {
  if (!isObject(f, path, out)) return;
  unknownFields(f, SUPPORTED_MODEL_FORMAT_FIELDS, path, out);
  if (!present(f['name']) || f['name'] === '') out.push({ path: child(path, 'name'), message: 'required' });
  else isString(f['name'], child(path, 'name'), out);
  if (present(f['version'])) isString(f['version'], child(path, 'version'), out);
  if (present(f['autoSelect'])) isBoolean(f['autoSelect'], child(path, 'autoSelect'), out);
  if (present(f['priority'])) isInt(f['priority'], child(path, 'priority'), out, { min: 1, note: '(higher wins)' });
}

type CheckedRuntime = ServingRuntime & { spec: NonNullable<ServingRuntime['spec']> };

function kindWord(rt: ServingRuntime): string {
  return rt.kind === 'ClusterServingRuntime' ? 'clusterservingruntime' : 'servingruntime';
}

/** validateModelFormatPrioritySame: autoSelect entries of one format share one priority. */
function samePriorityWithin(rt: CheckedRuntime, out: Out): void {
  const seen = new Map<string, number | undefined>();
  rt.spec.supportedModelFormats.forEach((f, i) => {
    if (f.autoSelect !== true) return;
    if (!seen.has(f.name)) {
      seen.set(f.name, f.priority);
      return;
    }
    const first = seen.get(f.name);
    if (first !== undefined && f.priority !== undefined && first !== f.priority) {
      out.push({
        path: child(child('spec.supportedModelFormats', i), 'priority'),
        message: `different priorities assigned for the model format ${f.name} under the ${kindWord(rt)} ${rt.metadata.name}`,
      });
    }
  });
}

/** validateServingRuntimePriority against the other enabled runtimes of the same scope. */
function samePriorityAcross(rt: CheckedRuntime, all: readonly ServingRuntime[], out: Out): void {
  const ns = rt.metadata.namespace ?? 'default';
  const others = all.filter(
    (o) =>
      o.kind === rt.kind &&
      o.metadata.name !== rt.metadata.name &&
      (rt.kind === 'ClusterServingRuntime' || (o.metadata.namespace ?? 'default') === ns) &&
      o.spec?.disabled !== true &&
      (o.spec?.multiModel === true) === (rt.spec.multiModel === true),
  );
  for (const o of others) {
    if (!o.spec) continue;
    const shared = (o.spec.protocolVersions ?? []).some((p) => (rt.spec.protocolVersions ?? []).includes(p));
    if (!shared) continue;
    for (const [i, f] of rt.spec.supportedModelFormats.entries()) {
      const clash = o.spec.supportedModelFormats.find((g) => samePriority(f, g));
      if (!clash) continue;
      const where = rt.kind === 'ClusterServingRuntime' ? '' : ` in namespace ${ns}`;
      out.push({
        path: child(child('spec.supportedModelFormats', i), 'priority'),
        message: `same priority assigned for the model format ${f.name} in the ${kindWord(rt)}s ${o.metadata.name} and ${rt.metadata.name}${where}`,
      });
      return;
    }
  }
}

function samePriority(a: SupportedModelFormat, b: SupportedModelFormat): boolean {
  return (
    a.autoSelect === true &&
    b.autoSelect === true &&
    a.name.toLowerCase() === b.name.toLowerCase() &&
    a.version === b.version &&
    a.priority !== undefined &&
    a.priority === b.priority
  );
}
