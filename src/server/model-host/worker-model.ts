// The model host's view of a model running in a worker thread: a `Model` whose predict posts the inputs to
// the worker and resolves with its outputs (typed-array buffers transferred back, not copied). Per-model limits
// in a shared process:
// - time: a call not answered within `requestTimeoutMs` gets 504 (TIMEOUT); if the worker has stopped beating
//   meanwhile (a model stuck in a synchronous loop) it is terminated (reason ModelHung), its other calls get 503;
// - heap: the worker's V8 heap is capped (`maxOldGenerationSizeMb`); a model that runs past it ends its worker
//   only (reason OOMKilled);
// - an uncaught error or exit ends the worker (ModelCrashed).
// `onFailed` tells the host, which reports the model failed (inferd serve restarts it with back-off). Other
// models' workers are untouched.

import { Worker } from 'node:worker_threads';
import { InferdError } from '../../errors.js';
import type { Model, ModelMetadata, PredictOptions, Tensor } from '../../runtimes/model.js';
import {
  type FromWorker,
  type PredictCall,
  reviveError,
  settleAnswers,
  type ToWorker,
  type WorkerInit,
} from './protocol.js';

export interface WorkerModelOptions {
  /** The worker entry (dist/src/server/model-host/worker.js). */
  entry: URL | string;
  modelName: string;
  modelDir: string;
  modelFormat: string;
  env?: Record<string, string | undefined>;
  /**
   * The time limit of one call (default 30 s): past it the call gets 504, and a worker that has not beaten for
   * that long is terminated (ModelHung). `hangTimeoutMs` is the older name of the same limit.
   */
  requestTimeoutMs?: number;
  hangTimeoutMs?: number;
  heartbeatMs?: number;
  /** Called once when the worker dies or is terminated for hanging (not on unload). */
  onFailed?: (reason: string, message: string) => void;
  /** V8 young-generation size of the worker (default 1 MiB). */
  maxYoungGenerationSizeMb?: number;
  /** V8 heap limit of the worker (default 1 GiB): a model that runs away with memory ends its worker, not the host. */
  maxOldGenerationSizeMb?: number;
}

export const DEFAULT_HANG_TIMEOUT_MS = 30_000;
/** A packed model's V8 heap limit unless inferd serve says otherwise (`--worker-heap-limit`). */
export const DEFAULT_WORKER_HEAP_MB = 1024;

interface Pending {
  resolve: (t: Tensor[]) => void;
  reject: (e: Error) => void;
  /** When the call was posted (Date.now()). */
  started: number;
}

export class WorkerModel implements Model {
  readonly name: string;
  private readonly worker: Worker;
  private md: ModelMetadata = { platform: '', inputs: [], outputs: [] };
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lastBeat = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  private state: 'loading' | 'ready' | 'failed' | 'unloaded' = 'loading';
  private failure: InferdError | undefined;
  private readonly loaded: Promise<void>;
  private unloadedResolve: (() => void) | undefined;
  /** Calls made in this turn of the event loop, posted together in one message. */
  private outbox: PredictCall[] = [];
  private readonly timeLimitMs: number;

