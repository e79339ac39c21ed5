// Runtime selection for `predictor.model`, as KServe's controller does it:
//  - explicit `runtime:` — pkg/controller/v1beta1/inferenceservice/components/predictor.go (GetServingRuntime:
//    the namespace's ServingRuntime first, then the ClusterServingRuntime; disabled, protocol and format checks);
//  - auto-selection — pkg/apis/serving/v1beta1/predictor_model.go GetSupportingRuntimes: candidates are enabled,
//    single-model runtimes whose autoSelect formats match `mt:<name>` or `mt:<name>:<version>` and that support
//    the protocol (unset = v1); namespace runtimes before cluster runtimes; each group sorted by the runtime's
//    lowest protocol, newest first, then name; then a stable sort by the format's priority (higher first, unset
//    last); the first wins;
//  - the protocol an isvc without `protocolVersion` ends up with is the selected runtime's lowest one
//    (GetProtocolVersionPriority), v1 for most runtimes and v2 for MLServer/Triton.
// One deliberate difference: KServe selects with protocol v1 when none is given, so e.g. `modelFormat: mlflow`
// without `protocolVersion: v2` finds no runtime; inferd then retries without the protocol constraint.

import { InferdError } from '../errors.js';
import { andList } from './json-path.js';
import { didYouMean } from './suggest.js';
import {
  type ModelSpec,
  PROTOCOL_VERSIONS,
  type ProtocolVersion,
  type ServingRuntime,
  type SupportedModelFormat,
} from './types.js';

export interface RuntimeSelection {
  /** The (Cluster)ServingRuntime's name: the value of `spec.predictor.model.runtime`. */
  runtime: string;
  runtimeKind: 'ServingRuntime' | 'ClusterServingRuntime';
  /** The protocol the predictor speaks: the model's, else the runtime's lowest. */
  protocolVersion: ProtocolVersion;
  /** True when no runtime supported the default v1 and one was chosen for another protocol (inferd only). */
  protocolFallback?: boolean;
}

export interface SelectOptions {
  /** The isvc's namespace: ServingRuntimes of other namespaces are ignored. Omitted: all are considered. */
  namespace?: string;
  /** The predictor has a workerSpec (multi-node); only runtimes with a workerSpec match then, as in KServe. */
  multiNode?: boolean;
}

const MODEL = 'spec.predictor.model';

/**
 * Picks the runtime for `model` (KServe's rules above). `protocolVersion` overrides `model.protocolVersion`.
 * Throws INVALID_MANIFEST with `details.reason` NoSupportingRuntime, RuntimeNotRecognized or RuntimeDisabled.
 */
export function selectRuntime(
  model: ModelSpec,
  protocolVersion: ProtocolVersion | undefined,
  runtimes: readonly ServingRuntime[],
  opts: SelectOptions = {},
): RuntimeSelection {
  const proto = protocolVersion ?? model.protocolVersion;
  const inScope = runtimes.filter(
    (r) =>
      r.kind === 'ClusterServingRuntime' ||
      (r.kind === 'ServingRuntime' &&
        (opts.namespace === undefined || (r.metadata.namespace ?? 'default') === opts.namespace)),
  );
  if (model.runtime !== undefined && model.runtime !== '') return explicit(model, proto, inScope);

  const first = candidates(model, proto ?? 'v1', inScope, opts)[0];
  if (first) return result(first, proto);
  if (proto === undefined) {
    const any = candidates(model, undefined, inScope, opts)[0];
    if (any) return { ...result(any, undefined), protocolFallback: true };
  }
  throw noSupportingRuntime(model, proto ?? 'v1', inScope);
}

function explicit(model: ModelSpec, proto: ProtocolVersion | undefined, runtimes: readonly ServingRuntime[]) {
  const name = model.runtime!;
  const rt =
    runtimes.find((r) => r.kind === 'ServingRuntime' && r.metadata.name === name) ??
    runtimes.find((r) => r.kind === 'ClusterServingRuntime' && r.metadata.name === name);
  if (!rt) {
    const names = [...new Set(runtimes.map((r) => r.metadata.name))];
    throw new InferdError(
      'INVALID_MANIFEST',
      `no ServingRuntime or ClusterServingRuntime named ${JSON.stringify(name)}${didYouMean(name, names)}; available: ${names.join(', ') || 'none'}`,
      { path: `${MODEL}.runtime`, reason: 'RuntimeNotRecognized' },
    );
  }
  if (rt.spec?.disabled === true) {
    throw new InferdError('INVALID_MANIFEST', `specified runtime ${name} is disabled`, {
      path: `${MODEL}.runtime`,
      reason: 'RuntimeDisabled',
    });
  }
  if (proto !== undefined && !supportsProtocol(rt, proto)) {
    throw new InferdError(
      'INVALID_MANIFEST',
      `specified runtime ${name} does not support protocol ${proto}; it supports ${andList(rt.spec?.protocolVersions ?? [])}`,
      { path: `${MODEL}.protocolVersion`, reason: 'NoSupportingRuntime' },
    );
  }
  if (!supportsFormat(rt, model, true)) {
    throw new InferdError(
      'INVALID_MANIFEST',
      `specified runtime ${name} does not support model format ${formatText(model)}; it supports ${formatsText(rt.spec?.supportedModelFormats ?? [])}`,
      { path: `${MODEL}.runtime`, reason: 'NoSupportingRuntime' },
    );
  }
  return result(rt, proto);
}

function result(rt: ServingRuntime, proto: ProtocolVersion | undefined): RuntimeSelection {
  return {
    runtime: rt.metadata.name,
    runtimeKind: rt.kind === 'ServingRuntime' ? 'ServingRuntime' : 'ClusterServingRuntime',
    protocolVersion: proto ?? lowestProtocol(rt) ?? 'v1',
  };
}

