// Adaptive batching (KServe's `spec.predictor.batcher`, done in its agent sidecar; here inside the replica):
// concurrent predict calls whose inputs agree on everything but the first dimension are concatenated
// along dim 0 into one model call, and every output is split back by rows. A batch is sent when it
// holds `maxBatchSize` rows or its first request has waited `maxLatencyMs`.
//
//   submit ─▶ group[key] = [req1 (1 row), req2 (3 rows), ...] ──(rows ≥ max | timer)──▶ one predict
//                                                                                         │ split by rows
//   req1 ◀── outputs[0:1] ◀──────────────────────────────────────────────────────────────┤
//   req2 ◀── outputs[1:4] ◀──────────────────────────────────────────────────────────────┘
//
// Correctness over throughput: when the merged call fails, or an output has no batch dimension to split,
// each request of the batch is run on its own so that it gets its own answer or error.

import { randomUUID } from 'node:crypto';
import { InferdError } from '../errors.js';
import type { Model, PredictOptions, Tensor, TensorData, TypedArray } from '../runtimes/model.js';

export interface BatcherOptions {
  /** Rows per model call (KServe's `maxBatchSize`, default 32). */
  maxBatchSize: number;
  /** How long the first request of a batch waits for more (KServe's `maxLatency`, ms; default 5000). */
  maxLatencyMs: number;
  /** A batch's model call that takes longer answers TIMEOUT (KServe's `timeout`, seconds → ms; default 60 s). */
  timeoutMs: number;
  /** Called with the duration of each model call (metrics). */
  onPredict?: (seconds: number) => void;
}

export const BATCHER_DEFAULTS = { maxBatchSize: 32, maxLatencyMs: 5_000, timeoutMs: 60_000 } as const;

export interface BatchResult {
  outputs: Tensor[];
  /** Shared by every request that went out in the same model call (KServe's `batchId`). */
  batchId: string;
}

interface Pending {
  inputs: Tensor[];
  rows: number;
  opts: PredictOptions;
  resolve: (r: BatchResult) => void;
  reject: (err: unknown) => void;
  settled: boolean;
}

interface Group {
  pending: Pending[];
  rows: number;
  timer: NodeJS.Timeout | undefined;
}

/** Rows of a request (its common first dimension), or undefined when it cannot join a batch. */
function rowsOf(inputs: readonly Tensor[]): number | undefined {
  if (inputs.length === 0) return undefined;
  const rows = inputs[0]!.shape[0];
  if (rows === undefined || rows < 1) return undefined;
  for (const t of inputs) if (t.shape.length === 0 || t.shape[0] !== rows) return undefined;
  return rows;
}

/** What must be equal for two requests to share a model call: inputs but dim 0, parameters, outputs asked. */
function batchKey(inputs: readonly Tensor[], opts: PredictOptions): string {
  let key = '';
  for (const t of inputs) {
    key += `${t.name}\u0000${t.datatype}\u0000${t.shape.slice(1).join(',')}\u0000${t.parameters ? JSON.stringify(t.parameters) : ''}\u0001`;
  }
  if (opts.parameters) key += `p${JSON.stringify(opts.parameters)}`;
  if (opts.outputNames) key += `o${opts.outputNames.join('\u0000')}`;
  return key;
}

function concatData(parts: readonly TensorData[]): TensorData {
  const first = parts[0]!;
  if (Array.isArray(first)) return ([] as unknown[]).concat(...(parts as unknown[][])) as TensorData;
  const Ctor = (first as TypedArray).constructor as new (n: number) => TypedArray;
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Ctor(total);
  let offset = 0;
  for (const p of parts) {
    (out as Float64Array).set(p as Float64Array, offset);
    offset += p.length;
  }
  return out;
}

function sliceRows(data: TensorData, start: number, end: number): TensorData {
  return Array.isArray(data) ? (data.slice(start, end) as TensorData) : (data as TypedArray).subarray(start, end);
}

/** Wraps a model; every predict goes through `submit`. One instance per served model. */
export class Batcher {
  readonly #model: Model;
  readonly #opts: BatcherOptions;
  readonly #groups = new Map<string, Group>();

  constructor(model: Model, opts: Partial<BatcherOptions> = {}) {
    this.#model = model;
    this.#opts = { ...BATCHER_DEFAULTS, ...opts };
  }

