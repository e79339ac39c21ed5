// The TrainedModel controller: KServe's TrainedModel controller and model agent in one. For each TrainedModel it
// plans the status (plan.ts, pure), downloads the model through the storage initializer (the cache shared with
// InferenceServices), and loads it over IPC into every Ready replica of its parent, a multi-model InferenceService
// whose replicas are model hosts (server/model-host/host.ts): no replica restarts. A deleted model is unloaded; a
// new storageUri is loaded beside the old version, which serves until the new one is ready (host.ts swaps them).
// A replica that restarts comes back empty and is filled again. A failed download or load is retried on a timer
// (5 s, doubled up to 5 min), its next try named in the Ready condition's message. Passes are coalesced (one per
// tick).

import type { InferenceService, TrainedModel } from '../../api/types.js';
import { SERVE_DEFAULTS } from '../../config.js';
import { messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { FromHost } from '../../replica-protocol.js';
import type { EndpointTable } from '../../routing/endpoint-table.js';
import { jsonEqual } from '../../store/deep-equal.js';
import type { Store, Watch } from '../../store/store.js';
import type { ModelFetcher } from '../inference-service/rollout.js';
import { PACKABLE_FORMATS, type ReplicaManager } from '../replicas/replica-manager.js';
import type { ReplicaProcess } from '../replicas/replica-process.js';
import { type LoadState, memoryOf, modelWorkerHeapMb, planTrainedModel } from './plan.js';

export interface TrainedModelControllerOptions {
  store: Store;
  replicas: ReplicaManager;
  endpoints: EndpointTable;
  fetchModel: ModelFetcher;
  log: Logger;
  domain: string;
  /** Formats the parent's runtime supports (ServingRuntime supportedModelFormats, built-ins included). */
  parentFormats: (parent: InferenceService) => string[];
  /** Releases the cache pin of a storageUri no model of the parent uses any more. */
  releaseModel?: (serviceKey: string, storageUri: string) => void;
  now?: () => Date;
  /** First retry of a failed download or load after this long, doubled per failure (default 5 s, at most 5 min). */
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  /** The most heap a parent's TrainedModels' worker may have, MiB (`inferd serve --worker-heap-limit`; 1 GiB). */
  workerHeapLimitMb?: number;
}

/** When a failed try is retried: `base × 2^(failures-1)`, at most `max`. */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}

interface Fetch {
  uri: string;
  dir?: string;
  /** The previous storageUri's model, served until this one is downloaded and loaded (the atomic swap). */
  previousDir?: string;
  failure?: { reason: string; message: string };
  /** Failed downloads of this storageUri so far, and when the next try starts (epoch ms). */
  failures: number;
  retryAt?: number;
  abort: AbortController;
}

/** What one replica process has been asked to serve, per TrainedModel name. */
interface Placed {
  dir: string;
  state: 'Loading' | 'Ready' | 'Failed';
  reason?: string;
  message?: string;
  /** Failed loads of this dir in this replica so far, and when the next try is sent (epoch ms). */
  failures?: number;
  retryAt?: number;
  /** What its load added to the replica's model worker (inline models; load-size.ts). */
  loadedBytes?: number;
}

const isoSeconds = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

export class TrainedModelController {
  private readonly opts: TrainedModelControllerOptions;
  private watches: Watch[] = [];
  private scheduled = false;
  private lastPassMs = 0;
  private stopped = false;
  /** Per `namespace/tm`: its download. */
  private readonly fetches = new Map<string, Fetch>();
  /** Per replica process (a restart is a new one, empty again): what is loaded or loading in it. */
  private readonly placed = new WeakMap<ReplicaProcess, Map<string, Placed>>();
  /** Replica processes this controller listens to for host messages. */
  private readonly listening = new WeakSet<ReplicaProcess>();
  private readonly onReplicaChange = () => this.schedule();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryTimerAt = Number.POSITIVE_INFINITY;

  constructor(opts: TrainedModelControllerOptions) {
    this.opts = opts;
  }

  start(): void {
    const changed = () => this.schedule();
    this.watches.push(this.opts.store.watch({ kind: 'TrainedModel' }, changed));
    this.watches.push(this.opts.store.watch({ kind: 'InferenceService' }, changed));
    this.opts.replicas.on('change', this.onReplicaChange);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches) w.close();
    this.watches = [];
    this.opts.replicas.off('change', this.onReplicaChange);
    for (const f of this.fetches.values()) f.abort.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private nowMs(): number {
    return (this.opts.now?.() ?? new Date()).getTime();
  }

  private backoff(failures: number): number {
    return retryDelayMs(failures, this.opts.retryBackoffMs ?? 5_000, this.opts.retryBackoffMaxMs ?? 300_000);
  }

