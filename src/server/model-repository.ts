// The models one model server serves, by name, each with its readiness (KServe's ModelRepository).
// A replica normally holds one model; the V2 repository extension can mark it unloaded and loaded again.

import type { Model } from '../runtimes/model.js';

export interface ModelEntry {
  readonly model: Model;
  ready: boolean;
}

export class ModelRepository {
  readonly #entries = new Map<string, ModelEntry>();

  /** Adds (or replaces) a model under `model.name`; ready unless told otherwise. */
  add(model: Model, opts: { ready?: boolean } = {}): void {
    this.#entries.set(model.name, { model, ready: opts.ready ?? true });
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
