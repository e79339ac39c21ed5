// The model host's handle on one service's model running in a worker thread that serves it on its own ports
// (worker-serve.ts): requests go from the gateway to the worker directly; the host's main thread only starts,
// supervises and stops it. Per-model limits in a shared process:
// - time: the worker answers 504 (TIMEOUT) itself for an async call past `requestTimeoutMs`; a worker whose
//   oldest call is past the limit and whose event loop has not beaten for as long (a model stuck in a
//   synchronous loop) is terminated here (reason ModelHung) — read from the shared slots on a timer, no
//   message per call; its sockets close and the gateway answers the in-flight requests 502;
// - heap: the worker's V8 heap is capped (`maxOldGenerationSizeMb`); a model that runs past it ends its worker
//   only (reason OOMKilled);
// - an uncaught error or exit ends the worker (ModelCrashed).
// `onFailed` tells the host, which reports the model failed (inferd serve restarts it with back-off). Other
// models' workers are untouched. Unload closes the worker's servers gracefully (in-flight requests finish).

import { Worker } from 'node:worker_threads';
import { InferdError } from '../../errors.js';
import type { ModelMetadata } from '../../runtimes/model.js';
import {
  type FromWorker,
  reviveError,
  SLOT_BEAT,
  SLOT_CALL_SINCE,
  SUPERVISION_SLOTS,
  type ToWorker,
  type WorkerInit,
  type WorkerServe,
} from './protocol.js';

export interface WorkerModelOptions {
  /** The worker entry (dist/src/server/model-host/worker.js). */
  entry: URL | string;
  modelName: string;
  modelDir: string;
  modelFormat: string;
  env?: Record<string, string | undefined>;
  /** Where and how the worker serves (its own ports; the host's body and message limits). */
  serve: Omit<WorkerServe, 'state' | 'requestTimeoutMs'>;
  /**
   * The time limit of one call (default 30 s): past it the call gets 504, and a worker that has not beaten for
   * that long is terminated (ModelHung). `hangTimeoutMs` is the older name of the same limit.
   */
  requestTimeoutMs?: number;
  hangTimeoutMs?: number;
  /** How often the worker beats at most (it beats at least 4 times per time limit). */
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

/** Where a loaded worker serves its model. */
export interface WorkerPorts {
  port: number;
  grpcPort?: number;
}

export class WorkerModel {
  readonly name: string;
  private readonly worker: Worker;
  private md: ModelMetadata = { platform: '', inputs: [], outputs: [] };
  private readonly slots: BigInt64Array;
  private watchdog: NodeJS.Timeout | undefined;
  private state: 'loading' | 'ready' | 'failed' | 'unloaded' = 'loading';
  private readonly loaded: Promise<WorkerPorts>;
  private unloadedResolve: (() => void) | undefined;
  private readonly timeLimitMs: number;
  private ports: WorkerPorts | undefined;

  /** Starts the worker; `load()` resolves with its ports once the model is loaded and served there. */
  constructor(private readonly opts: WorkerModelOptions) {
    this.name = opts.modelName;
    this.timeLimitMs = opts.requestTimeoutMs ?? opts.hangTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS;
    const heartbeatMs = opts.heartbeatMs ?? 1_000;
    const state = new SharedArrayBuffer(SUPERVISION_SLOTS * BigInt64Array.BYTES_PER_ELEMENT);
    this.slots = new BigInt64Array(state);
    const init: WorkerInit = {
      modelName: opts.modelName,
      modelDir: opts.modelDir,
      modelFormat: opts.modelFormat,
      env: opts.env ?? {},
      heartbeatMs,
      serve: { ...opts.serve, requestTimeoutMs: this.timeLimitMs, state },
    };
    this.worker = new Worker(opts.entry, {
      workerData: init,
      // the host's stdout/stderr carry the worker's log lines as they are
      stdout: false,
      stderr: false,
      // A 1 MiB young generation saves ~1.6 MiB of a live worker's RSS (docs/multi-model.md, "Cost"). Small
      // models allocate little per call; large tensors live in V8's large-object space anyway.
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
            this.ports = { port: m.port ?? 0, ...(m.grpcPort !== undefined ? { grpcPort: m.grpcPort } : {}) };
            this.startWatchdog(heartbeatMs);
            resolve(this.ports);
            break;
          case 'load-failed':
            this.state = 'failed';
            reject(reviveError(m.error));
            void this.worker.terminate();
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

  /** Resolves with the worker's ports once loaded; rejects with the load error (the worker is gone then). */
  load(): Promise<WorkerPorts> {
    return this.loaded;
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  metadata(): ModelMetadata {
    return this.md;
  }

  /**
   * Closes the worker's servers (in-flight requests finish within graceMs), unloads the model, ends the
   * worker (terminated if it has not finished a second after graceMs).
   */
  async unload(graceMs = 2_000): Promise<void> {
    if (this.state === 'unloaded') return;
    const wasReady = this.state === 'ready';
    this.state = 'unloaded';
    this.stopWatchdog();
    if (wasReady) {
      await new Promise<void>((resolve) => {
        this.unloadedResolve = resolve;
        const t = setTimeout(resolve, graceMs + 1_000);
        t.unref();
        this.worker.postMessage({ type: 'unload', graceMs } satisfies ToWorker);
      });
    }
    await this.worker.terminate();
  }

  /**
   * The hang check, from the shared slots: a call running past the limit while the worker's loop has not
   * beaten for as long. A free loop beats at least 4 times per limit, so only a stuck one qualifies.
   */
  private startWatchdog(heartbeatMs: number): void {
    const limitMs = this.timeLimitMs;
    this.watchdog = setInterval(
      () => {
        const since = Number(Atomics.load(this.slots, SLOT_CALL_SINCE));
        if (since === 0) return;
        const now = Date.now();
        if (now - since < limitMs || now - Number(Atomics.load(this.slots, SLOT_BEAT)) < limitMs) return;
        this.fail('ModelHung', `model worker did not answer for ${limitMs} ms; terminated`);
        void this.worker.terminate();
      },
      Math.max(20, Math.min(heartbeatMs, limitMs / 4)),
    );
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private fail(reason: string, message: string): void {
    if (this.state === 'failed' || this.state === 'unloaded') return;
    const wasLoading = this.state === 'loading';
    this.state = 'failed';
    this.stopWatchdog();
    if (!wasLoading) this.opts.onFailed?.(reason, message);
  }
}
