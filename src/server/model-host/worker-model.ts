// The model host's view of a model running in a worker thread: a `Model` whose predict posts the inputs to
// the worker and resolves with its outputs (typed-array buffers transferred back, not copied). A worker that
// stops beating while a call is outstanding (a model stuck in a synchronous loop), exits, or throws an
// uncaught error is terminated; its pending calls fail with 503 and `onFailed` tells the host, which reports
// the model failed. Other models' workers are untouched.

import { Worker } from 'node:worker_threads';
import { InferdError } from '../../errors.js';
import type { Model, ModelMetadata, PredictOptions, Tensor } from '../../runtimes/model.js';
import { type FromWorker, reviveBuffers, type SerializedError, type ToWorker, type WorkerInit } from './protocol.js';

export interface WorkerModelOptions {
  /** The worker entry (dist/src/server/model-host/worker.js). */
  entry: URL | string;
  modelName: string;
  modelDir: string;
  modelFormat: string;
  env?: Record<string, string | undefined>;
  /** A worker with calls outstanding and no heartbeat for this long is terminated. Default 30 s. */
  hangTimeoutMs?: number;
  heartbeatMs?: number;
  /** Called once when the worker dies or is terminated for hanging (not on unload). */
  onFailed?: (reason: string, message: string) => void;
  /** V8 young-generation size of the worker (default 1 MiB). */
  maxYoungGenerationSizeMb?: number;
  /** V8 heap limit of the worker: a model that runs away with memory kills its worker, not the host. */
  maxOldGenerationSizeMb?: number;
}

export const DEFAULT_HANG_TIMEOUT_MS = 30_000;

function revive(e: SerializedError): InferdError {
  return new InferdError(e.code ?? 'INTERNAL', e.message, e.details ?? {});
}

interface Pending {
  resolve: (t: Tensor[]) => void;
  reject: (e: Error) => void;
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

  /** Starts the worker; `load()` resolves once the model is loaded there. */
  constructor(private readonly opts: WorkerModelOptions) {
    this.name = opts.modelName;
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
        ...(opts.maxOldGenerationSizeMb ? { maxOldGenerationSizeMb: opts.maxOldGenerationSizeMb } : {}),
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
            reject(revive(m.error));
            void this.worker.terminate();
            break;
          case 'beat':
            this.lastBeat = Date.now();
            break;
          case 'result': {
            const p = this.pending.get(m.id);
            this.pending.delete(m.id);
            p?.resolve(reviveBuffers(m.outputs));
            break;
          }
          case 'error': {
            const p = this.pending.get(m.id);
            this.pending.delete(m.id);
            p?.reject(revive(m.error));
            break;
          }
          case 'unloaded':
            this.unloadedResolve?.();
            break;
        }
      });
      this.worker.on('error', (err) => {
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
    const msg: ToWorker = { type: 'predict', id, inputs };
    if (opts?.parameters) msg.parameters = opts.parameters;
    if (opts?.outputNames) msg.outputNames = opts.outputNames;
    if (this.pending.size === 0) this.lastBeat = Date.now(); // the hang clock starts with the first call
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage(msg);
      } catch (err) {
        this.pending.delete(id);
        reject(err);
      }
    });
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
    const hangMs = this.opts.hangTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS;
    this.watchdog = setInterval(
      () => {
        if (this.pending.size > 0 && Date.now() - this.lastBeat > hangMs) {
          this.fail('ModelHung', `model worker did not answer for ${hangMs} ms; terminated`);
          void this.worker.terminate();
        }
      },
      Math.max(50, Math.min(heartbeatMs, hangMs / 4)),
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
