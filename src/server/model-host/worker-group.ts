// Many small models in one worker thread of a model host (a multi-model service's TrainedModels: a worker each
// would cost ~9 MiB, the models themselves a few KiB). Per-model limits as for WorkerModel:
// - time: a call not answered within its model's limit gets 504 (TIMEOUT); if the worker has stopped beating
//   for that long (a model stuck in a synchronous loop) the worker is ended;
// - heap: the worker's V8 heap is capped; past it V8 ends the worker;
// - an uncaught error or exit ends the worker.
// The worker writes the key of the model whose code runs into a shared slot, so when it is ended or dies the
// culprit is known: only that model is reported failed (`onModelFailed`: ModelHung, OOMKilled, ModelCrashed);
// its siblings are loaded again at once into a fresh worker (their calls in flight get 503, later calls wait
// for the reload). A sibling thus loses at most the one model's time limit. When no model's code was running
// and no call was waiting, the culprit is unknown: every model of the worker fails (no reload loop).
// Each model's own size is measured when it loads (load-size.ts, in the worker); one past its `memoryBytes`
// (a TrainedModel's spec.model.memory) is unloaded and fails with MemoryLimitExceeded, its siblings untouched.

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
import { DEFAULT_HANG_TIMEOUT_MS, DEFAULT_WORKER_HEAP_MB } from './worker-model.js';

export interface WorkerGroupOptions {
  /** The worker entry (dist/src/server/model-host/worker.js). */
  entry: URL | string;
  /** Default time limit of one call (a model's own `requestTimeoutMs` wins). */
  requestTimeoutMs?: number;
  heartbeatMs?: number;
  maxYoungGenerationSizeMb?: number;
  /** V8 heap limit of the group's worker (default 1 GiB). */
  maxOldGenerationSizeMb?: number;
  /** A model was ended with its worker (it hung, ran out of heap or crashed it); not called on unload. */
  onModelFailed?: (model: GroupModel, reason: string, message: string) => void;
}

export interface GroupModelSpec {
  modelName: string;
  modelDir: string;
  modelFormat: string;
  env?: Record<string, string | undefined>;
  requestTimeoutMs?: number;
  /** The model's memory budget: a load that adds more to the worker fails (MemoryLimitExceeded). */
  memoryBytes?: number;
}

interface Entry {
  spec: GroupModelSpec;
  model: GroupModel;
  /** Settles with the worker's first answer to this model's load (later reloads settle nothing). */
  settle?: { resolve: () => void; reject: (e: Error) => void };
}

interface Pending {
  key: number;
  resolve: (t: Tensor[]) => void;
  reject: (e: Error) => void;
  started: number;
  limitMs: number;
}

/** One model of a group: what the model repository serves. */
export class GroupModel implements Model {
  md: ModelMetadata = { platform: '', inputs: [], outputs: [] };
  /** What its (last) load added to the worker's memory, and whether that was measured after a GC. */
  loadedBytes?: number;
  loadedBytesExact?: boolean;
  constructor(
    readonly name: string,
    private readonly group: WorkerGroup,
    readonly key: number,
  ) {}
  metadata(): ModelMetadata {
    return this.md;
  }
  predict(inputs: Tensor[], opts?: PredictOptions): Promise<Tensor[]> {
    return this.group.call(this.key, inputs, opts);
  }
  unload(): Promise<void> {
    return this.group.unloadModel(this.key);
  }
}

export class WorkerGroup {
  private worker: Worker | undefined;
  private current = new Int32Array(new SharedArrayBuffer(4));
  private readonly entries = new Map<number, Entry>();
  private readonly pending = new Map<number, Pending>();
  private readonly unloading = new Map<number, () => void>();
  /**
   * Models whose `load-model` the current worker has not answered yet, oldest first. A load runs outside the shared
   * slot once it awaits (reading the file), so when the worker hangs or dies with the slot empty, a load in flight
   * is the likelier culprit than whichever sibling happens to have a call waiting.
   */
  private readonly loading = new Set<number>();
  private outbox: PredictCall[] = [];
  private nextKey = 1;
  private nextId = 1;
  private lastBeat = Date.now();
  /** The current worker has said something (a slow start on a loaded machine is not a hang). */
  private booted = false;
  /** The shortest limit of the calls timed out since the worker's last beat: that long without a beat is a hang. */
  private timedOutLimit: number | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** The watchdog's judgment, due after the poll phase of the turn its timer fired in. */
  private judging: NodeJS.Immediate | undefined;
  private closed = false;
  private readonly heartbeatMs: number;
  private readonly defaultLimitMs: number;
  /** Workers started (the first and each restart after a failure). */
  generation = 0;
  /** The V8 heap limit the next worker starts with, and the running one's. */
  private heapLimitMb: number;
  private runningHeapMb = 0;

