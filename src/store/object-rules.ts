// The store's write rules as pure functions: what a create stores, what an update changes, and when an
// update is a no-op. The SQLite shell only adds I/O (resourceVersion, uid, clock) around these decisions.
// Kubernetes semantics throughout: server-managed metadata is never taken from the client, `status` only
// changes through the status subresource, `generation` counts spec changes.

import type { KindInfo, ObjectMeta, Resource } from '../api/types.js';
import { jsonEqual } from './deep-equal.js';
import { applyKindDefaults, initialStatus } from './kind-defaults.js';
import { generateName, labelProblem, subdomainProblem } from './names.js';
import { conflict, invalid, uidMismatch } from './resource-errors.js';

/** Metadata the server owns: a client's values are ignored (uid is checked as a precondition). */
const SERVER_META = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp'] as const;
const META_ORDER = ['name', 'generateName', 'namespace', ...SERVER_META, 'labels', 'annotations'] as const;

/** A detached JSON copy: drops `undefined`, functions and prototypes, so stored state is plain data. */
export function jsonClone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Kubernetes key order: apiVersion, kind, metadata (name, namespace, uid, ...), the body, status last. */
export function orderResource(obj: Resource): Resource {
  const { apiVersion, kind, metadata: m, status, ...rest } = obj;
  const metadata = m as unknown as Record<string, unknown>;
  const meta: Record<string, unknown> = {};
  for (const k of META_ORDER) if (metadata[k] !== undefined) meta[k] = metadata[k];
  for (const [k, v] of Object.entries(metadata)) if (!(k in meta) && v !== undefined) meta[k] = v;
  const out: Resource = { apiVersion, kind, metadata: meta as unknown as ObjectMeta, ...rest };
  if (status !== undefined) out.status = status;
  return out;
}

/**
 * Checks and completes an incoming object's identity: apiVersion/kind against the kind table, namespace
 * against the kind's scope, name rules (generateName expanded). Returns a detached copy.
 */
export function normalizeIncoming(input: Resource, info: KindInfo): Resource {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid('', 'expected an object');
  }
  const obj = jsonClone(input);
  if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = info.apiVersion;
  if (obj.apiVersion !== info.apiVersion) {
    throw invalid('apiVersion', `Invalid value: "${obj.apiVersion}": ${info.kind} is served as ${info.apiVersion}`);
  }
  obj.kind = info.kind;
  if (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
    throw invalid('metadata', 'Required value');
  }
  const meta = obj.metadata;
  if (meta.namespace === '' || meta.namespace === null) delete meta.namespace;
  if (info.namespaced && meta.namespace === undefined) {
    throw invalid('metadata.namespace', `Required value: ${info.kind} is namespaced`);
  }
  if (!info.namespaced && meta.namespace !== undefined) {
    throw invalid('metadata.namespace', `Forbidden: ${info.kind} is cluster-scoped; remove metadata.namespace`);
  }
  if (meta.namespace !== undefined) {
    const problem = typeof meta.namespace === 'string' ? labelProblem(meta.namespace) : 'must be a string';
    if (problem) throw invalid('metadata.namespace', problem);
  }
  const generate = (meta as { generateName?: unknown }).generateName;
  if ((meta.name === undefined || meta.name === '') && typeof generate === 'string' && generate !== '') {
    meta.name = generateName(generate);
  }
  if (meta.name === undefined || meta.name === '') {
    throw invalid('metadata.name', 'Required value: name or generateName is required');
  }
  const problem =
    typeof meta.name !== 'string'
      ? 'must be a string'
      : info.kind === 'Namespace'
        ? labelProblem(meta.name)
        : subdomainProblem(meta.name);
  if (problem) throw invalid('metadata.name', problem);
  for (const field of ['labels', 'annotations'] as const) {
    const map = meta[field];
    if (map === undefined) continue;
    if (map === null || typeof map !== 'object' || Array.isArray(map))
      throw invalid(`metadata.${field}`, 'must be a map');
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== 'string') throw invalid(`metadata.${field}.${k}`, 'must be a string');
    }
  }
  applyKindDefaults(obj);
  return obj;
}

export interface CreateStamp {
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
}

/** The object a create stores: server metadata stamped, status reset (Kubernetes' status subresource rule). */
export function prepareCreate(input: Resource, info: KindInfo, stamp: CreateStamp): Resource {
  return stampCreate(normalizeIncoming(input, info), info, stamp);
}

/** prepareCreate for an object normalizeIncoming already returned (modified in place). */
export function stampCreate(obj: Resource, info: KindInfo, stamp: CreateStamp): Resource {
  for (const k of SERVER_META) delete obj.metadata[k];
  obj.metadata.uid = stamp.uid;
  obj.metadata.resourceVersion = stamp.resourceVersion;
  if (info.hasStatus) obj.metadata.generation = 1;
  obj.metadata.creationTimestamp = stamp.creationTimestamp;
  if (info.hasStatus) {
    delete obj.status;
    const status = initialStatus(info.kind);
    if (status !== undefined) obj.status = status;
  }
  return orderResource(obj);
}

/** Throws CONFLICT when the client's resourceVersion or uid precondition does not match the stored object. */
export function checkPreconditions(stored: Resource, incoming: Resource, info: KindInfo): void {
  const rv = incoming.metadata?.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== stored.metadata.resourceVersion) {
    throw conflict(info, stored.metadata.name);
  }
  const uid = incoming.metadata?.uid;
  if (uid !== undefined && uid !== '' && uid !== stored.metadata.uid) {
    throw uidMismatch(info, stored.metadata.name, uid, stored.metadata.uid ?? '');
  }
}

export interface UpdatePlan {
  /** False for a no-op: nothing would change, so no new resourceVersion and no event. */
  changed: boolean;
  /** The object to store, still carrying the old resourceVersion (the shell stamps a new one). */
  next: Resource;
}

function sameIgnoringVersion(a: Resource, b: Resource): boolean {
  return jsonEqual(
    { ...a, metadata: { ...a.metadata, resourceVersion: undefined } },
    { ...b, metadata: { ...b.metadata, resourceVersion: undefined } },
  );
}

/**
 * A replace (PUT): metadata and body from the client, server metadata and status from the stored object;
 * generation bumps only when `spec` changed. The caller checks preconditions and that the key matches.
 */
export function planUpdate(stored: Resource, input: Resource, info: KindInfo): UpdatePlan {
  const obj = normalizeIncoming(input, info);
  for (const k of SERVER_META) delete obj.metadata[k];
  obj.metadata.uid = stored.metadata.uid;
  obj.metadata.resourceVersion = stored.metadata.resourceVersion;
  obj.metadata.creationTimestamp = stored.metadata.creationTimestamp;
  if (info.hasStatus) {
    const generation = stored.metadata.generation ?? 1;
    obj.metadata.generation = jsonEqual(obj.spec, stored.spec) ? generation : generation + 1;
    delete obj.status;
    if (stored.status !== undefined) obj.status = stored.status;
  }
  const next = orderResource(obj);
  return { changed: !sameIgnoringVersion(next, stored), next };
}

/** A status write (`/status`): only `status` comes from the client; everything else stays as stored. */
export function planStatusUpdate(stored: Resource, input: Resource): UpdatePlan {
  const next = jsonClone(stored);
  const status = input.status === undefined ? undefined : jsonClone(input.status);
  delete next.status;
  if (status !== undefined) next.status = status;
  return { changed: !jsonEqual(next.status, stored.status), next: orderResource(next) };
}
