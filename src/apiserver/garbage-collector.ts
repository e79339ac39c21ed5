// Kubernetes' garbage collector for the API server's stored objects, in process: when an owner is gone its
// dependents (objects whose metadata.ownerReferences name the owner's uid) are deleted (background
// propagation); an owner deleted with propagationPolicy Foreground keeps the `foregroundDeletion` finalizer
// until its dependents are gone; Orphan drops the dependents' references first. Runs only where the API server
// serves the storage-only kinds (api/kube-kinds.ts): the default `inferd serve` has no owner references.

import type { KindInfo, OwnerReference, Resource } from '../api/types.js';
import { InferdError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Store, Watch } from '../store/store.js';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

const ownersOf = (o: Resource): OwnerReference[] =>
  Array.isArray(o.metadata.ownerReferences) ? o.metadata.ownerReferences : [];

export class GarbageCollector {
  readonly #store: Store;
  readonly #kinds: readonly KindInfo[];
  readonly #log: Logger;
  readonly #watches: Watch[] = [];
  /** Owners waiting for their dependents (Foreground), by uid. */
  readonly #foreground = new Map<string, Resource>();
  #closed = false;

  constructor(opts: { store: Store; kinds: readonly KindInfo[]; log: Logger }) {
    this.#store = opts.store;
    this.#kinds = opts.kinds.filter((k) => k.namespaced);
    this.#log = opts.log.child({ component: 'garbage-collector' });
  }

  start(): void {
    for (const k of this.#kinds) {
      const rv = this.#store.list({ kind: k.kind }).resourceVersion;
      this.#watches.push(
        this.#store.watch({ kind: k.kind, resourceVersion: rv }, (ev) => {
          const obj = ev.object;
          if (ev.type === 'DELETED') this.#later(() => this.#ownerGone(obj));
          else if (obj.metadata.deletionTimestamp && obj.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) {
            this.#later(() => this.#startForeground(obj));
          }
        }),
      );
    }
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#watches) w.close();
  }

  /**
   * Deletes `key` with `policy` as the API server's DELETE does, returning the answer: Foreground marks the
   * object (finalizer + deletionTimestamp) and leaves the rest to the collector; Orphan detaches dependents first.
   */
  delete(key: { kind: string; namespace?: string; name: string }, policy: PropagationPolicy): Resource {
    const obj = this.#store.get(key);
    if (obj && policy === 'Foreground' && !obj.metadata.deletionTimestamp) {
      const finalizers = [...(obj.metadata.finalizers ?? [])];
      if (!finalizers.includes(FOREGROUND_FINALIZER)) finalizers.push(FOREGROUND_FINALIZER);
      this.#store.update({ ...obj, metadata: { ...obj.metadata, finalizers } });
    }
    if (obj && policy === 'Orphan' && obj.metadata.uid) {
      for (const d of this.#dependentsOf(obj.metadata.uid, obj.metadata.namespace)) {
        const refs = ownersOf(d).filter((r) => r.uid !== obj.metadata.uid);
        this.#store.update({ ...d, metadata: { ...d.metadata, ownerReferences: refs } });
      }
    }
    return this.#store.delete(key);
  }

  #later(fn: () => void): void {
    // Store events arrive inside the writer's call: act after it returns.
    setImmediate(() => {
      if (this.#closed) return;
      try {
        fn();
      } catch (err) {
        this.#log.warn('garbage collection step failed', { error: messageOf(err) });
      }
    });
  }

  #dependentsOf(uid: string, namespace: string | undefined): Resource[] {
    if (!namespace) return [];
    const out: Resource[] = [];
    for (const k of this.#kinds) {
      for (const o of this.#store.list({ kind: k.kind, namespace }).items) {
        if (ownersOf(o).some((r) => r.uid === uid)) out.push(o);
      }
    }
    return out;
  }

  #deleteQuietly(o: Resource): void {
    try {
      this.#store.delete({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
    } catch (err) {
      if (!(err instanceof InferdError && err.code === 'RESOURCE_NOT_FOUND')) throw err;
    }
  }

  /** An object is gone: delete what it owned; an owner waiting in Foreground may now be released. */
  #ownerGone(obj: Resource): void {
    const uid = obj.metadata.uid;
    if (uid) {
      this.#foreground.delete(uid);
      for (const d of this.#dependentsOf(uid, obj.metadata.namespace)) this.#deleteQuietly(d);
    }
    for (const ref of ownersOf(obj)) {
      const owner = ref.uid ? this.#foreground.get(ref.uid) : undefined;
      if (owner) this.#releaseIfDone(owner);
    }
  }

  #startForeground(owner: Resource): void {
    const uid = owner.metadata.uid;
    if (!uid) return;
    this.#foreground.set(uid, owner);
    const dependents = this.#dependentsOf(uid, owner.metadata.namespace);
    for (const d of dependents) this.#deleteQuietly(d);
    this.#releaseIfDone(owner);
  }

  /** Removes the foregroundDeletion finalizer once no dependent is left (the store then removes the owner). */
  #releaseIfDone(owner: Resource): void {
    const uid = owner.metadata.uid as string;
    if (this.#dependentsOf(uid, owner.metadata.namespace).length > 0) return;
    const cur = this.#store.get({ kind: owner.kind, namespace: owner.metadata.namespace, name: owner.metadata.name });
    this.#foreground.delete(uid);
    if (!cur || cur.metadata.uid !== uid) return;
    const finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== FOREGROUND_FINALIZER);
    this.#store.update({ ...cur, metadata: { ...cur.metadata, finalizers } });
  }
}