  constructor(private readonly opts: WorkerGroupOptions) {
    this.heartbeatMs = opts.heartbeatMs ?? 1_000;
    this.defaultLimitMs = opts.requestTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS;
    this.heapLimitMb = opts.maxOldGenerationSizeMb ?? DEFAULT_WORKER_HEAP_MB;
  }

  /** The worker's heap limit now (MiB): the running worker's, else the next one's. */
  get heapLimit(): number {
    return this.worker ? this.runningHeapMb : this.heapLimitMb;
  }

  /**
   * A new heap limit for the group's worker (its models' budgets changed). V8 fixes an isolate's limit when it
   * starts, so a larger one starts a new worker now when no call is in flight (its models load again there;
   * calls made meanwhile wait for them), else with the next worker; a smaller one waits for the next worker.
   */
  setHeapLimit(mb: number): void {
    this.heapLimitMb = mb;
    if (!this.worker || mb <= this.runningHeapMb || this.pending.size > 0 || this.unloading.size > 0) return;
    const old = this.worker;
    this.worker = undefined;
    this.stopWatchdog();
    void old.terminate();
    this.outbox = [];
    for (const [key, e] of this.entries) this.post({ type: 'load-model', key, ...this.loadFields(e.spec) });
  }

  get size(): number {
    return this.entries.size;
  }

  /** Loads a model into the group's worker (started on first use); rejects with its load error. */
  async load(spec: GroupModelSpec): Promise<GroupModel> {
    if (this.closed) throw new InferdError('MODEL_NOT_READY', 'the model host is stopping');
    const key = this.nextKey++;
    const model = new GroupModel(spec.modelName, this, key);
    const entry: Entry = { spec, model };
    const loaded = new Promise<void>((resolve, reject) => {
      entry.settle = { resolve, reject };
    });
    this.entries.set(key, entry);
    this.loading.add(key);
    this.post({ type: 'load-model', key, ...this.loadFields(spec) });
    await loaded;
    return model;
  }

