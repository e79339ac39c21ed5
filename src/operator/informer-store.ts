// A read-only Store over the cluster's objects (informers), so the auth pieces that watch a Store in
// `inferd serve` — RoleBindings for OIDC roles, InferenceService auth annotations — work unchanged in the
// cluster gateway. Writes are refused: the gateway never writes through it.

import type { Resource } from '../api/types.js';
import { InferdError } from '../errors.js';
import type { Logger } from '../log.js';
import { matchesLabels } from '../store/label-selector.js';
import type { ListOptions, ObjectKey, Store, Watch, WatchEvent, WatchOptions } from '../store/store.js';
import { Informer } from './informer.js';
import type { KubeClient } from './kube-client.js';

type Listener = { opts: WatchOptions; onEvent: (ev: WatchEvent) => void };

export class InformerStore implements Store {
  readonly #client: KubeClient;
  readonly #log: Logger;
  readonly #namespace?: string;
  readonly #kinds = new Map<string, { informer: Informer; listeners: Set<Listener> }>();

  constructor(opts: { client: KubeClient; log: Logger; namespace?: string }) {
    this.#client = opts.client;
    this.#log = opts.log;
    this.#namespace = opts.namespace;
  }

  /** Lists and starts watching `kinds`; resolves once each has its first list. */
  async start(kinds: readonly string[]): Promise<void> {
    await Promise.all(kinds.map((k) => this.#kind(k).informer.synced));
  }

  #kind(kind: string) {
    let entry = this.#kinds.get(kind);
    if (!entry) {
      const listeners = new Set<Listener>();
      const informer = new Informer({
        client: this.#client,
        kind,
        namespace: this.#namespace,
        log: this.#log,
        onChange: (type, object) => {
          for (const l of listeners) if (matches(l.opts, object)) l.onEvent({ type, object: structuredClone(object) });
        },
      });
      entry = { informer, listeners };
      this.#kinds.set(kind, entry);
      informer.start();
    }
    return entry;
  }

  get<T extends Resource = Resource>(key: ObjectKey): T | undefined {
    return this.#kind(key.kind).informer.get(key.namespace, key.name) as T | undefined;
  }

  list<T extends Resource = Resource>(opts: ListOptions): { items: T[]; resourceVersion: string } {
    const items = this.#kind(opts.kind)
      .informer.items()
      .filter((o) => matches(opts, o)) as T[];
    return { items, resourceVersion: '' };
  }

  watch(opts: WatchOptions, onEvent: (ev: WatchEvent) => void): Watch {
    const entry = this.#kind(opts.kind);
    for (const object of entry.informer.items())
      if (matches(opts, object)) onEvent({ type: 'ADDED', object: structuredClone(object) });
    const l: Listener = { opts, onEvent };
    entry.listeners.add(l);
    return { close: () => entry.listeners.delete(l) };
  }

  create<T extends Resource>(_obj: T): T {
    throw readOnly();
  }
  update<T extends Resource>(_obj: T): T {
    throw readOnly();
  }
  updateStatus<T extends Resource>(_obj: T): T {
    throw readOnly();
  }
  delete<T extends Resource = Resource>(_key: ObjectKey): T {
    throw readOnly();
  }

  close(): void {
    for (const { informer, listeners } of this.#kinds.values()) {
      informer.stop();
      listeners.clear();
    }
  }
}

function matches(opts: ListOptions, o: Resource): boolean {
  if (opts.namespace !== undefined && o.metadata.namespace !== opts.namespace) return false;
  return matchesLabels(o.metadata.labels, opts.labelSelector);
}

const readOnly = () =>
  new InferdError('UNSUPPORTED', 'the cluster gateway reads the cluster; it writes nothing through this store');
