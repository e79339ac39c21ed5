// The resource store interface: Kubernetes semantics (resourceVersion, generation, optimistic concurrency,
// watch) behind one small API. The SQLite backend implements it for local mode; a Kubernetes API backend later.

import type { Resource } from '../api/types.js';

export interface ObjectKey {
  kind: string;
  namespace?: string; // omitted for cluster-scoped kinds
  name: string;
}

export interface ListOptions {
  kind: string;
  namespace?: string; // omitted: all namespaces
  labelSelector?: Record<string, string>;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends Resource = Resource> {
  type: WatchEventType;
  object: T;
}

export interface WatchOptions extends ListOptions {
  /** Deliver only changes after this resourceVersion (omitted: the current objects first, as ADDED). */
  resourceVersion?: string;
}

export interface Watch {
  /** Stops delivering events. */
  close(): void;
}

export interface Store {
  get<T extends Resource = Resource>(key: ObjectKey): T | undefined;
  list<T extends Resource = Resource>(opts: ListOptions): { items: T[]; resourceVersion: string };
  /**
   * Sets uid, resourceVersion, generation=1, creationTimestamp. ALREADY_EXISTS if present.
   * For kinds with status, a client's `status` is dropped (Kubernetes' status-subresource rule: write it with
   * updateStatus). A namespaced object in a namespace that does not exist creates that Namespace first.
   */
  create<T extends Resource>(obj: T): T;
  /**
   * Replaces metadata (labels, annotations) and spec/data; keeps status. If `obj.metadata.resourceVersion`
   * is set and stale → CONFLICT. Bumps generation when spec changed. RESOURCE_NOT_FOUND if absent.
   */
  update<T extends Resource>(obj: T): T;
  /** Replaces only status (the `/status` subresource); never bumps generation. Same concurrency rule. */
  updateStatus<T extends Resource>(obj: T): T;
  /**
   * Removes the object; returns the last state. RESOURCE_NOT_FOUND if absent.
   * Deleting a Namespace deletes every object in it first (one DELETED event each); `default` cannot be
   * deleted (FORBIDDEN).
   */
  delete<T extends Resource = Resource>(key: ObjectKey): T;
  /**
   * Events are delivered synchronously after each commit, in resourceVersion order; each listener gets its
   * own copy of the object. A `resourceVersion` older than the backend remembers (or newer than it has reached)
   * throws EXPIRED with `details.reason === 'Expired'` (Kubernetes' 410 Gone): list again and watch from the
   * list's version.
   */
  watch(opts: WatchOptions, onEvent: (ev: WatchEvent) => void): Watch;
  close(): void;
}