  call(key: number, inputs: Tensor[], opts?: PredictOptions): Promise<Tensor[]> {
    const entry = this.entries.get(key);
    if (!entry || this.closed) {
      return Promise.reject(
        new InferdError('MODEL_NOT_READY', `Model with name ${entry?.spec.modelName ?? key} is not ready.`),
      );
    }
    const id = this.nextId++;
    const call: PredictCall = { id, inputs, model: key };
    if (opts?.parameters) call.parameters = opts.parameters;
    if (opts?.outputNames) call.outputNames = opts.outputNames;
    const now = Date.now();
    if (this.pending.size === 0) this.lastBeat = now; // the hang clock starts with the first call
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        key,
        resolve,
        reject,
        started: now,
        limitMs: entry.spec.requestTimeoutMs ?? this.defaultLimitMs,
      });
      // Calls of one event-loop turn cross in one message (see WorkerModel.predict).
      if (this.outbox.length === 0) setImmediate(() => this.flush());
      this.outbox.push(call);
    });
  }

  /** Unloads one model (its calls in flight get 503). */
  async unloadModel(key: number, graceMs = 2_000): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.loading.delete(key);
    this.rejectWhere((p) => p.key === key, this.notReady(entry.spec.modelName, 'is being unloaded'));
    if (!this.worker) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, graceMs);
      t.unref();
      this.unloading.set(key, () => {
        clearTimeout(t);
        resolve();
      });
      this.post({ type: 'unload-model', key });
    });
    this.unloading.delete(key);
    // Not while another unload waits for its answer (it would wait out its grace time instead).
    if (this.entries.size === 0 && this.pending.size === 0 && this.unloading.size === 0) await this.stop();
  }

  /** Ends the worker and every model in it. */
  async close(): Promise<void> {
    this.closed = true;
    this.rejectWhere(() => true, new InferdError('MODEL_NOT_READY', 'the model host is stopping'));
    this.entries.clear();
    this.loading.clear();
    await this.stop();
  }

  private loadFields(spec: GroupModelSpec) {
    return {
      modelName: spec.modelName,
      modelDir: spec.modelDir,
      modelFormat: spec.modelFormat,
      env: spec.env ?? {},
      ...(spec.memoryBytes ? { memoryBytes: spec.memoryBytes } : {}),
    };
  }

  private post(m: ToWorker): void {
    (this.worker ?? this.start()).postMessage(m);
  }

  private start(): Worker {
    const generation = ++this.generation;
    this.current = new Int32Array(new SharedArrayBuffer(4));
    const init: WorkerInit = {
      modelName: '',
      modelDir: '-',
      modelFormat: '',
      env: {},
      heartbeatMs: this.heartbeatMs,
      group: { current: this.current.buffer as SharedArrayBuffer },
    };
    const heapMb = this.heapLimitMb;
    this.runningHeapMb = heapMb;
    const worker = new Worker(this.opts.entry, {
      workerData: init,
      stdout: false,
      stderr: false,
      resourceLimits: {
        maxYoungGenerationSizeMb: this.opts.maxYoungGenerationSizeMb ?? 1,
        maxOldGenerationSizeMb: heapMb,
      },
    });
    this.worker = worker;
    this.lastBeat = Date.now();
    this.booted = false;
    this.timedOutLimit = undefined;
    const mine = () => this.worker === worker && this.generation === generation;
    worker.on('message', (m: FromWorker) => {
      if (!mine()) return;
      this.booted = true;
      this.onMessage(m);
    });
    // Handled after the answers the worker posted before it died: its error comes on another port, which a host
    // thread held up (a loaded machine) could read first, failing a call already answered. Both wait one turn,
    // in order, so an error's reason still wins over the exit that follows it.
    worker.on('error', (err) =>
      setImmediate(() => {
        if (!mine()) return;
        if ((err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          this.failed('OOMKilled', `model worker ran out of its ${heapMb} MiB heap limit; ended`);
        } else this.failed('ModelCrashed', `model worker threw an uncaught error: ${err.message}`);
      }),
    );
    worker.on('exit', (code) =>
      setImmediate(() => {
        if (!mine()) return;
        this.failed('ModelCrashed', `model worker exited (code ${code})`);
      }),
    );
    this.startWatchdog();
    return worker;
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'beat':
        this.lastBeat = Date.now();
        this.timedOutLimit = undefined;
        return;
      case 'answers':
        settleAnswers(this.pending, m.answers);
        return;
      case 'model-loaded': {
        this.loading.delete(m.key);
        const e = this.entries.get(m.key);
        if (!e) return;
        e.model.md = m.metadata;
        if (m.loadedBytes !== undefined) {
          e.model.loadedBytes = m.loadedBytes;
          e.model.loadedBytesExact = m.loadedBytesExact === true;
        }
        const budget = e.spec.memoryBytes;
        if (budget !== undefined && budget > 0 && m.loadedBytes !== undefined && m.loadedBytes > budget) {
          this.overBudget(m.key, e, m.loadedBytes, budget);
          return;
        }
        e.settle?.resolve();
        e.settle = undefined;
        return;
      }
      case 'model-load-failed': {
        this.loading.delete(m.key);
        const e = this.entries.get(m.key);
        if (!e) return;
        this.entries.delete(m.key);
        const err = reviveError(m.error);
        this.rejectWhere((p) => p.key === m.key, err);
        if (e.settle) e.settle.reject(err);
        // A sibling that loaded before and fails on a reload is reported failed.
        else this.opts.onModelFailed?.(e.model, 'ModelLoadFailed', err.message);
        return;
      }
      case 'model-unloaded':
        this.unloading.get(m.key)?.();
        return;
    }
  }

  private flush(): void {
    const calls = this.outbox;
    this.outbox = [];
    if (calls.length === 0 || !this.worker) return;
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

  private startWatchdog(): void {
    this.stopWatchdog();
    const minLimit = () => {
      let m = this.defaultLimitMs;
      for (const e of this.entries.values()) m = Math.min(m, e.spec.requestTimeoutMs ?? m);
      return m;
    };
    this.watchdog = setInterval(
      () => {
        if (this.pending.size === 0 && this.timedOutLimit === undefined) return;
        // Judged after this turn's poll phase, where the worker's messages arrive: when this thread itself was
        // held up (a loaded machine, a long GC, a big parse), the answers and beats the worker sent meanwhile
        // are read first. Judged here, in the timers phase, a live worker was failed ModelHung and its answered
        // call timed out.
        if (this.judging) return;
        this.judging = setImmediate(() => {
          this.judging = undefined;
          this.judge();
        });
      },
      Math.max(20, Math.min(this.heartbeatMs, minLimit() / 4)),
    );
    this.watchdog.unref();
  }

  /** Calls past their limit get TIMEOUT; a call timed out and no beat since for as long: the worker is stuck. */
  private judge(): void {
    if (this.pending.size === 0 && this.timedOutLimit === undefined) return;
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (now - p.started < p.limitMs) continue;
      this.pending.delete(id);
      const name = this.entries.get(p.key)?.spec.modelName ?? String(p.key);
      p.reject(new InferdError('TIMEOUT', `model ${name} did not answer within its time limit of ${p.limitMs} ms`));
      this.timedOutLimit = Math.min(this.timedOutLimit ?? p.limitMs, p.limitMs);
    }
    // Still beating: the model is slow but the thread is free (an async runtime); only the call ends. A call
    // timed out and no beat since for the running model's own limit (else that call's): stuck.
    if (this.timedOutLimit === undefined || !this.booted) return;
    const running = this.entries.get(Atomics.load(this.current, 0));
    const limit = running ? (running.spec.requestTimeoutMs ?? this.defaultLimitMs) : this.timedOutLimit;
    if (now - this.lastBeat >= limit)
      this.failed('ModelHung', `model worker did not answer for ${limit} ms; terminated`);
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    if (this.judging) clearImmediate(this.judging);
    this.judging = undefined;
  }

  /**
   * The worker hung, ran out of heap or died: the model whose code was running is failed, the others are
   * loaded into a new worker (calls made from now on wait there for their model).
   */
  private failed(reason: string, message: string): void {
    const worker = this.worker;
    if (!worker) return;
    const culpritKey = Atomics.load(this.current, 0) || this.oldestLoadingKey() || this.oldestPendingKey();
    this.loading.clear();
    this.worker = undefined;
    this.stopWatchdog();
    void worker.terminate();
    for (const done of this.unloading.values()) done();
    this.unloading.clear();
    const culprit = culpritKey ? this.entries.get(culpritKey) : undefined;
    // No model was running and no call was waiting (an error thrown from a model's timer, say): reloading
    // everything could fail the same way forever, so every model fails and is retried by inferd serve.
    const charged = culprit ? [[culpritKey, culprit] as const] : [...this.entries];
    const name = culprit?.spec.modelName ?? 'unknown';
    this.rejectWhere(() => true, this.notReady(name, `failed: ${message}`, reason));
    this.outbox = [];
    for (const [key, e] of charged) {
      this.entries.delete(key);
      if (e.settle) e.settle.reject(new InferdError('MODEL_LOAD_FAILED', message, { reason }));
      else this.opts.onModelFailed?.(e.model, reason, message);
    }
    if (this.closed || this.entries.size === 0) return;
    for (const [key, e] of this.entries) {
      this.loading.add(key);
      this.post({ type: 'load-model', key, ...this.loadFields(e.spec) });
    }
  }

  private oldestLoadingKey(): number {
    for (const key of this.loading) if (this.entries.has(key)) return key;
    return 0;
  }

  /** A model larger than its budget: unloaded from the worker and failed; its siblings go on. */
  private overBudget(key: number, e: Entry, used: number, budget: number): void {
    this.entries.delete(key);
    this.post({ type: 'unload-model', key });
    const message = `model ${e.spec.modelName} uses ${mib(used)} after load, its memory is ${mib(budget)}`;
    const err = new InferdError('MODEL_LOAD_FAILED', message, { reason: MEMORY_LIMIT_EXCEEDED });
    this.rejectWhere((p) => p.key === key, err);
    if (e.settle) e.settle.reject(err);
    else this.opts.onModelFailed?.(e.model, MEMORY_LIMIT_EXCEEDED, message);
  }

  private oldestPendingKey(): number {
    let best: Pending | undefined;
    for (const p of this.pending.values()) if (!best || p.started < best.started) best = p;
    return best?.key ?? 0;
  }

  private notReady(name: string, what: string, reason?: string): InferdError {
    return new InferdError('MODEL_NOT_READY', `Model ${name} ${what}`, reason ? { reason } : {});
  }

  private rejectWhere(pred: (p: Pending) => boolean, err: Error): void {
    for (const [id, p] of this.pending) {
      if (!pred(p)) continue;
      this.pending.delete(id);
      p.reject(err);
    }
  }

  private async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.stopWatchdog();
    if (w) await w.terminate();
  }
}

/** The reason of a model whose loaded size is past its memory budget. */
export const MEMORY_LIMIT_EXCEEDED = 'MemoryLimitExceeded';

/** `310 MiB`, `1.5 MiB`, `12 KiB`: a size as a user reads it. */
export function mib(bytes: number): string {
  if (bytes < 1024 ** 2) return `${Math.ceil(bytes / 1024)} KiB`;
  const m = bytes / 1024 ** 2;
  return `${Number.isInteger(m) ? m : m.toFixed(1)} MiB`;
}
