// Query parameters of list/watch requests, Kubernetes spelling: `watch=true|1`, `resourceVersion`,
// `labelSelector=a=b,c=d` (equality only: the store filters on that), `fieldSelector=metadata.name=x`
// (`=`, `==`, `!=` on any dotted field), `timeoutSeconds`. Pure: URLSearchParams in, options out.

import { InferdError } from '../errors.js';

export interface FieldRequirement {
  path: string[];
  value: string;
  negate: boolean;
}

export interface ListQuery {
  watch: boolean;
  resourceVersion?: string;
  labelSelector?: Record<string, string>;
  fieldSelector: FieldRequirement[];
  timeoutSeconds?: number;
}

const badRequest = (message: string) => new InferdError('INVALID_INPUT', message, { reason: 'BadRequest' });

/** `a=b,c==d` → {a:'b', c:'d'}; set-based and inequality selectors are refused with a clear message. */
export function parseLabelSelector(text: string): Record<string, string> | undefined {
  if (text.trim() === '') return undefined;
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([A-Za-z0-9_./-]+)\s*==?\s*([A-Za-z0-9_.-]*)\s*$/.exec(part);
    if (!m) {
      throw badRequest(
        `unable to parse requirement "${part.trim()}" in labelSelector: only key=value requirements are supported`,
      );
    }
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** `metadata.name=x,involvedObject.kind!=Pod` → requirements on dotted paths. */
export function parseFieldSelector(text: string): FieldRequirement[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const m = /^\s*([A-Za-z0-9_.]+)\s*(!=|==|=)\s*(.*?)\s*$/.exec(part);
    if (!m)
      throw badRequest(`invalid fieldSelector requirement "${part.trim()}": expected field=value or field!=value`);
    return { path: m[1]!.split('.'), value: m[3]!, negate: m[2] === '!=' };
  });
}

/** Fields each kind may be selected on, as the Kubernetes apiserver allows them (others: 400). */
const SELECTABLE_FIELDS: Record<string, readonly string[]> = {
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Secret: ['type'],
  Namespace: ['status.phase'],
};

/** INVALID_INPUT (400) for a field selector on a field `kind` cannot be selected on, as Kubernetes answers. */
export function checkSelectableFields(kind: string, reqs: readonly FieldRequirement[]): void {
  for (const r of reqs) {
    const field = r.path.join('.');
    if (field === 'metadata.name' || field === 'metadata.namespace') continue;
    if (SELECTABLE_FIELDS[kind]?.includes(field)) continue;
    throw badRequest(`field label not supported: ${field}`);
  }
}

/** True when `obj` meets every field requirement (a missing field reads as ''). */
export function matchesFields(obj: unknown, reqs: readonly FieldRequirement[]): boolean {
  return reqs.every((r) => {
    let cur: unknown = obj;
    for (const p of r.path)
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
    const actual = cur === undefined || cur === null ? '' : String(cur);
    return (actual === r.value) !== r.negate;
  });
}

/** Reads the list/watch parameters; INVALID_INPUT (400) for malformed ones. */
export function parseListQuery(params: URLSearchParams): ListQuery {
  const watchParam = params.get('watch');
  const timeout = params.get('timeoutSeconds');
  let timeoutSeconds: number | undefined;
  if (timeout !== null && timeout !== '') {
    timeoutSeconds = Number(timeout);
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0) {
      throw badRequest(`timeoutSeconds must be a non-negative integer, got "${timeout}"`);
    }
  }
  const rv = params.get('resourceVersion');
  return {
    watch: watchParam === 'true' || watchParam === '1',
    resourceVersion: rv === null || rv === '' ? undefined : rv,
    labelSelector: parseLabelSelector(params.get('labelSelector') ?? ''),
    fieldSelector: parseFieldSelector(params.get('fieldSelector') ?? ''),
    timeoutSeconds,
  };
}
