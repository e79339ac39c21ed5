// Reconciles InferenceServices: spec generation → predictor revision → model download → replica process →
// endpoint + status. One work queue, keyed by `namespace/name`, fed by the store's watch and by replica
// changes. The decisions are planService's (plan.ts, pure); this shell applies them: starts rollouts
// (rollout.ts: download, then replica), retires replicas, records events, writes the status, publishes the
// endpoint. A new revision takes traffic only once its replica is Ready; the old one is stopped then.

import { DEFAULT_LOAD_TIMEOUT_MS, limitsOf, loadTimeoutFor, threadEnvFor } from '../../api/limits.js';
import type { InferenceService } from '../../api/types.js';
import { type InferdError, isInferdError, messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import { bodyLimitReplicaArgs, predictorReplicaArgs, servedModelName } from '../../replica-protocol.js';
import type { EndpointTable } from '../../routing/endpoint-table.js';
import type { Store, Watch } from '../../store/store.js';
import { type Clock, isoSeconds, systemClock } from '../clock.js';
import type { ReplicaManager, ReplicaView } from '../replicas/replica-manager.js';
import { serviceKeyOf } from '../replicas/replica-manager.js';
import type { ObservedPredictor } from './observed.js';
import { planService, type ServicePlan, statusToWrite } from './plan.js';
import { type ModelFetcher, Rollout } from './rollout.js';

export { type ModelFetcher, PROGRESS_STATUS_INTERVAL_MS } from './rollout.js';

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
  /** Time for status stamps, download retries and progress throttling (default: the system clock). */
  clock?: Clock;
}

export class InferenceServiceController {
  private readonly observed = new Map<string, ObservedPredictor>();
  private readonly rollouts = new Map<string, Rollout>();
  private readonly queue = new Set<string>();
  private draining = false;
  private watch: Watch | undefined;
  private stopped = false;
  private readonly clock: Clock;
  private readonly onReplicaChange = (replicaKey: string) => this.enqueue(serviceKeyOf(replicaKey));

  constructor(private readonly opts: ControllerOptions) {
    this.clock = opts.clock ?? systemClock;
  }

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
    for (const r of this.rollouts.values()) r.cancel();
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
    const isvc = this.getIsvc(key);
    if (!isvc || isvc.metadata.deletionTimestamp) {
      await this.teardown(key);
      return;
    }
    const plan = planService(isvc, this.observed.get(key), this.replicasOf(key), {
      now: this.nowIso(),
      domain: this.opts.domain,
      modelName: servedModelName(isvc),
    });
    this.apply(key, isvc, plan);
  }

  /** Applies a plan, in the order the plan's parts depend on each other. */
  private apply(key: string, isvc: InferenceService, plan: ServicePlan): void {
    const o = plan.observed;
    const previous = this.rollouts.get(key);
    if (previous && previous.generation !== o.generation) {
      // A new generation supersedes the old rollout's download and retries (its replica serves until replaced).
      previous.cancel();
      this.rollouts.delete(key);
    }
    this.observed.set(key, o);
    for (const ev of plan.events) this.event(isvc, ev.type, ev.reason, ev.message);
    for (const a of plan.actions) {
      if (a.type === 'create') {
        if (!previous) this.opts.log.info('rolling out revision', { isvc: key, revision: a.revision });
        this.startRollout(key, isvc, a.revision, a.generation);
      } else if (a.type === 'retire') {
        void this.opts.replicas.remove(a.key);
      }
    }
    if (plan.status) this.writeStatus(key, plan.status);
    this.opts.endpoints.set(plan.endpoint);
  }

  private startRollout(key: string, isvc: InferenceService, revision: string, generation: number): void {
    const rollout = new Rollout({
      isvc,
      revision,
      generation,
      fetchModel: this.opts.fetchModel,
      clock: this.clock,
      retryBackoffMs: this.opts.retryBackoffMs,
      retryBackoffMaxMs: this.opts.retryBackoffMaxMs,
      observed: () => this.observed.get(key),
      current: () => this.getIsvc(key),
      startReplica: (spec, modelDir) => this.startReplica(key, spec, revision, modelDir),
      event: (spec, type, reason, message) => this.event(spec, type, reason, message),
      changed: () => this.enqueue(key),
    });
    this.rollouts.set(key, rollout);
    rollout.start();
  }

  private startReplica(key: string, isvc: InferenceService, revision: string, modelDir: string): void {
    const model = isvc.spec?.predictor?.model;
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
  }

  /** Writes the planned status; on a conflict (someone else wrote the object) recomputes it on the fresh object. */
  private writeStatus(key: string, planned: ServicePlan['status']): void {
    let status = planned;
    for (let attempt = 0; attempt < 3 && status; attempt++) {
      const isvc = this.getIsvc(key);
      const o = this.observed.get(key);
      if (!isvc || !o) return;
      try {
        this.opts.store.updateStatus({ ...isvc, status });
        return;
      } catch (err) {
        if (!(isInferdError(err) && (err as InferdError).code === 'CONFLICT')) throw err;
        const fresh = this.getIsvc(key);
        if (!fresh) return;
        status = statusToWrite(fresh, o, { domain: this.opts.domain, now: this.nowIso() });
      }
    }
  }

  /** This service's replicas as the manager sees them now. */
  private replicasOf(key: string): ReplicaView[] {
    const views: ReplicaView[] = [];
    for (const k of this.opts.replicas.keys()) {
      if (!k.startsWith(`${key}/`)) continue;
      const v = this.opts.replicas.get(k);
      if (v) views.push(v);
    }
    return views;
  }

  private async teardown(key: string): Promise<void> {
    this.rollouts.get(key)?.cancel();
    this.rollouts.delete(key);
    this.observed.delete(key);
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
    return isoSeconds(this.clock.now());
  }
}

function envOf(env: { name: string; value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) if (typeof e.value === 'string') out[e.name] = e.value;
  return out;
}
