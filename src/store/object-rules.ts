// The store's write rules as pure functions: what a create stores, what an update changes, and when an
// update is a no-op. The SQLite shell only adds I/O (resourceVersion, uid, clock) around these decisions.
// Kubernetes semantics throughout: server-managed metadata is never taken from the client, `status` only
// changes through the status subresource, `generation` counts spec changes, finalizers defer a delete.

import { qualifiedNameProblem } from '../api/names.js';
import type { KindInfo, ObjectMeta, Resource } from '../api/types.js';
import { InferdError } from '../errors.js';
import { jsonEqual } from './deep-equal.js';
import { applyKindDefaults, initialStatus } from './kind-defaults.js';
import { generateName, labelProblem, subdomainProblem } from './names.js';
import { conflict, invalid, uidMismatch } from './resource-errors.js';

/** Metadata the server owns: a client's values are ignored (uid is checked as a precondition). */
const SERVER_META = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;
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
  checkFinalizers(meta);
  applyKindDefaults(obj);
  return obj;
}

/** `metadata.finalizers`: a list of qualified names; an empty list is dropped (Kubernetes' omitempty). */
function checkFinalizers(meta: ObjectMeta): void {
  const list = meta.finalizers as unknown;
  if (list === undefined) return;
  if (list === null || (Array.isArray(list) && list.length === 0)) {
    delete meta.finalizers;
    return;
  }
  if (!Array.isArray(list)) throw invalid('metadata.finalizers', 'must be a list of strings');
  list.forEach((f, i) => {
    const problem = typeof f === 'string' ? qualifiedNameProblem(f) : 'must be a string';
    if (problem) throw invalid(`metadata.finalizers[${i}]`, `Invalid value: ${JSON.stringify(f)}: ${problem}`);
  });
}

/** The object's finalizers ([] when none). */
export function finalizersOf(obj: Resource): string[] {
  return Array.isArray(obj.metadata.finalizers) ? obj.metadata.finalizers : [];
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
  /**
   * True when the update removed the last finalizer of an object being deleted: the shell stores `next`
   * (MODIFIED) and then removes it (DELETED), as the Kubernetes apiserver does.
   */
  remove?: boolean;
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
  const deleting = stored.metadata.deletionTimestamp !== undefined;
  if (deleting) {
    // An update never sets, changes or clears a deletion (apimachinery's BeforeUpdate).
    obj.metadata.deletionTimestamp = stored.metadata.deletionTimestamp;
    const grace = stored.metadata.deletionGracePeriodSeconds;
    if (grace !== undefined) obj.metadata.deletionGracePeriodSeconds = grace;
    const added = finalizersOf(obj).filter((f) => !finalizersOf(stored).includes(f));
    if (added.length > 0) throw noNewFinalizers(added);
  }
  if (info.hasStatus) {
    const generation = stored.metadata.generation ?? 1;
    obj.metadata.generation = jsonEqual(obj.spec, stored.spec) ? generation : generation + 1;
    delete obj.status;
    if (stored.status !== undefined) obj.status = stored.status;
  }
  const next = orderResource(obj);
  return {
    changed: !sameIgnoringVersion(next, stored),
    next,
    remove: deleting && finalizersOf(next).length === 0,
  };
}

/** Kubernetes' ValidateNoNewFinalizers message, as a 422 with a FieldValueForbidden cause. */
function noNewFinalizers(added: string[]): InferdError {
  const message =
    'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ' +
    `[]string{${[...new Set(added)]
      .sort()
      .map((f) => JSON.stringify(f))
      .join(', ')}}`;
  return new InferdError('INVALID_MANIFEST', `metadata.finalizers: ${message}`, {
    path: 'metadata.finalizers',
    causes: [{ reason: 'FieldValueForbidden', message, field: 'metadata.finalizers' }],
  });
}

export type DeletePlan =
  /** No finalizers: remove the object now. */
  | { action: 'remove' }
  /** Finalizers pending: store `next` (deletionTimestamp set), keep the object until they are removed. */
  | { action: 'mark'; next: Resource }
  /** Already being deleted: nothing changes, the stored object is the answer (no event). */
  | { action: 'keep' };

/**
 * A DELETE, as the apiserver answers it for kinds without graceful deletion: an object with finalizers gets
 * `deletionTimestamp` and `deletionGracePeriodSeconds: 0` (and a generation bump, markAsDeleting) and stays;
 * the client that owns a finalizer finishes its cleanup and removes it with an update.
 */
export function planDelete(stored: Resource, now: string): DeletePlan {
  if (finalizersOf(stored).length === 0) return { action: 'remove' };
  if (stored.metadata.deletionTimestamp !== undefined) return { action: 'keep' };
  const next = jsonClone(stored);
  next.metadata.deletionTimestamp = now;
  next.metadata.deletionGracePeriodSeconds = 0;
  if ((next.metadata.generation ?? 0) > 0) next.metadata.generation = (next.metadata.generation ?? 0) + 1;
  return { action: 'mark', next: orderResource(next) };
}

/** A status write (`/status`): only `status` comes from the client; everything else stays as stored. */
export function planStatusUpdate(stored: Resource, input: Resource): UpdatePlan {
  const next = jsonClone(stored);
  const status = input.status === undefined ? undefined : jsonClone(input.status);
  delete next.status;
  if (status !== undefined) next.status = status;
  return { changed: !jsonEqual(next.status, stored.status), next: orderResource(next) };
}
