// How the CLI names resources: `isvc` → InferenceService, its control-API path, and kubectl's display
// forms (`inferenceservice.serving.kserve.io/x` for apply, `inferenceservices.serving.kserve.io "x"`
// in errors, `secret/x` for the core group). The kinds themselves come from src/api/types.ts.

import { type KindInfo, kindByAlias } from '../api/types.js';
import { InferdError } from '../errors.js';

/** The API group ('' for the core group, whose apiVersion is just `v1`). */
export function groupOf(kind: KindInfo): string {
  const slash = kind.apiVersion.indexOf('/');
  return slash < 0 ? '' : kind.apiVersion.slice(0, slash);
}

const withGroup = (name: string, kind: KindInfo): string => (groupOf(kind) ? `${name}.${groupOf(kind)}` : name);

/** `inferenceservice.serving.kserve.io` / `secret`: what apply, delete, wait and `-o name` print. */
export function singularName(kind: KindInfo): string {
  return withGroup(kind.singular, kind);
}

/** `inferenceservices.serving.kserve.io` / `secrets`: what NotFound errors print. */
export function pluralName(kind: KindInfo): string {
  return withGroup(kind.plural, kind);
}

/** `inferenceservice.serving.kserve.io/sklearn-iris`. */
export function objectName(kind: KindInfo, name: string): string {
  return `${singularName(kind)}/${name}`;
}

/** kubectl's NotFound message: `inferenceservices.serving.kserve.io "x" not found`. */
export function notFoundMessage(kind: KindInfo, name: string): string {
  return `${pluralName(kind)} "${name}" not found`;
}

/** Resolves `isvc`, `inferenceservices`, `InferenceService`, `secret`, … or throws kubectl's message. */
export function resolveKind(alias: string): KindInfo {
  const kind = kindByAlias(alias) ?? kindByAlias(alias.split('.')[0]!); // split yields at least one part
  if (!kind) throw new InferdError('INVALID_INPUT', `the server doesn't have a resource type "${alias}"`);
  return kind;
}

export interface PathParts {
  /** Omit for cluster-scoped kinds and for all-namespaces lists. */
  namespace?: string;
  name?: string;
  /** `status`, `log`. */
  subresource?: string;
}

/** `/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices/name[/sub]`, or `/api/v1/...` for core. */
export function resourcePath(kind: KindInfo, parts: PathParts = {}): string {
  let path = groupOf(kind) ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  if (kind.namespaced && parts.namespace !== undefined) path += `/namespaces/${encodeURIComponent(parts.namespace)}`;
  path += `/${kind.plural}`;
  if (parts.name !== undefined) path += `/${encodeURIComponent(parts.name)}`;
  if (parts.subresource) path += `/${parts.subresource}`;
  return path;
}

export interface Target {
  kind: KindInfo;
  /** Empty: every object of the kind. */
  names: string[];
}

/**
 * Reads kubectl's resource arguments: `TYPE [NAME...]`, `TYPE1,TYPE2`, or `TYPE/NAME [TYPE/NAME...]`.
 * Targets of the same kind are merged, in first-seen order.
 */
export function parseTargets(positionals: readonly string[]): Target[] {
  const [types, ...names] = positionals;
  if (types === undefined) return [];
  const targets: Target[] = [];
  const add = (kind: KindInfo, name?: string): void => {
    let t = targets.find((x) => x.kind === kind);
    if (!t) {
      t = { kind, names: [] };
      targets.push(t);
    }
    if (name !== undefined && !t.names.includes(name)) t.names.push(name);
  };
  if (positionals.every((p) => p.includes('/'))) {
    for (const p of positionals) {
      const [type, name] = [p.slice(0, p.indexOf('/')), p.slice(p.indexOf('/') + 1)];
      if (!type || !name)
        throw new InferdError('INVALID_INPUT', `arguments in resource/name form must have a single resource and name`);
      add(resolveKind(type), name);
    }
    return targets;
  }
  if (positionals.some((p) => p.includes('/'))) {
    throw new InferdError(
      'INVALID_INPUT',
      "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'inferd get resource/<resource_name>' instead of 'inferd get resource resource/<resource_name>')",
    );
  }
  const kinds = types.split(',').filter(Boolean).map(resolveKind);
  if (kinds.length > 1 && names.length > 0) {
    throw new InferdError('INVALID_INPUT', 'names cannot be given with more than one resource type; use TYPE/NAME');
  }
  for (const k of kinds) {
    add(k);
    for (const n of names) add(k, n);
  }
  return targets;
}
