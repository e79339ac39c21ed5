// The models one model server serves, by name, each with its readiness (KServe's ModelRepository).
// A replica normally holds one model; the V2 repository extension can mark it unloaded and loaded again.

import type { Model } from '../runtimes/model.js';
import type { Batcher } from './batcher.js';

export interface ModelEntry {
  readonly model: Model;
  ready: boolean;
  /** Set when the model's predict calls are batched (spec.predictor.batcher). */
  readonly batcher?: Batcher;
}

export class ModelRepository {
  readonly #entries = new Map<string, ModelEntry>();

  /**
   * Adds (or replaces) a model under `model.name`; ready unless told otherwise. With `readiness`, the entry's
   * `ready` is that object's `ready` flag, read and written through (a TypeScript SDK model's own `ready`,
   * which KServe checks on every request).
   */
  add(model: Model, opts: { ready?: boolean; batcher?: Batcher; readiness?: { ready: boolean } } = {}): void {
    const holder = opts.readiness;
    if (holder) {
      this.#entries.set(model.name, {
        model,
        get ready() {
          return holder.ready;
        },
        set ready(v: boolean) {
          holder.ready = v;
        },
      });
      return;
    }
    const entry: ModelEntry = opts.batcher
      ? { model, ready: opts.ready ?? true, batcher: opts.batcher }
      : { model, ready: opts.ready ?? true };
    this.#entries.set(model.name, entry);
  }

  get(name: string): ModelEntry | undefined {
    return this.#entries.get(name);
  }

  /** Model names in the order they were added. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** Returns false when no model has that name. */
  setReady(name: string, ready: boolean): boolean {
    const entry = this.#entries.get(name);
    if (!entry) return false;
    entry.ready = ready;
    return true;
  }

  remove(name: string): ModelEntry | undefined {
    const entry = this.#entries.get(name);
    this.#entries.delete(name);
    return entry;
  }

  entries(): IterableIterator<[string, ModelEntry]> {
    return this.#entries.entries();
  }
}
