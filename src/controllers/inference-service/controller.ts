// Reconciles InferenceServices: spec generation → predictor revision → model download → replica process →
// endpoint + status. One work queue, keyed by `namespace/name`, fed by the store's watch and by replica
// changes. A new revision takes traffic only once its replica is Ready; the old one is stopped then.

import { DEFAULT_LOAD_TIMEOUT_MS, limitsOf, loadTimeoutFor, threadEnvFor } from '../../api/limits.js';
import type { InferenceService } from '../../api/types.js';
import { type InferdError, isInferdError, messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import { bodyLimitReplicaArgs, predictorReplicaArgs, servedModelName } from '../../replica-protocol.js';
import type { EndpointTable } from '../../routing/endpoint-table.js';
import type { Store, Watch } from '../../store/store.js';
import type { ReplicaManager } from '../replicas/replica-manager.js';
import { serviceKeyOf } from '../replicas/replica-manager.js';
import { type DownloadProgress, type ObservedPredictor, revisionName } from './observed.js';
import { computeStatus } from './status.js';

/** Downloads a model; the storage initializer, injected so the controller never does I/O decisions itself. */
export type ModelFetcher = (opts: {
  isvc: InferenceService;
  storageUri: string;
  signal: AbortSignal;
  /** Bytes, rate and ETA as the download goes (the controller throttles what reaches the status). */
  onProgress?: (p: DownloadProgress) => void;
  /** A transient failure the fetcher is about to retry: shown in the status at once, not after the last try. */
  onRetry?: (failure: { reason: string; message: string; attempt: number; waitMs: number }) => void;
}) => Promise<{ modelDir: string }>;

/** Download progress reaches the stored status at most this often (each write bumps resourceVersion). */
export const PROGRESS_STATUS_INTERVAL_MS = 1_000;

export type EventRecorder = (
  isvc: InferenceService,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
) => void;

export interface ControllerOptions {
  store: Store;
  replicas: ReplicaManager;
  endpoints: EndpointTable;
  fetchModel: ModelFetcher;
  recordEvent?: EventRecorder;
  log: Logger;
  domain: string;
  replicaEnv: Record<string, string>;
  /** `inferd serve --max-body-bytes`: passed to replicas when above their own 16 MiB default. */
  maxBodyBytes?: number;
  /** Load timeout of services without the serving.inferd.dev/load-timeout annotation (default 5 minutes). */
  loadTimeoutMs?: number;
  /** Retry delays after a failed download: first, doubled up to max. */
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  now?: () => Date;
}

interface Rollout {
  generation: number;
  abort: AbortController;
  retryTimer?: NodeJS.Timeout;
  attempts: number;
  /** Throttled progress: the latest report, when it last reached the observed state, the trailing write. */
  pendingProgress?: DownloadProgress;
  progressShownAt?: number;
  progressTimer?: NodeJS.Timeout;
  /** The failure cannot go away by retrying (a spec problem): no retry until the spec changes. */
  final?: boolean;
}

export class InferenceServiceController {
  private readonly observed = new Map<string, ObservedPredictor>();
  private readonly rollouts = new Map<string, Rollout>();
  /** Services resumed after an inferd restart whose stored status is already Ready for this revision. */
  private readonly resuming = new Set<string>();
  private readonly queue = new Set<string>();
  private draining = false;
  private watch: Watch | undefined;
  private stopped = false;
  private readonly onReplicaChange = (replicaKey: string) => this.enqueue(serviceKeyOf(replicaKey));

  constructor(private readonly opts: ControllerOptions) {}

  start(): void {
    this.opts.replicas.on('change', this.onReplicaChange);
    this.watch = this.opts.store.watch({ kind: 'InferenceService' }, (ev) => {
      const m = ev.object.metadata;
      this.enqueue(`${m.namespace}/${m.name}`);
    });
  }

  /** True between a successful start() and stop(): what `/readyz` reports. */
  get running(): boolean {
    return this.watch !== undefined && !this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.close();
    this.opts.replicas.off('change', this.onReplicaChange);
    for (const r of this.rollouts.values()) {
      r.abort.abort();
      if (r.retryTimer) clearTimeout(r.retryTimer);
      if (r.progressTimer) clearTimeout(r.progressTimer);
    }
    await this.opts.replicas.stopAll();
  }

  /** Observed state, for tests and `describe`. */
  observedFor(key: string): ObservedPredictor | undefined {
    return this.observed.get(key);
  }

  enqueue(key: string): void {
    if (this.stopped) return;
    this.queue.add(key);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.size > 0 && !this.stopped) {
        const key = this.queue.values().next().value as string;
        this.queue.delete(key);
        try {
          await this.reconcile(key);
        } catch (err) {
          this.opts.log.error('reconcile failed', { isvc: key, error: messageOf(err) });
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const isvc = this.opts.store.get<InferenceService>({ kind: 'InferenceService', namespace, name });
    if (!isvc || isvc.metadata.deletionTimestamp) {
      await this.teardown(key);
      return;
    }
    const generation = isvc.metadata.generation ?? 1;
    const rollout = this.rollouts.get(key);
    if (!rollout || rollout.generation !== generation) this.startRollout(key, isvc, generation);
    this.observeReplicas(key);
    this.writeStatus(key);
    this.publishEndpoint(key, isvc);
  }

  private startRollout(key: string, isvc: InferenceService, generation: number): void {
    const previous = this.rollouts.get(key);
    if (previous) {
      previous.abort.abort();
      if (previous.retryTimer) clearTimeout(previous.retryTimer);
      if (previous.progressTimer) clearTimeout(previous.progressTimer);
    }
    const rollout: Rollout = { generation, abort: new AbortController(), attempts: 0 };
    this.rollouts.set(key, rollout);
    const revision = revisionName(isvc.metadata.name, generation);
    const prevObs = this.observed.get(key);
    this.observed.set(key, {
      revision,
      generation,
      phase: 'Downloading',
      servingRevision: prevObs?.servingRevision,
      restarts: 0,
    });
    const st = isvc.status;
    const readyCond = st?.conditions?.find((c) => c.type === 'Ready');
    if (
      !prevObs &&
      readyCond?.status === 'True' &&
      st?.observedGeneration === generation &&
      st.components?.predictor?.latestReadyRevision === revision
    ) {
      this.resuming.add(key);
    }
    if (!previous) this.opts.log.info('rolling out revision', { isvc: key, revision });
    else this.event(isvc, 'Normal', 'RevisionCreated', `created revision ${revision} for generation ${generation}`);
    void this.fetchAndStart(key, isvc, rollout, revision);
  }

  private async fetchAndStart(key: string, isvc: InferenceService, rollout: Rollout, revision: string): Promise<void> {
    const model = isvc.spec?.predictor?.model;
    const obs = () => this.observed.get(key);
    const stillCurrent = () => this.rollouts.get(key) === rollout && !rollout.abort.signal.aborted;
    try {
      // KServe's storage-config form (`storage: {key, path}`) may stand in for storageUri; the fetcher builds it.
      const storageUri = model?.storageUri ?? (model?.storage?.path ? '' : undefined);
      if (storageUri === undefined) {
        // Final until the spec changes: retrying cannot help (docs/compatibility.md, "A predictor without storageUri").
        rollout.final = true;
        if (!model && isvc.spec?.predictor?.containers) {
          throw Object.assign(new Error('spec.predictor.containers: inferd does not run custom containers yet'), {
            reason: 'Unsupported',
          });
        }
        throw Object.assign(
          new Error(
            'spec.predictor.model has no storageUri: KServe would start this runtime as a multi-model server with no ' +
              'model, to be filled by TrainedModel resources, which inferd does not serve yet; set ' +
              'spec.predictor.model.storageUri to where the model is (s3://, gs://, https://, pvc://, or a local path)',
          ),
          { reason: 'NoStorageUri' },
        );
      }
      rollout.attempts += 1;
      const { modelDir } = await this.opts.fetchModel({
        isvc,
        storageUri,
        signal: rollout.abort.signal,
        onProgress: (p) => {
          if (stillCurrent()) this.noteProgress(key, rollout, p);
        },
        onRetry: (f) => {
          if (!stillCurrent()) return;
          const o = obs();
          if (!o || o.phase !== 'Downloading') return;
          // Reports from before the failure must not clear it (only new bytes do).
          rollout.pendingProgress = undefined;
          if (rollout.progressTimer) clearTimeout(rollout.progressTimer);
          rollout.progressTimer = undefined;
          // Still Downloading (Ready=Unknown), but the reason the user must act on is visible now.
          const message = `${f.message}; retrying in ${Math.max(1, Math.round(f.waitMs / 1000))}s (attempt ${f.attempt + 1})`;
          o.failure = { reason: f.reason, message, time: this.nowIso() };
          this.event(isvc, 'Warning', f.reason, message);
          this.enqueue(key);
        },
      });
      if (!stillCurrent()) return;
      if (rollout.progressTimer) clearTimeout(rollout.progressTimer);
      rollout.progressTimer = undefined;
      const o = obs();
      if (o) {
        o.phase = 'Loading';
        o.failure = undefined;
        o.progress = undefined;
      }
      const limits = limitsOf(model?.resources);
      this.opts.replicas.ensure({
        key: `${key}/${revision}`,
        revision,
        modelName: servedModelName(isvc),
        modelDir,
        modelFormat: model?.modelFormat?.name ?? 'sklearn',
        // Thread counts from resources.limits.cpu first: a value the user set in env wins.
        env: { ...this.opts.replicaEnv, ...threadEnvFor(limits), ...envOf(model?.env) },
        args: [
          ...predictorReplicaArgs(isvc.spec?.predictor, isvc.metadata.namespace),
          ...bodyLimitReplicaArgs(this.opts.maxBodyBytes),
        ],
        ...loadTimeoutFor(isvc.metadata.annotations, this.opts.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS),
        ...(limits.memoryBytes !== undefined || limits.cpu !== undefined ? { limits } : {}),
      });
      this.enqueue(key);
    } catch (err) {
      if (!stillCurrent()) return;
      const reason = reasonOf(err, 'StorageFailed');
      const o = obs();
      if (o) {
        o.phase = 'Failed';
        o.failure = { reason, message: messageOf(err), time: this.nowIso() };
      }
      this.event(isvc, 'Warning', reason, messageOf(err));
      if (rollout.final) {
        this.enqueue(key);
        return;
      }
      const base = this.opts.retryBackoffMs ?? 5_000;
      const delay = Math.min(base * 2 ** (rollout.attempts - 1), this.opts.retryBackoffMaxMs ?? 60_000);
      rollout.retryTimer = setTimeout(() => {
        if (!stillCurrent()) return;
        const fresh = this.opts.store.get<InferenceService>({
          kind: 'InferenceService',
          namespace: isvc.metadata.namespace,
          name: isvc.metadata.name,
        });
        if (fresh) void this.fetchAndStart(key, fresh, rollout, revision);
      }, delay);
      rollout.retryTimer.unref();
      this.enqueue(key);
    }
  }

  /**
   * Keeps the latest progress report; it reaches the observed state (and so the stored status) at most once
   * per PROGRESS_STATUS_INTERVAL_MS, with a trailing update so the last report before a pause is shown.
   */
  private noteProgress(key: string, rollout: Rollout, p: DownloadProgress): void {
    rollout.pendingProgress = p;
    const now = (this.opts.now?.() ?? new Date()).getTime();
    const since = now - (rollout.progressShownAt ?? Number.NEGATIVE_INFINITY);
    if (since >= PROGRESS_STATUS_INTERVAL_MS) {
      this.showProgress(key, rollout, now);
      return;
    }
    if (rollout.progressTimer) return;
    rollout.progressTimer = setTimeout(() => {
      rollout.progressTimer = undefined;
      if (this.rollouts.get(key) === rollout)
        this.showProgress(key, rollout, (this.opts.now?.() ?? new Date()).getTime());
    }, PROGRESS_STATUS_INTERVAL_MS - since);
    rollout.progressTimer.unref();
  }

  private showProgress(key: string, rollout: Rollout, now: number): void {
    const o = this.observed.get(key);
    const p = rollout.pendingProgress;
    rollout.pendingProgress = undefined;
    if (!o || !p || o.phase !== 'Downloading') return;
    rollout.progressShownAt = now;
    o.progress = p;
    // Bytes arriving again after a retried failure: the download is healthy, the failure is history.
    o.failure = undefined;
    this.enqueue(key);
  }

  /** Folds the replica processes' state into the observed predictor; retires old revisions once the new one is Ready. */
  private observeReplicas(key: string): void {
    const o = this.observed.get(key);
    if (!o) return;
    const current = this.opts.replicas.get(`${key}/${o.revision}`);
    if (!current) return;
    o.restarts = current.restarts;
    switch (current.phase) {
      case 'Ready': {
        const wasServing = o.servingRevision;
        o.phase = 'Ready';
        o.failure = undefined;
        o.servingRevision = o.revision;
        this.resuming.delete(key);
        if (wasServing !== o.revision) {
          const isvc = this.getIsvc(key);
          if (isvc)
            this.event(isvc, 'Normal', 'RevisionReady', `revision ${o.revision} is ready and receives 100% of traffic`);
          for (const k of this.opts.replicas.keys()) {
            if (k.startsWith(`${key}/`) && k !== `${key}/${o.revision}`) void this.opts.replicas.remove(k);
          }
        }
        break;
      }
      case 'Starting':
      case 'Loading':
        // A revision that already failed stays Failed until it is Ready: no flapping while it retries.
        if (o.phase !== 'Failed') o.phase = o.servingRevision === o.revision ? 'Restarting' : 'Loading';
        break;
      case 'Failed':
      case 'Exited':
      case 'BackOff': {
        const f = current.failure;
        if (f) {
          const changed = o.failure?.reason !== f.reason || o.phase !== 'Failed';
          o.failure = {
            reason: f.reason,
            message: f.message,
            exitCode: f.exitCode,
            time: o.failure?.time ?? this.nowIso(),
          };
          o.lastTermination = o.failure;
          if (changed) {
            const isvc = this.getIsvc(key);
            if (isvc) this.event(isvc, 'Warning', f.reason, f.message);
          }
        }
        o.phase = 'Failed';
        this.resuming.delete(key);
        break;
      }
    }
  }

  private writeStatus(key: string): void {
    const o = this.observed.get(key);
    if (!o || this.resuming.has(key)) return;
    for (let attempt = 0; attempt < 3; attempt++) {
      const isvc = this.getIsvc(key);
      if (!isvc) return;
      const status = computeStatus(isvc, o, { domain: this.opts.domain, now: this.nowIso() });
      if (JSON.stringify(status) === JSON.stringify(isvc.status ?? {})) return;
      try {
        this.opts.store.updateStatus({ ...isvc, status });
        return;
      } catch (err) {
        if (isInferdError(err) && (err as InferdError).code === 'CONFLICT') continue;
        throw err;
      }
    }
  }

  private publishEndpoint(key: string, isvc: InferenceService): void {
    const o = this.observed.get(key);
    if (!o) return;
    const serving = o.servingRevision ? this.opts.replicas.get(`${key}/${o.servingRevision}`) : undefined;
    const port = serving?.phase === 'Ready' ? serving.port : undefined;
    // A replica that served and crashed is being restarted (back-off, then start): requests are held for it
    // (docs/operations.md) instead of 503 at once. A revision that never served and failed answers 503.
    const restarting =
      serving !== undefined &&
      o.servingRevision === o.revision &&
      ['BackOff', 'Exited', 'Starting', 'Loading'].includes(serving.phase);
    const failed = o.phase === 'Failed' && port === undefined && !restarting;
    this.opts.endpoints.set({
      namespace: isvc.metadata.namespace ?? 'default',
      name: isvc.metadata.name,
      modelName: servedModelName(isvc),
      port,
      grpcPort: port !== undefined ? this.opts.replicas.process(`${key}/${o.servingRevision}`)?.grpcPort : undefined,
      revision: port !== undefined ? o.servingRevision : undefined,
      starting: port === undefined && !failed,
      reason: port === undefined ? (o.failure?.reason ?? o.phase) : undefined,
      message: port === undefined ? (o.failure?.message ?? `predictor is ${o.phase.toLowerCase()}`) : undefined,
    });
  }

  private async teardown(key: string): Promise<void> {
    const rollout = this.rollouts.get(key);
    if (rollout) {
      rollout.abort.abort();
      if (rollout.retryTimer) clearTimeout(rollout.retryTimer);
      if (rollout.progressTimer) clearTimeout(rollout.progressTimer);
    }
    this.rollouts.delete(key);
    this.observed.delete(key);
    this.resuming.delete(key);
    const [namespace, name] = key.split('/') as [string, string];
    this.opts.endpoints.delete(namespace, name);
    await Promise.all(
      this.opts.replicas
        .keys()
        .filter((k) => k.startsWith(`${key}/`))
        .map((k) => this.opts.replicas.remove(k)),
    );
  }

  private getIsvc(key: string): InferenceService | undefined {
    const [namespace, name] = key.split('/') as [string, string];
    return this.opts.store.get<InferenceService>({ kind: 'InferenceService', namespace, name });
  }

  private event(isvc: InferenceService, type: 'Normal' | 'Warning', reason: string, message: string): void {
    try {
      this.opts.recordEvent?.(isvc, type, reason, message);
    } catch (err) {
      this.opts.log.warn('could not record event', { error: messageOf(err) });
    }
  }

  private nowIso(): string {
    return (this.opts.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}

function envOf(env: { name: string; value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) if (typeof e.value === 'string') out[e.name] = e.value;
  return out;
}

function reasonOf(err: unknown, fallback: string): string {
  if (isInferdError(err) && typeof err.details.reason === 'string') return err.details.reason;
  const r = (err as { reason?: unknown })?.reason;
  return typeof r === 'string' ? r : fallback;
}