/** Supporting runtimes in KServe's order; `proto` undefined = any protocol. */
function candidates(
  model: ModelSpec,
  proto: ProtocolVersion | undefined,
  runtimes: readonly ServingRuntime[],
  opts: SelectOptions,
): ServingRuntime[] {
  const ok = (r: ServingRuntime) =>
    r.spec?.disabled !== true &&
    r.spec?.multiModel !== true &&
    (r.spec?.['workerSpec'] !== undefined) === (opts.multiNode === true) &&
    supportsFormat(r, model, false) &&
    (proto === undefined || supportsProtocol(r, proto));
  const ns = sortGroup(
    runtimes.filter((r) => r.kind === 'ServingRuntime' && ok(r)),
    model.modelFormat.name,
  );
  const cluster = sortGroup(
    runtimes.filter((r) => r.kind === 'ClusterServingRuntime' && ok(r)),
    model.modelFormat.name,
  );
  return [...ns, ...cluster];
}

function sortGroup(group: ServingRuntime[], format: string): ServingRuntime[] {
  const byAge = [...group].sort((a, b) => {
    const pa = protocolRank(a);
    const pb = protocolRank(b);
    if (pa !== pb) return pa - pb;
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? 1 : -1; // newer first
    return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  });
  // Array.prototype.sort is stable: equal priorities keep the order above.
  return byAge.sort((a, b) => {
    const p1 = priorityOf(a, format);
    const p2 = priorityOf(b, format);
    if (p1 === undefined && p2 === undefined) return 0;
    if (p1 === undefined) return 1;
    if (p2 === undefined) return -1;
    return p2 - p1;
  });
}

/** KServe's GetPriority: the priority of the first supported format with that name. */
function priorityOf(rt: ServingRuntime, format: string): number | undefined {
  return rt.spec?.supportedModelFormats?.find((f) => f.name === format)?.priority;
}

/** The runtime's lowest protocol in KServe's enum order; no protocols = after all of them (Unknown). */
function protocolRank(rt: ServingRuntime): number {
  const ranks = (rt.spec?.protocolVersions ?? [])
    .map((p) => PROTOCOL_VERSIONS.indexOf(p as ProtocolVersion))
    .filter((i) => i >= 0);
  return ranks.length === 0 ? PROTOCOL_VERSIONS.length : Math.min(...ranks);
}

function lowestProtocol(rt: ServingRuntime): ProtocolVersion | undefined {
  return PROTOCOL_VERSIONS[protocolRank(rt)];
}

/** IsProtocolVersionSupported: a runtime without protocolVersions supports any. */
export function supportsProtocol(rt: ServingRuntime, proto: string): boolean {
  const list = rt.spec?.protocolVersions;
  return !list || list.length === 0 || list.includes(proto);
}

/** RuntimeSupportsModel: format labels `mt:<name>[:<version>]`; only autoSelect formats unless explicit. */
export function supportsFormat(rt: ServingRuntime, model: Pick<ModelSpec, 'modelFormat'>, explicitRuntime: boolean) {
  const want =
    model.modelFormat.version === undefined
      ? `mt:${model.modelFormat.name}`
      : `mt:${model.modelFormat.name}:${model.modelFormat.version}`;
  for (const f of rt.spec?.supportedModelFormats ?? []) {
    if (!explicitRuntime && f.autoSelect !== true) continue;
    if (want === `mt:${f.name}` || (f.version !== undefined && want === `mt:${f.name}:${f.version}`)) return true;
  }
  return false;
}

function noSupportingRuntime(model: ModelSpec, proto: ProtocolVersion, runtimes: readonly ServingRuntime[]) {
  const hints: string[] = [];
  for (const rt of runtimes) {
    if (rt.spec?.disabled === true || !supportsFormat(rt, model, false)) continue;
    hints.push(`${rt.metadata.name} supports it with protocolVersion ${orProtocols(rt)}`);
  }
  const disabled = runtimes
    .filter((rt) => rt.spec?.disabled === true && supportsFormat(rt, model, false))
    .map((rt) => `${rt.metadata.name} (disabled)`);
  const tail = [...hints, ...disabled];
  if (tail.length === 0 && model.modelFormat.version !== undefined) {
    const versions = new Set<string>();
    for (const rt of runtimes) {
      for (const f of rt.spec?.supportedModelFormats ?? []) {
        if (f.name === model.modelFormat.name && f.autoSelect === true && f.version !== undefined)
          versions.add(f.version);
      }
    }
    if (versions.size)
      tail.push(`runtimes support ${JSON.stringify(model.modelFormat.name)} versions ${[...versions].join(', ')}`);
  }
  return new InferdError(
    'INVALID_MANIFEST',
    `no runtime supports model format ${formatText(model)} with protocol ${proto}${tail.length ? `; ${tail.join('; ')}` : ''}`,
    { path: `${MODEL}.modelFormat`, reason: 'NoSupportingRuntime' },
  );
}

function orProtocols(rt: ServingRuntime): string {
  const list = rt.spec?.protocolVersions ?? [];
  return list.length ? list.join(' or ') : 'any';
}

function formatText(model: Pick<ModelSpec, 'modelFormat'>): string {
  const f = model.modelFormat;
  return f.version === undefined
    ? JSON.stringify(f.name)
    : `${JSON.stringify(f.name)} version ${JSON.stringify(f.version)}`;
}

function formatsText(list: readonly SupportedModelFormat[]): string {
  return list.map((f) => (f.version === undefined ? f.name : `${f.name} ${f.version}`)).join(', ') || 'none';
}