  /** Starts the worker; `load()` resolves once the model is loaded there. */
  constructor(private readonly opts: WorkerModelOptions) {
    this.name = opts.modelName;
    this.timeLimitMs = opts.requestTimeoutMs ?? opts.hangTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS;
    const heartbeatMs = opts.heartbeatMs ?? 1_000;
    const init: WorkerInit = {
      modelName: opts.modelName,
      modelDir: opts.modelDir,
      modelFormat: opts.modelFormat,
      env: opts.env ?? {},
      heartbeatMs,
    };
    this.worker = new Worker(opts.entry, {
      workerData: init,
      // the host's stdout/stderr carry the worker's log lines as they are
      stdout: false,
      stderr: false,
      // A live worker costs ~8.6 MiB RSS bare (measured); a 1 MiB young generation saves ~1.6 MiB of it.
      // Small models allocate little per call; large tensors live in V8's large-object space anyway.
      resourceLimits: {
        maxYoungGenerationSizeMb: opts.maxYoungGenerationSizeMb ?? 1,
        maxOldGenerationSizeMb: opts.maxOldGenerationSizeMb ?? DEFAULT_WORKER_HEAP_MB,
      },
    });
    this.loaded = new Promise((resolve, reject) => {
      this.worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'loaded':
            this.md = m.metadata;
            this.state = 'ready';
            this.lastBeat = Date.now();
            this.startWatchdog(heartbeatMs);
            resolve();
            break;
          case 'load-failed':
            this.state = 'failed';
            reject(reviveError(m.error));
            void this.worker.terminate();
            break;
          case 'beat':
            this.lastBeat = Date.now();
            break;
          case 'answers':
            settleAnswers(this.pending, m.answers);
            break;
          case 'unloaded':
            this.unloadedResolve?.();
            break;
        }
      });
      this.worker.on('error', (err) => {
        // Past its heap limit V8 ends the worker's isolate (the host and its other workers go on).
        if ((err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          const message = `model worker ran out of its ${opts.maxOldGenerationSizeMb ?? DEFAULT_WORKER_HEAP_MB} MiB heap limit; ended`;
          if (this.state === 'loading') reject(new InferdError('MODEL_LOAD_FAILED', message, { reason: 'OOMKilled' }));
          this.fail('OOMKilled', message);
          return;
        }
        if (this.state === 'loading') reject(err);
        this.fail('ModelCrashed', `model worker threw an uncaught error: ${err.message}`);
      });
      this.worker.on('exit', (code) => {
        if (this.state === 'loading') reject(new Error(`model worker exited (code ${code}) while loading`));
        this.fail('ModelCrashed', `model worker exited (code ${code})`);
        this.unloadedResolve?.();
      });
    });
    this.loaded.catch(() => undefined);
  }

  /** Resolves once loaded; rejects with the load error (the worker is gone then). */
  load(): Promise<void> {
    return this.loaded;
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  metadata(): ModelMetadata {
    return this.md;
  }

  predict(inputs: Tensor[], opts?: PredictOptions): Promise<Tensor[]> {
    if (this.state !== 'ready') {
      return Promise.reject(
        this.failure ?? new InferdError('MODEL_NOT_READY', `Model with name ${this.name} is not ready.`),
      );
    }
    const id = this.nextId++;
    const call: PredictCall = { id, inputs };
    if (opts?.parameters) call.parameters = opts.parameters;
    if (opts?.outputNames) call.outputNames = opts.outputNames;
    const now = Date.now();
    if (this.pending.size === 0) this.lastBeat = now; // the hang clock starts with the first call
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, started: now });
      // setImmediate, not a microtask: it runs after the poll phase has handed over every request that
      // arrived with this one, so concurrent requests cross in one message (one wake-up of the worker).
      if (this.outbox.length === 0) setImmediate(() => this.flush());
      this.outbox.push(call);
    });
  }

  /** Posts this tick's calls as one message. */
  private flush(): void {
    const calls = this.outbox;
    this.outbox = [];
    if (calls.length === 0 || this.state !== 'ready') return;
    try {
      this.worker.postMessage({ type: 'predict', calls } satisfies ToWorker);
    } catch (err) {
      for (const c of calls) {
        const p = this.pending.get(c.id);
        this.pending.delete(c.id);
        p?.reject(err as Error);
      }
    }
  }

  /**
   * Resolves once no call is outstanding, or after timeoutMs: a model swapped out for a new version (a
   * TrainedModel's new storageUri) answers what it already took before it is unloaded.
   */
  async drain(timeoutMs = 5_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  }

  /** Asks the model to unload, then ends the worker (terminated if it does not answer within graceMs). */
  async unload(graceMs = 2_000): Promise<void> {
    if (this.state === 'unloaded') return;
    const wasReady = this.state === 'ready';
    this.state = 'unloaded';
    this.stopWatchdog();
    this.rejectAll(new InferdError('MODEL_NOT_READY', `Model with name ${this.name} is being unloaded.`));
    if (wasReady) {
      await new Promise<void>((resolve) => {
        this.unloadedResolve = resolve;
        const t = setTimeout(resolve, graceMs);
        t.unref();
        this.worker.postMessage({ type: 'unload' } satisfies ToWorker);
      });
    }
    await this.worker.terminate();
  }

  private startWatchdog(heartbeatMs: number): void {
    const limitMs = this.timeLimitMs;
    this.watchdog = setInterval(
      () => {
        if (this.pending.size === 0) return;
        const now = Date.now();
        const late: Pending[] = [];
        for (const [id, p] of this.pending) {
          if (now - p.started < limitMs) continue;
          this.pending.delete(id);
          late.push(p);
        }
        if (late.length === 0) return;
        const timeout = new InferdError(
          'TIMEOUT',
          `model ${this.name} did not answer within its time limit of ${limitMs} ms`,
        );
        for (const p of late) p.reject(timeout);
        // Still beating: the model is slow but its thread is free (an async runtime); only the call ends.
        if (now - this.lastBeat >= limitMs) {
          this.fail('ModelHung', `model worker did not answer for ${limitMs} ms; terminated`);
          void this.worker.terminate();
        }
      },
      Math.max(20, Math.min(heartbeatMs, limitMs / 4)),
    );
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private rejectAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private fail(reason: string, message: string): void {
    if (this.state === 'failed' || this.state === 'unloaded') return;
    const wasLoading = this.state === 'loading';
    this.state = 'failed';
    this.stopWatchdog();
    this.failure = new InferdError('MODEL_NOT_READY', `Model ${this.name} failed: ${message}`, { reason });
    this.rejectAll(this.failure);
    if (!wasLoading) this.opts.onFailed?.(reason, message);
  }
}
