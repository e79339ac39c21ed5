// List + watch of one kind, with the parts that matter after a reconnect (kubernetes-client/javascript#1933:
// its informer relists in a tight loop): the watch resumes from the last resourceVersion seen (bookmarks
// included), only a 410 Gone relists, and every failure waits an exponential back-off with jitter (0.5 s
// doubling to 30 s) before the next try. Keeps a cache by namespace/name and calls `onChange` per change.

import type { Resource } from '../api/types.js';
import { InferdError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { type KubeClient, kubePath } from './kube-client.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerOptions {
  client: KubeClient;
  kind: string;
  /** Watch one namespace; omitted: all. */
  namespace?: string;
  /** `key=value,...` */
  labelSelector?: string;
  log: Logger;
  onChange: (type: ChangeType, obj: Resource) => void;
  /** Back-off bounds (ms); defaults 500 and 30 000. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export const keyOf = (o: Resource): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Informer {
  readonly #opts: InformerOptions;
  readonly #cache = new Map<string, Resource>();
  readonly #abort = new AbortController();
  #rv = '';
  #failures = 0;
  #synced!: () => void;
  /** Resolves after the first successful list. */
  readonly synced: Promise<void> = new Promise((r) => {
    this.#synced = r;
  });
  /** Lists made (the first, and one per 410 Gone): a reconnect storm shows here. */
  lists = 0;
  watches = 0;

  constructor(opts: InformerOptions) {
    this.#opts = opts;
  }

  get(namespace: string | undefined, name: string): Resource | undefined {
    return this.#cache.get(`${namespace ?? ''}/${name}`);
  }

  items(): Resource[] {
    return [...this.#cache.values()];
  }

  start(): void {
    this.#run().catch((err) =>
      this.#opts.log.error('informer stopped', { kind: this.#opts.kind, error: messageOf(err) }),
    );
  }

  stop(): void {
    this.#abort.abort();
  }

  async #run(): Promise<void> {
    const { client, kind, namespace, labelSelector, log } = this.#opts;
    const path = `${kubePath(kind, namespace)}${labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : ''}`;
    let needList = true;
    while (!this.#abort.signal.aborted) {
      try {
        if (needList) {
          await this.#list();
          needList = false;
        }
        this.watches++;
        await client.watch(path, this.#rv, (type, obj) => this.#event(type, obj), this.#abort.signal);
        // The server ended the stream (timeoutSeconds): watch again from where it stopped, at once.
      } catch (err) {
        if (err instanceof InferdError && err.code === 'EXPIRED') {
          needList = true; // 410 Gone: our resourceVersion is too old
          log.info('watch expired, listing again', { kind });
          continue;
        }
        this.#failures++;
        const base = this.#opts.backoffBaseMs ?? 500;
        const max = this.#opts.backoffMaxMs ?? 30_000;
        const delay = Math.min(max, base * 2 ** Math.min(this.#failures - 1, 16)) * (0.75 + Math.random() * 0.5);
        log.warn('list/watch failed, retrying', { kind, error: messageOf(err), retryInMs: Math.round(delay) });
        await abortableDelay(delay, this.#abort.signal);
      }
    }
  }

  async #list(): Promise<void> {
    const { client, kind, namespace, labelSelector } = this.#opts;
    this.lists++;
    const list = await client.list(kind, namespace, labelSelector);
    this.#failures = 0;
    const seen = new Set<string>();
    for (const item of list.items) {
      const obj = { ...item, kind } as Resource;
      const k = keyOf(obj);
      seen.add(k);
      const old = this.#cache.get(k);
      this.#cache.set(k, obj);
      if (!old) this.#opts.onChange('ADDED', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.#opts.onChange('MODIFIED', obj);
    }
    for (const [k, old] of [...this.#cache]) {
      if (seen.has(k)) continue;
      this.#cache.delete(k);
      this.#opts.onChange('DELETED', old);
    }
    this.#rv = list.metadata.resourceVersion;
    this.#synced();
  }

  #event(type: string, obj: Resource): void {
    this.#failures = 0;
    if (obj.metadata?.resourceVersion) this.#rv = obj.metadata.resourceVersion;
    if (type === 'BOOKMARK') return;
    const k = keyOf(obj);
    if (type === 'DELETED') {
      this.#cache.delete(k);
      this.#opts.onChange('DELETED', obj);
      return;
    }
    const t = this.#cache.has(k) ? 'MODIFIED' : 'ADDED';
    this.#cache.set(k, obj);
    this.#opts.onChange(t, obj);
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