  /** Retry times (epoch ms) not reached yet: the timer is armed for the earliest, then the next. */
  private readonly retriesDue = new Set<number>();

  /**
   * A pass at `at` (epoch ms) at the latest, for a retry due then. Every time asked for is kept until it has
   * passed: a later retry asked for while an earlier one is armed is armed in its turn (a pass does not re-arm
   * the retries it finds not yet due).
   */
  private wakeAt(at: number): void {
    if (this.stopped) return;
    this.retriesDue.add(at);
    this.armRetryTimer();
  }

  private armRetryTimer(): void {
    let next = Number.POSITIVE_INFINITY;
    for (const at of this.retriesDue) if (at < next) next = at;
    if (next === this.retryTimerAt || this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryTimerAt = next;
    if (next === Number.POSITIVE_INFINITY) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.retryTimerAt = Number.POSITIVE_INFINITY;
        // The one that fired is done even where an injected clock has not moved (tests).
        const done = Math.max(this.nowMs(), next);
        for (const at of this.retriesDue) if (at <= done) this.retriesDue.delete(at);
        this.schedule();
        this.armRetryTimer();
      },
      Math.max(0, next - this.nowMs()),
    );
    this.retryTimer.unref();
  }

  /**
   * One pass for everything, coalesced: a pass costs O(models), so with many models the next one waits as long
   * as the last took (at most 250 ms), which keeps the control loop under half a core while 1,000 arrive.
   */
  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    const pass = () => {
      this.scheduled = false;
      if (this.stopped) return;
      const t0 = performance.now();
      try {
        this.reconcile();
      } catch (err) {
        this.opts.log.error('trainedmodel reconcile failed', { error: messageOf(err) });
      }
      this.lastPassMs = performance.now() - t0;
    };
    if (this.lastPassMs < 2) setImmediate(pass);
    else setTimeout(pass, Math.min(250, this.lastPassMs)).unref();
  }

  private reconcile(): void {
    const { store } = this.opts;
    const models = store.list<TrainedModel>({ kind: 'TrainedModel' }).items;
    const byParent = new Map<string, TrainedModel[]>();
    for (const tm of models) {
      const key = `${tm.metadata.namespace ?? 'default'}/${tm.spec?.inferenceService ?? ''}`;
      const list = byParent.get(key) ?? [];
      list.push(tm);
      byParent.set(key, list);
    }
    const now = isoSeconds(this.opts.now?.() ?? new Date());

    // 1. Plan each model; fetch the placeable ones; forget downloads of models gone or moved.
    const desired = new Map<string, Map<string, { dir: string; format: string; memory: number }>>(); // parent key → tm → dir
    const planned: { tm: TrainedModel; parent: InferenceService | undefined; placeable: boolean }[] = [];
    const live = new Set<string>();
    const parents = new Map<string, InferenceService | undefined>();
    for (const tm of models) {
      const ns = tm.metadata.namespace ?? 'default';
      const parentKey = `${ns}/${tm.spec?.inferenceService ?? ''}`;
      let parent = parents.get(parentKey);
      if (!parents.has(parentKey)) {
        parent = store.get<InferenceService>({
          kind: 'InferenceService',
          namespace: ns,
          name: tm.spec?.inferenceService ?? '',
        });
        parents.set(parentKey, parent);
      }
      const first = planTrainedModel(
        tm,
        parent,
        byParent.get(parentKey) ?? [],
        { phase: 'NotPlaced' },
        this.ctx(parent, now),
      );
      planned.push({ tm, parent, placeable: first.placeable });
      const key = `${ns}/${tm.metadata.name}`;
      live.add(key);
      if (!first.placeable || !parent) continue;
      const f = this.fetchFor(key, tm, parent);
      const dir = f.dir ?? f.previousDir;
      if (dir !== undefined) {
        const d = desired.get(parentKey) ?? new Map();
        d.set(tm.metadata.name, { dir, format: tm.spec!.model.framework, memory: memoryOf(tm) });
        desired.set(parentKey, d);
      }
    }
    for (const [key, f] of this.fetches) {
      if (!live.has(key)) {
        f.abort.abort();
        this.fetches.delete(key);
      }
    }

    // 2. Each multi-model replica: load what should be there and is not, unload what should not be.
    const perParent = new Map<string, ReplicaProcess[]>();
    for (const replicaKey of this.opts.replicas.keys()) {
      const proc = this.opts.replicas.process(replicaKey) as ReplicaProcess | undefined;
      if (!proc || proc.kind !== 'process' || !proc.spec.multiModel) continue;
      const parentKey = replicaKey.split('/').slice(0, 2).join('/');
      this.listen(proc);
      if (proc.phase !== 'Ready') continue;
      const list = perParent.get(parentKey) ?? [];
      list.push(proc);
      perParent.set(parentKey, list);
      const want = desired.get(parentKey) ?? new Map<string, { dir: string; format: string; memory: number }>();
      const have = this.placedIn(proc);
      // The worker the parent's models share is sized from the parent (plan.ts modelWorkerHeapMb).
      const heapLimitMb = modelWorkerHeapMb(
        parents.get(parentKey),
        byParent.get(parentKey) ?? [],
        this.opts.workerHeapLimitMb ?? SERVE_DEFAULTS.workerHeapLimitBytes / 2 ** 20,
      );
      for (const [name, m] of want) {
        const cur = have.get(name);
        const retry = cur?.state === 'Failed' && cur.dir === m.dir && (cur.retryAt ?? 0) <= this.nowMs();
        if (cur && cur.dir === m.dir && !retry) continue;
        // The native runtimes' models share one worker of the host (dense, with per-model time limits:
        // docs/multi-model.md); others get a worker each.
        const inline = PACKABLE_FORMATS.includes(m.format.toLowerCase());
        const load = {
          type: 'load' as const,
          modelName: name,
          modelDir: m.dir,
          modelFormat: m.format,
          inline,
          ...(inline ? { heapLimitMb, ...(m.memory > 0 ? { memoryBytes: m.memory } : {}) } : {}),
        };
        if (proc.sendToHost(load)) {
          // A retry keeps the failure shown (and its count) until the model loads or fails again.
          have.set(
            name,
            retry && cur ? { ...cur, retryAt: Number.POSITIVE_INFINITY } : { dir: m.dir, state: 'Loading' },
          );
          this.opts.log.info(retry ? 'trainedmodel load retry' : 'trainedmodel loading', {
            replica: replicaKey,
            model: name,
            ...(retry ? { failures: cur?.failures } : {}),
          });
        }
      }
      for (const name of [...have.keys()]) {
        if (want.has(name)) continue;
        if (proc.sendToHost({ type: 'unload', modelName: name })) {
          have.delete(name);
          this.opts.log.info('trainedmodel unloading', { replica: replicaKey, model: name });
        }
      }
    }

    // 3. Path routing: the models loaded in a parent's replicas route to it by name alone.
    for (const [parentKey, procs] of perParent) {
      const [ns, name] = parentKey.split('/') as [string, string];
      const names = new Set<string>();
      for (const p of procs) for (const [n, s] of this.placedIn(p)) if (s.state === 'Ready') names.add(n);
      this.opts.endpoints.setExtraModels(ns, name, names);
    }
    for (const ep of this.opts.endpoints.all()) {
      if (!perParent.has(`${ep.namespace}/${ep.name}`)) this.opts.endpoints.setExtraModels(ep.namespace, ep.name, []);
    }

    // 4. Status, with the load state tallied over the parent's Ready replicas.
    for (const { tm, parent } of planned) {
      const ns = tm.metadata.namespace ?? 'default';
      const parentKey = `${ns}/${tm.spec?.inferenceService ?? ''}`;
      const load = this.loadState(`${ns}/${tm.metadata.name}`, tm, desired.get(parentKey), perParent.get(parentKey));
      const p = planTrainedModel(tm, parent, byParent.get(parentKey) ?? [], load, this.ctx(parent, now));
      if (jsonEqual(p.status, tm.status)) continue;
      try {
        store.updateStatus({ ...tm, status: p.status });
      } catch (err) {
        // A conflict (the model changed meanwhile) or a delete: its own watch event brings another pass.
        this.opts.log.debug('trainedmodel status not written', { model: tm.metadata.name, error: messageOf(err) });
      }
    }
  }

  private ctx(parent: InferenceService | undefined, now: string) {
    return { now, domain: this.opts.domain, parentFormats: parent ? this.opts.parentFormats(parent) : [] };
  }

  private placedIn(proc: ReplicaProcess): Map<string, Placed> {
    let m = this.placed.get(proc);
    if (!m) {
      m = new Map();
      this.placed.set(proc, m);
    }
    return m;
  }

  private listen(proc: ReplicaProcess): void {
    if (this.listening.has(proc)) return;
    this.listening.add(proc);
    proc.on('host', (m: FromHost) => {
      const have = this.placedIn(proc);
      const cur = have.get(m.modelName);
      if (m.type === 'model-ready' && cur) {
        cur.state = 'Ready';
        if (m.loadedBytes !== undefined) cur.loadedBytes = m.loadedBytes;
        else delete cur.loadedBytes;
        delete cur.reason;
        delete cur.message;
        delete cur.failures;
        delete cur.retryAt;
      } else if (m.type === 'model-failed' && cur) {
        cur.state = 'Failed';
        cur.reason = m.reason;
        cur.message = m.message;
        cur.failures = (cur.failures ?? 0) + 1;
        const delay = this.backoff(cur.failures);
        cur.retryAt = this.nowMs() + delay;
        this.wakeAt(cur.retryAt);
        this.opts.log.warn('trainedmodel failed', {
          replica: proc.key,
          model: m.modelName,
          reason: m.reason,
          failures: cur.failures,
          retryInMs: delay,
        });
      }
      this.schedule();
    });
  }

  /** The model's download: started once per storageUri; a new storageUri starts a new one. */
  private fetchFor(key: string, tm: TrainedModel, parent: InferenceService): Fetch {
    const uri = tm.spec!.model.storageUri;
    const cur = this.fetches.get(key);
    const retry = cur?.uri === uri && cur.failure !== undefined && (cur.retryAt ?? 0) <= this.nowMs();
    if (cur && cur.uri === uri && !retry) return cur;
    cur?.abort.abort();
    const previousDir = cur?.dir ?? cur?.previousDir;
    const f: Fetch = {
      uri,
      abort: new AbortController(),
      failures: retry ? (cur?.failures ?? 0) : 0,
      ...(previousDir !== undefined ? { previousDir } : {}),
      // A retry shows the last failure until it succeeds or fails again.
      ...(retry && cur?.failure ? { failure: cur.failure, retryAt: Number.POSITIVE_INFINITY } : {}),
    };
    this.fetches.set(key, f);
    // The parent's identity (its service account's credentials, its log buffer) with this model's storageUri.
    const asParent: InferenceService = structuredClone(parent);
    if (asParent.spec?.predictor?.model) {
      asParent.spec.predictor.model.storageUri = uri;
      delete asParent.spec.predictor.model.storage;
    }
    this.opts
      .fetchModel({ isvc: asParent, storageUri: uri, signal: f.abort.signal })
      .then(
        ({ modelDir }) => {
          f.dir = modelDir;
          delete f.failure;
          delete f.retryAt;
        },
        (err: unknown) => {
          if (f.abort.signal.aborted) return;
          const e = err as { details?: { reason?: unknown } };
          f.failure = {
            reason: typeof e?.details?.reason === 'string' ? e.details.reason : 'DownloadFailed',
            message: messageOf(err),
          };
          f.failures += 1;
          f.retryAt = this.nowMs() + this.backoff(f.failures);
          this.wakeAt(f.retryAt);
        },
      )
      .finally(() => {
        if (this.fetches.get(key) === f) this.schedule();
      });
    return f;
  }

  private loadState(
    key: string,
    tm: TrainedModel,
    desired: Map<string, { dir: string; format: string; memory: number }> | undefined,
    procs: ReplicaProcess[] | undefined,
  ): LoadState {
    const f = this.fetches.get(key);
    if (!f) return { phase: 'NotPlaced' };
    if (f.failure) {
      return { phase: 'DownloadFailed', reason: f.failure.reason, message: retryNote(f.failure.message, f) };
    }
    if (f.dir === undefined) return { phase: 'Downloading' };
    const want = desired?.get(tm.metadata.name);
    if (!want || !procs || procs.length === 0) return { phase: 'Loading' };
    let ready = 0;
    let loadedBytes: number | undefined;
    for (const p of procs) {
      const s = this.placedIn(p).get(tm.metadata.name);
      if (s?.state === 'Failed' && s.dir === want.dir) {
        const message = retryNote(s.message ?? 'model failed to load', s);
        return { phase: 'Failed', reason: s.reason ?? 'ModelLoadFailed', message };
      }
      if (s?.state === 'Ready' && s.dir === want.dir) {
        ready++;
        if (s.loadedBytes !== undefined) loadedBytes = Math.max(loadedBytes ?? 0, s.loadedBytes);
      }
    }
    if (ready !== procs.length) return { phase: 'Loading' };
    return { phase: 'Loaded', replicas: ready, ...(loadedBytes !== undefined ? { loadedBytes } : {}) };
  }
}

/** The failure's message with its retry: `...; failed 2 times, retrying at 2026-12-06T23:01:05Z` (or `retrying now`). */
function retryNote(message: string, t: { failures?: number; retryAt?: number }): string {
  if (!t.failures) return message;
  const times = t.failures === 1 ? 'once' : `${t.failures} times`;
  const when =
    t.retryAt === undefined || !Number.isFinite(t.retryAt)
      ? 'retrying now'
      : `retrying at ${isoSeconds(new Date(t.retryAt))}`;
  return `${message}; failed ${times}, ${when}`;
}