  /** Queues one request's inputs; resolves with its share of the batch's outputs. */
  submit(inputs: Tensor[], opts: PredictOptions): Promise<BatchResult> {
    const rows = rowsOf(inputs);
    if (rows === undefined) return this.#runAlone(inputs, opts);
    const key = batchKey(inputs, opts);
    return new Promise<BatchResult>((resolve, reject) => {
      const p: Pending = { inputs, rows, opts, resolve, reject, settled: false };
      let group = this.#groups.get(key);
      if (group && group.rows + rows > this.#opts.maxBatchSize) {
        this.#flush(key, group);
        group = undefined;
      }
      if (!group) {
        group = { pending: [], rows: 0, timer: undefined };
        this.#groups.set(key, group);
      }
      group.pending.push(p);
      group.rows += rows;
      const signal = opts.signal;
      if (signal) {
        // A request whose client went away leaves the queue before its batch is sent.
        const g = group;
        signal.addEventListener(
          'abort',
          () => {
            const i = g.pending.indexOf(p);
            if (i === -1 || p.settled) return;
            g.pending.splice(i, 1);
            g.rows -= p.rows;
            p.settled = true;
            reject(signal.reason ?? new InferdError('TIMEOUT', 'the client went away'));
          },
          { once: true },
        );
      }
      if (group.rows >= this.#opts.maxBatchSize) this.#flush(key, group);
      else if (!group.timer) {
        const g = group;
        group.timer = setTimeout(() => this.#flush(key, g), this.#opts.maxLatencyMs);
      }
    });
  }

  #flush(key: string, group: Group): void {
    if (this.#groups.get(key) === group) this.#groups.delete(key);
    if (group.timer) clearTimeout(group.timer);
    const batch = group.pending.filter((p) => !p.settled);
    if (batch.length === 0) return;
    void this.#runBatch(batch);
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    const batchId = randomUUID();
    if (batch.length === 1) {
      const p = batch[0]!;
      this.#settle(
        p,
        this.#call(p.inputs, p.opts).then((outputs) => ({ outputs, batchId })),
      );
      return;
    }
    const first = batch[0]!;
    const merged: Tensor[] = first.inputs.map((t, i) => {
      const merged: Tensor = {
        name: t.name,
        datatype: t.datatype,
        shape: [batch.reduce((n, p) => n + p.rows, 0), ...t.shape.slice(1)],
        data: concatData(batch.map((p) => p.inputs[i]!.data)),
      };
      if (t.parameters) merged.parameters = t.parameters;
      return merged;
    });
    const opts: PredictOptions = {};
    if (first.opts.parameters) opts.parameters = first.opts.parameters;
    if (first.opts.outputNames) opts.outputNames = first.opts.outputNames;
    let outputs: Tensor[];
    try {
      outputs = await this.#call(merged, opts);
    } catch {
      // One request's bad values fail the whole call: give each request its own answer instead.
      for (const p of batch) this.#settle(p, this.#runAlone(p.inputs, p.opts));
      return;
    }
    const total = merged[0]!.shape[0]!;
    if (outputs.some((o) => o.shape[0] !== total || o.data.length % total !== 0)) {
      for (const p of batch) this.#settle(p, this.#runAlone(p.inputs, p.opts));
      return;
    }
    let row = 0;
    for (const p of batch) {
      const mine = outputs.map((o) => {
        const perRow = o.data.length / total;
        const t: Tensor = {
          name: o.name,
          datatype: o.datatype,
          shape: [p.rows, ...o.shape.slice(1)],
          data: sliceRows(o.data, row * perRow, (row + p.rows) * perRow),
        };
        if (o.parameters) t.parameters = o.parameters;
        return t;
      });
      row += p.rows;
      this.#settle(p, Promise.resolve({ outputs: mine, batchId }));
    }
  }

  #settle(p: Pending, result: Promise<BatchResult>): void {
    result.then(
      (r) => {
        if (p.settled) return;
        p.settled = true;
        p.resolve(r);
      },
      (err) => {
        if (p.settled) return;
        p.settled = true;
        p.reject(err);
      },
    );
  }

  async #runAlone(inputs: Tensor[], opts: PredictOptions): Promise<BatchResult> {
    return { outputs: await this.#call(inputs, opts), batchId: randomUUID() };
  }

  /** One model call, timed, bounded by `timeoutMs` (the call itself cannot be stopped; its answer is dropped). */
  async #call(inputs: Tensor[], opts: PredictOptions): Promise<Tensor[]> {
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve(this.#model.predict(inputs, opts)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new InferdError('TIMEOUT', `prediction did not finish within ${this.#opts.timeoutMs} ms`)),
            this.#opts.timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.#opts.onPredict?.((performance.now() - start) / 1000);
    }
  }

  /** Sends every queued batch now (shutdown). */
  flushAll(): void {
    for (const [key, group] of [...this.#groups]) this.#flush(key, group);
  }
}
