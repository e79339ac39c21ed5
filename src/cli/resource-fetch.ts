// Reading resources through the control API, the way every command needs them: one by name, or a list
// (one namespace or all) with selectors applied, items carrying apiVersion/kind and sorted like kubectl.

import type { KindInfo } from '../api/types.js';
import type { ApiClient } from './api-client.js';
import { resourcePath } from './resource-ref.js';
import { fieldMatcher, labelMatcher } from './selectors.js';

/** A resource as the CLI handles it: a plain JSON object. */
export type Obj = Record<string, unknown> & {
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
};

export interface ListResult {
  items: Obj[];
  resourceVersion?: string;
}

export interface ListQuery {
  /** undefined: all namespaces (or a cluster-scoped kind). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** Lists carry typed items without apiVersion/kind, as Kubernetes lists do; printers need them. */
export function withTypeMeta(kind: KindInfo, obj: Obj): Obj {
  return { apiVersion: obj.apiVersion ?? kind.apiVersion, kind: obj.kind ?? kind.kind, ...obj };
}

/** Where a list of `kind` goes: the namespace, or undefined for `-A` and cluster-scoped kinds. */
export function listNamespace(kind: KindInfo, namespace: string, allNamespaces: boolean): string | undefined {
  return kind.namespaced && !allNamespaces ? namespace : undefined;
}

const byNamespaceAndName = (a: Obj, b: Obj): number =>
  (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '') ||
  (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

export async function getObject(client: ApiClient, kind: KindInfo, namespace: string, name: string): Promise<Obj> {
  return withTypeMeta(kind, await client.get<Obj>(resourcePath(kind, { namespace, name })));
}

export async function listObjects(client: ApiClient, kind: KindInfo, q: ListQuery): Promise<ListResult> {
  const body = await client.get<{ items?: Obj[]; metadata?: { resourceVersion?: string } }>(
    resourcePath(kind, { namespace: q.namespace }),
    { labelSelector: q.labelSelector || undefined, fieldSelector: q.fieldSelector || undefined },
  );
  const matchLabels = labelMatcher(q.labelSelector);
  const matchFields = fieldMatcher(q.fieldSelector);
  const items = (body?.items ?? [])
    .map((o) => withTypeMeta(kind, o))
    .filter((o) => matchLabels(o.metadata?.labels) && matchFields(o))
    .sort(byNamespaceAndName);
  return { items, resourceVersion: body?.metadata?.resourceVersion };
}
