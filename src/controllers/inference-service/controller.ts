// Reconciles InferenceServices: revision template → predictor revision (revisions.ts, a durable ledger) →
// model download → replica processes → endpoint routes + status. One work queue, keyed by `namespace/name`,
// fed by the store's watch, replica changes and the ScaleSource's 'scale' events. The decisions are
// planService's (plan.ts, pure); this shell applies them: starts rollouts (rollout.ts: download, then the
// first replica) and more replicas, drains and stops retired ones, records events, writes the status,
// publishes the endpoint, collects old revisions. Traffic moves as KServe's canaryTrafficPercent says
// (traffic.ts); a replica leaves the endpoint before it drains and stops.

import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import {
  DEFAULT_LOAD_TIMEOUT_MS,
  intraOpThreadsFor,
  limitsOf,
  loadTimeoutFor,
  threadEnvFor,
} from '../../api/limits.js';
import type { Container, InferenceService, ServingRuntime, TrafficTarget } from '../../api/types.js';
import { type InferdError, isInferdError, messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import { bodyLimitReplicaArgs, predictorReplicaArgs, servedModelName } from '../../replica-protocol.js';
import type { EndpointTable, RevisionRoute, ServiceEndpoint } from '../../routing/endpoint-table.js';
import { type PredictorListeners, ROUTE_FEED_ENV, ROUTES_PATH } from '../../routing/predictor-listeners.js';
import type { TrafficStats } from '../../routing/traffic-stats.js';
import type { Store, Watch } from '../../store/store.js';
import { FixedScale } from '../autoscaler/fixed-scale.js';
import { type ScaleChange, type ScaleDefaults, type ScaleSource, scaleSettingsOf } from '../autoscaler/scale-source.js';
import { type Clock, isoSeconds, systemClock } from '../clock.js';
import type { ReplicaManager, ReplicaView } from '../replicas/replica-manager.js';
import { serviceKeyOf } from '../replicas/replica-manager.js';
import { type ComponentRollout, planComponentTraffic } from './component-traffic.js';
import { containerSpecFor, type ImageResolver, predictorContainer } from './containers.js';
import type { ObservedPredictor } from './observed.js';
import { isMultiModel, planService, type ServicePlan, statusToWrite, storageUriOf, trafficEvents } from './plan.js';
import {
  type ComponentRecord,
  MemoryRevisionLedger,
  type RevisionLedger,
  type RevisionRecord,
  resolveRevision,
  revisionsToCollect,
  type SideComponent,
  trimmedService,
} from './revisions.js';
import { type ModelFetcher, Rollout } from './rollout.js';
import type { TransformerState } from './status.js';
import { TAG_ROUTING_ANNOTATION } from './traffic.js';

/** Old revisions kept besides the active ones (`inferd serve --revision-history`). */
export const DEFAULT_REVISION_HISTORY = 5;
/** How long a retired replica may take to finish its in-flight requests before it is stopped anyway. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

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
  /** The durable record of revisions (default: in memory, lost on restart). */
  revisions?: RevisionLedger;
  /** Desired replicas per revision (default: FixedScale, from min/maxReplicas). */
  scale?: ScaleSource;
  /** The gateway's traffic counters: a retired replica is stopped once it has nothing in flight. */
  stats?: TrafficStats;
  /** Bound on that wait (default 30 s). */
  drainTimeoutMs?: number;
  /** Old revisions kept besides the active ones (default 5); older ones are collected. */
  revisionHistory?: number;
  /** Serve-wide scale defaults (--scale-to-zero-grace). */
  scaleDefaults?: ScaleDefaults;
  /** A collected revision's model is no longer needed by the service: unpin its cache entry. */
  releaseModel?: (serviceKey: string, storageUri: string) => void;
  /** The (Cluster)ServingRuntime a model's `runtime` names, namespace first: one with a command runs as a container. */
  runtimeFor?: (namespace: string, name: string) => ServingRuntime | undefined;
  /** Loopback ports through which transformers reach their predictors (two-tier services); none: no transformers. */
  predictorListeners?: PredictorListeners;
  /** The image map and container engine for containers that name only an image. */
  images?: ImageResolver;
}

export class InferenceServiceController {
  private readonly observed = new Map<string, ObservedPredictor>();
  private readonly rollouts = new Map<string, Rollout>();
  private readonly queue = new Set<string>();
  private workerActive = false;
  private watch: Watch | undefined;
  private stopped = false;
  private readonly clock: Clock;
  /** Per revision key: the spec and model dir its replicas start from (known once its model is fetched). */
  private readonly started = new Map<string, { isvc: InferenceService; modelDir: string }>();
  /** Replica keys out of the endpoint, finishing their in-flight requests before they stop. */
  private readonly draining = new Set<string>();
  /** Per service: the revisions that kept replicas on the last pass (one leaving is forgotten by the scaler). */
  private readonly active = new Map<string, string[]>();
  /** Per two-tier service: the loopback port its transformer reaches the predictor through. */
  private readonly predictorPorts = new Map<string, number>();
  private readonly sideStates = new Map<string, { transformer?: TransformerState; explainer?: TransformerState }>();
  /**
   * Per `{namespace}/{name}#{component}` (transformer, explainer): the spec of each revision it may run again
   * (in traffic, latest, rolled out), the revisions that have been Ready, and its rollout (traffic block).
   * Kept in the revision ledger too (read back after an inferd restart: a canary keeps its split).
   */
  private readonly sides = new Map<string, SideRevisions>();
  private readonly ledger: RevisionLedger;
  private readonly scale: ScaleSource;
  private readonly onReplicaChange = (replicaKey: string) => this.enqueue(serviceKeyOf(replicaKey));
  private readonly onScale = (change: ScaleChange) => {
    const key = serviceKeyOf(change.key);
    const isvc = this.getIsvc(key);
    if (isvc) this.event(isvc, 'Normal', change.reason, change.message);
    this.enqueue(key);
  };

  constructor(private readonly opts: ControllerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.ledger = opts.revisions ?? new MemoryRevisionLedger();
    this.scale = opts.scale ?? new FixedScale();
  }

  start(): void {
    this.opts.replicas.on('change', this.onReplicaChange);
    this.scale.on('scale', this.onScale);
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
    this.scale.off('scale', this.onScale);
    for (const r of this.rollouts.values()) r.cancel();
    await this.opts.replicas.stopAll();
    // Two-tier services' predictor listeners: open ports that would keep inferd serve from exiting.
    await this.opts.predictorListeners?.closeAll();
  }

  /** Observed state, for tests and `describe`. */
  observedFor(key: string): ObservedPredictor | undefined {
    return this.observed.get(key);
  }

  enqueue(key: string): void {
    if (this.stopped) return;
    this.queue.add(key);
    if (!this.workerActive) {
      this.workerActive = true;
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
      this.workerActive = false;
    }
  }

  private async reconcile(key: string): Promise<void> {
    const isvc = this.getIsvc(key);
    if (!isvc || isvc.metadata.deletionTimestamp) {
      await this.teardown(key);
      return;
    }
    // A new revision only when the revision template changed (not for canaryTrafficPercent alone).
    const records = this.ledger.list(key);
    const { latest, created } = resolveRevision(isvc, records, this.nowIso());
    if (created) this.ledger.add(key, latest);
    const byName = new Map<string, RevisionRecord>([...records, latest].map((r) => [r.name, r]));
    const { transformer, explainer } = this.reconcileComponents(key, isvc);
    const plan = planService(isvc, this.observed.get(key), this.replicasOf(key), {
      now: this.nowIso(),
      domain: this.opts.domain,
      modelName: servedModelName(isvc),
      revision: latest.name,
      // The latest revision runs the spec as it is now (same template; labels or canary may differ).
      specOf: (rev) => (rev === latest.name ? isvc : byName.get(rev)?.spec),
      scale: (input) => this.scale.observe(input),
      draining: this.draining,
      scaleDefaults: this.opts.scaleDefaults,
      transformer: transformer?.state,
      explainer: explainer?.state,
    });
    this.sideStates.set(key, { transformer: transformer?.state, explainer: explainer?.state });
    if (transformer) {
      // Two tiers: the service's host reaches the transformer; the predictor answers as {name}-predictor.
      plan.endpoint = {
        ...plan.endpoint,
        name: `${isvc.metadata.name}-predictor`,
        modelName: '',
        service: isvc.metadata.name,
      };
    }
    this.apply(key, isvc, plan, byName);
    if (transformer) this.opts.endpoints.set(transformer.endpoint);
    if (explainer) this.opts.endpoints.set(explainer.endpoint);
    this.collect(key, plan);
  }

  /** Applies a plan, in the order the plan's parts depend on each other. */
  private apply(key: string, isvc: InferenceService, plan: ServicePlan, byName: Map<string, RevisionRecord>): void {
    const o = plan.observed;
    // Rollouts of revisions that no longer run are cancelled (a newer revision superseded their download).
    for (const [revKey, r] of this.rollouts) {
      if (serviceKeyOf(revKey) !== key || plan.activeRevisions.includes(r.revision)) continue;
      r.cancel();
      this.rollouts.delete(revKey);
      this.started.delete(revKey);
    }
    const previous = this.observed.get(key);
    this.observed.set(key, o);
    for (const ev of plan.events) this.event(isvc, ev.type, ev.reason, ev.message);
    // The endpoint first: a retired replica takes no new request from here on.
    this.opts.endpoints.set(plan.endpoint);
    const specOf = (rev: string) => (rev === o.revision ? isvc : byName.get(rev)?.spec);
    for (const a of plan.actions) {
      if (a.type === 'create') {
        if (!previous) this.opts.log.info('rolling out revision', { isvc: key, revision: a.revision });
        this.startRollout(key, isvc, a.revision);
      } else if (a.type === 'start') {
        const revKey = `${key}/${a.revision}`;
        const ready = this.started.get(revKey);
        if (ready) this.startReplica(a.key, ready.isvc, a.revision, ready.modelDir);
        else {
          const spec = specOf(a.revision);
          if (spec) this.startRollout(key, spec, a.revision);
        }
      } else if (a.type === 'retire') {
        void this.retire(key, a.key);
      }
    }
    if (plan.status) this.writeStatus(key, plan.status);
    // Revisions that stopped running: the scaler and the traffic counters forget them.
    for (const rev of this.active.get(key) ?? []) {
      if (plan.activeRevisions.includes(rev)) continue;
      this.scale.forget(`${key}/${rev}`);
      this.opts.stats?.forget(`${key}/${rev}`);
    }
    this.active.set(key, plan.activeRevisions);
  }

  /** Drains a replica (already out of the endpoint), then stops it; the service is reconciled again after. */
  private async retire(key: string, replicaKey: string): Promise<void> {
    if (this.draining.has(replicaKey)) return;
    this.draining.add(replicaKey);
    try {
      const timeoutMs = this.opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
      const idle = (await this.opts.stats?.whenIdle(replicaKey, timeoutMs)) ?? true;
      if (!idle) this.opts.log.warn('replica still busy after the drain timeout; stopping it', { replica: replicaKey });
      await this.opts.replicas.remove(replicaKey);
    } finally {
      this.draining.delete(replicaKey);
      this.enqueue(key);
    }
  }

  /** Collects revisions beyond the retention count: forgotten, their model cache entries unpinned. */
  private collect(key: string, plan: ServicePlan): void {
    const o = plan.observed;
    const protect = new Set<string>([...plan.activeRevisions, o.revision]);
    if (o.latestRolledout) protect.add(o.latestRolledout);
    if (o.previousRolledout) protect.add(o.previousRolledout);
    const gone = revisionsToCollect(
      this.ledger.list(key),
      protect,
      this.opts.revisionHistory ?? DEFAULT_REVISION_HISTORY,
    );
    if (gone.length === 0) return;
    this.ledger.remove(
      key,
      gone.map((r) => r.name),
    );
    const current = this.getIsvc(key);
    const inUse = new Set([
      ...this.ledger.list(key).map((r) => storageUriOf(r.spec)),
      current ? storageUriOf(current) : undefined,
    ]);
    for (const r of gone) {
      const revKey = `${key}/${r.name}`;
      this.rollouts.get(revKey)?.cancel();
      this.rollouts.delete(revKey);
      this.started.delete(revKey);
      const uri = storageUriOf(r.spec);
      if (uri && !inUse.has(uri)) this.opts.releaseModel?.(key, uri);
    }
    this.opts.log.info('revisions collected', { isvc: key, revisions: gone.map((r) => r.name) });
  }

  private startRollout(key: string, isvc: InferenceService, revision: string): void {
    const revKey = `${key}/${revision}`;
    if (this.rollouts.has(revKey)) return;
    const rollout = new Rollout({
      isvc,
      revision,
      generation: isvc.metadata.generation ?? 1,
      fetchModel: this.opts.fetchModel,
      clock: this.clock,
      retryBackoffMs: this.opts.retryBackoffMs,
      retryBackoffMaxMs: this.opts.retryBackoffMaxMs,
      // Only the latest revision's progress and failures are the service's phase.
      observed: () => {
        const o = this.observed.get(key);
        return o?.revision === revision ? o : undefined;
      },
      // A retry fetches what the revision says (the latest: the spec now).
      current: () => {
        const now = this.getIsvc(key);
        if (!now) return undefined;
        return this.observed.get(key)?.revision === revision ? now : isvc;
      },
      startReplica: (spec, modelDir) => {
        this.started.set(revKey, { isvc: spec, modelDir });
        this.startReplica(revKey, spec, revision, modelDir);
      },
      event: (spec, type, reason, message) => this.event(spec, type, reason, message),
      changed: () => this.enqueue(key),
    });
    this.rollouts.set(revKey, rollout);
    rollout.start();
  }

  private startReplica(replicaKey: string, isvc: InferenceService, revision: string, modelDir: string): void {
    const model = isvc.spec?.predictor?.model;
    const namespace = isvc.metadata.namespace ?? 'default';
    const runtime = model?.runtime ? this.opts.runtimeFor?.(namespace, model.runtime) : undefined;
    const container = predictorContainer(isvc, runtime);
    if (container) {
      // A custom command: its own env only (containers.ts), never serve's replica env or credentials.
      const limits = limitsOf(container.resources);
      this.opts.replicas.ensure({
        key: replicaKey,
        revision,
        modelName: servedModelName(isvc),
        modelDir,
        modelFormat: model?.modelFormat?.name ?? 'custom',
        env: {},
        container: containerSpecFor(isvc, container, modelDir, this.opts.images),
        ...loadTimeoutFor(isvc.metadata.annotations, this.opts.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS),
        // The RSS watchdog (OOMKilled) as for native replicas.
        ...(limits.memoryBytes !== undefined ? { limits } : {}),
      });
      return;
    }
    const limits = limitsOf(model?.resources);
    this.opts.replicas.ensure({
      key: replicaKey,
      revision,
      modelName: servedModelName(isvc),
      modelDir,
      modelFormat: model?.modelFormat?.name ?? 'sklearn',
      // Thread counts from resources.limits.cpu (and the intra-op annotation) first: a value set in env wins.
      env: {
        ...this.opts.replicaEnv,
        ...threadEnvFor(limits),
        INFERD_INTRA_OP_THREADS: String(
          intraOpThreadsFor({
            annotations: isvc.metadata.annotations,
            limits,
            minReplicas: isvc.spec?.predictor?.minReplicas,
            cores: availableParallelism(),
            serveDefault: this.opts.replicaEnv.INFERD_INTRA_OP_THREADS,
          }),
        ),
        ...envOf(model?.env),
      },
      args: [
        ...predictorReplicaArgs(isvc.spec?.predictor, isvc.metadata.namespace),
        ...bodyLimitReplicaArgs(this.opts.maxBodyBytes),
      ],
      ...loadTimeoutFor(isvc.metadata.annotations, this.opts.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS),
      ...(limits.memoryBytes !== undefined || limits.cpu !== undefined ? { limits } : {}),
      ...(isMultiModel(isvc) ? { multiModel: true } : {}),
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
        status = statusToWrite(fresh, o, {
          domain: this.opts.domain,
          now: this.nowIso(),
          ...this.sideStates.get(key),
        });
      }
    }
  }

  /**
   * The transformer and explainer of a service (docs/containers.md): each one process per spec, started once
   * the service's predictor listener is open, given `--predictor_host` (and PREDICTOR_HOST) = that listener;
   * a changed spec starts a new one and the old one stops once the new one is Ready. A component the spec
   * no longer has is stopped; the listener closes when neither is left.
   */
  private reconcileComponents(key: string, isvc: InferenceService): Partial<Record<SideComponent, SideResult>> {
    const listeners = this.opts.predictorListeners;
    const namespace = isvc.metadata.namespace ?? 'default';
    const name = isvc.metadata.name;
    const containers = {
      transformer: (isvc.spec?.transformer?.['containers'] as Container[] | undefined)?.[0],
      explainer: (isvc.spec?.explainer?.['containers'] as Container[] | undefined)?.[0],
    };
    const wanted =
      listeners !== undefined && (containers.transformer !== undefined || containers.explainer !== undefined);
    if (!wanted && listeners?.has(key)) {
      // Closing waits for the old components' connections to end (they are being stopped below).
      void listeners.close(key);
      this.predictorPorts.delete(key);
    }
    if (wanted && !this.predictorPorts.has(key) && !listeners.has(key)) {
      void listeners.open(key, `${name}-predictor.${namespace}.${this.opts.domain}`).then(
        (p) => {
          this.predictorPorts.set(key, p);
          this.enqueue(key);
        },
        (err) => this.opts.log.error('could not open the predictor listener', { isvc: key, error: messageOf(err) }),
      );
    }
    const out: Partial<Record<SideComponent, SideResult>> = {};
    for (const component of ['transformer', 'explainer'] as const) {
      const r = this.reconcileComponent(key, isvc, component, wanted ? containers[component] : undefined);
      if (r) out[component] = r;
    }
    for (const [component, epName] of [
      ['transformer', `${name}-predictor`],
      ['explainer', `${name}-explainer`],
    ] as const) {
      if (!out[component] && this.opts.endpoints.get(namespace, epName)) this.opts.endpoints.delete(namespace, epName);
    }
    return out;
  }

  /**
   * One transformer or explainer: a revision per spec (`{ns}/{name}/{component}-{hash}`), its replicas
   * `{revision}/{i}` scaled like a predictor revision (minReplicas/maxReplicas, the autoscaler, to zero and back
   * through the activator). Traffic moves between its revisions as the predictor's does (component-traffic.ts):
   * a new revision takes all of it once one of its replicas is Ready, or `canaryTrafficPercent` of it beside the
   * last rolled-out one; `0` rolls back. Revisions that take no traffic leave the endpoint, drain and stop.
   */
  private reconcileComponent(
    key: string,
    isvc: InferenceService,
    component: SideComponent,
    container: Container | undefined,
  ): SideResult | undefined {
    const namespace = isvc.metadata.namespace ?? 'default';
    const name = isvc.metadata.name;
    const prefix = `${key}/${component}-`;
    const mine = this.opts.replicas.keys().filter((k) => k.startsWith(prefix));
    const revisionOf = (replicaKey: string) => replicaKey.split('/').slice(0, 3).join('/');
    const sideKey = `${key}#${component}`;
    if (!container) {
      for (const k of mine) void this.opts.replicas.remove(k);
      for (const rev of new Set(mine.map(revisionOf))) this.scale.forget(rev);
      this.sides.delete(sideKey);
      this.ledger.setComponent(key, component, undefined);
      return undefined;
    }
    const protocol = isvc.spec?.predictor?.model?.protocolVersion;
    const cKey = `${prefix}${shortHash(JSON.stringify([container, protocol]))}`;
    const revName = (revKey: string) => revisionNameIn(key, revKey);
    const side: SideRevisions = this.sides.get(sideKey) ?? this.sideFromLedger(key, component);
    this.sides.set(sideKey, side);
    // The latest revision runs the spec as it is now (same container; its scale settings or canary may differ).
    side.specs.set(cKey, { isvc, container });
    const port = this.predictorPorts.get(key);
    const componentOf = (spec: InferenceService) => (spec.spec?.[component] ?? {}) as Record<string, unknown>;
    const componentSpec = componentOf(isvc);
    // The component's minReplicas/maxReplicas/scaleTarget/... read as the predictor's are (scale-source.ts).
    const settingsOf = (spec: InferenceService) =>
      scaleSettingsOf(
        { ...spec, spec: { ...spec.spec, predictor: componentOf(spec) } } as InferenceService,
        this.opts.scaleDefaults,
      );
    const views = (rev: string) =>
      mine
        .filter((k) => revisionOf(k) === rev)
        .map((k) => this.opts.replicas.get(k))
        .filter((v): v is ReplicaView => v !== undefined && !this.draining.has(v.key));
    const isReady = (v: ReplicaView) => v.phase === 'Ready' && v.port !== undefined;
    const isFailed = (v: ReplicaView) => ['Failed', 'Exited', 'BackOff'].includes(v.phase) && v.failure !== undefined;
    for (const rev of new Set([...side.specs.keys(), ...mine.map(revisionOf)])) {
      if (views(rev).some(isReady)) side.everReady.add(rev);
    }

    // Traffic between the revisions, as the predictor's (a revision whose spec is gone cannot be run again).
    const title = component === 'transformer' ? 'Transformer' : 'Explainer';
    const tagRouting = isvc.metadata.annotations?.[TAG_ROUTING_ANNOTATION] === 'true';
    const tagUrl = (tag: string) => `http://${tag}-${name}-${component}.${namespace}.${this.opts.domain}`;
    const before = side.rollout;
    const rollout = planComponentTraffic(
      before,
      revName(cKey),
      side.everReady.has(cKey),
      componentSpec['canaryTrafficPercent'] as number | undefined,
      (rev) => side.specs.has(`${key}/${rev}`),
      tagRouting ? tagUrl : undefined,
    );
    side.rollout = rollout;
    for (const ev of trafficEvents(before?.traffic, rollout.traffic, before?.latestReady, rollout.latestReady)) {
      this.event(isvc, ev.type, ev.reason, `${component}: ${ev.message}`);
    }
    const inTraffic = (rev: string) => rollout.traffic.filter((t) => `${key}/${t.revisionName}` === rev);
    // Revisions that keep replicas: those in the traffic block and the latest created.
    const active = [...new Set([...rollout.traffic.map((t) => `${key}/${t.revisionName}`), cKey])];
    // Specs kept: the active revisions and the rolled-out ones (a rollback after a promotion runs the previous).
    const keepSpecs = new Set([
      ...active,
      ...[rollout.latestRolledout, rollout.previousRolledout].filter((r) => r).map((r) => `${key}/${r}`),
    ]);
    for (const rev of [...side.specs.keys()]) {
      if (keepSpecs.has(rev)) continue;
      side.specs.delete(rev);
      side.everReady.delete(rev);
    }
    this.persistSide(key, component, side);

    const desiredOf = new Map<string, number>();
    for (const rev of active) {
      const run = side.specs.get(rev);
      if (!run) continue;
      const settings = settingsOf(run.isvc);
      const current = views(rev);
      const readyNow = current.filter(isReady);
      // Before any revision served, the latest one's route is the service's (requests are held for it).
      const routable =
        inTraffic(rev).some((t) => t.percent > 0 || t.tag !== undefined) ||
        (rollout.traffic.length === 0 && rev === cKey);
      let desired =
        port === undefined
          ? 0
          : this.scale.observe({
              key: rev,
              settings,
              ready: readyNow.length,
              starting: current.length - readyNow.length,
              routable,
            });
      // A revision being rolled out gets its first replica whatever its scale says (it has to prove it starts).
      if (port !== undefined && !side.everReady.has(rev)) desired = Math.max(desired, 1);
      desiredOf.set(rev, desired);
      if (port === undefined) continue;
      this.ensureComponentReplicas(key, run.isvc, run.container, component, rev, desired, port, current);
      // Scaled down: the highest-numbered replicas leave (drained first).
      for (const v of current) {
        const i = Number(v.key.slice(rev.length + 1));
        if (i >= desired && (desired > 0 || readyNow.length > 0)) void this.retire(key, v.key);
      }
    }
    // Revisions out of the traffic: drained and stopped.
    for (const rev of new Set(mine.map(revisionOf))) {
      if (active.includes(rev)) continue;
      for (const v of views(rev)) void this.retire(key, v.key);
      this.scale.forget(rev);
      this.opts.stats?.forget(rev);
    }

    // The component's state: its latest revision's (as the predictor's phase is its latest revision's).
    const latest = views(cKey);
    const ready = latest.filter(isReady);
    const failedView = latest.length > 0 && latest.every(isFailed) ? latest[0] : undefined;
    const restarts = latest.reduce((n, v) => n + v.restarts, 0);
    const timeoutS = (componentSpec as { timeout?: number }).timeout;
    const state: TransformerState =
      ready.length > 0 || (side.everReady.has(cKey) && !failedView)
        ? { phase: 'Ready', restarts, rollout }
        : failedView
          ? {
              phase: 'Failed',
              reason: failedView.failure?.reason,
              message: failedView.failure?.message,
              restarts,
              rollout,
            }
          : desiredOf.get(cKey) === 0 && port !== undefined
            ? { phase: 'Ready', restarts, rollout } // scaled to zero: started on the next request
            : { phase: 'Loading', reason: `${title}Loading`, message: `${component} is starting`, restarts, rollout };
    // Before any revision was Ready: the latest one's route, held for while it starts (unless it failed).
    const targets: TrafficTarget[] = rollout.traffic.length
      ? rollout.traffic
      : [{ revisionName: revName(cKey), percent: 100, latestRevision: true }];
    const routes: RevisionRoute[] = targets.map((t) => {
      const rev = `${key}/${t.revisionName}`;
      const reps = views(rev);
      const run = side.specs.get(rev);
      const timeout = run ? (componentOf(run.isvc) as { timeout?: number }).timeout : timeoutS;
      const revReady = reps.filter(isReady);
      const revFailed = reps.length > 0 && reps.every(isFailed) && !side.everReady.has(rev);
      return {
        revision: t.revisionName,
        key: rev,
        percent: t.percent,
        ...(t.tag ? { tag: t.tag } : {}),
        latestRevision: t.latestRevision === true,
        replicas: revReady.map((v) => ({ key: v.key, port: v.port!, grpcPort: v.grpcPort })),
        activating: revReady.length === 0 && !revFailed,
        containerConcurrency: run ? settingsOf(run.isvc).containerConcurrency : 0,
        // The component's `timeout` (seconds): the gateway answers 504 after it, as for the predictor.
        ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
      };
    });
    const main = routes.reduce<RevisionRoute | undefined>((a, r) => (!a || r.percent > a.percent ? r : a), undefined);
    const serving = main?.replicas[0];
    const activating = serving === undefined && routes.some((r) => r.activating);
    const endpoint: ServiceEndpoint = {
      namespace,
      // The transformer takes the service's name (its host and path routes); the explainer its own.
      name: component === 'transformer' ? name : `${name}-explainer`,
      service: name,
      component,
      modelName: component === 'transformer' ? servedModelName(isvc) : '',
      routes,
      port: serving?.port,
      grpcPort: serving?.grpcPort,
      revision: serving ? main?.revision : undefined,
      starting: activating,
      ...(serving
        ? {}
        : {
            reason: state.phase === 'Ready' ? 'ScaledToZero' : (state.reason ?? `${title}Loading`),
            message: `${component} of ${namespace}/${name}: ${state.phase === 'Ready' ? 'scaled to zero, starting on demand' : (state.message ?? 'starting')}`,
          }),
    };
    return { state, endpoint };
  }

  /** A component's revisions as the ledger kept them (after a restart), or none yet. */
  private sideFromLedger(key: string, component: SideComponent): SideRevisions {
    const rec = this.ledger.component(key, component);
    const side: SideRevisions = { specs: new Map(), everReady: new Set<string>() };
    if (!rec) return side;
    for (const r of rec.revisions) side.specs.set(`${key}/${r.name}`, { isvc: r.spec, container: r.container });
    for (const r of rec.everReady) side.everReady.add(`${key}/${r}`);
    if (rec.rollout) side.rollout = rec.rollout;
    side.persisted = JSON.stringify(this.sideRecord(key, side));
    return side;
  }

  /** Writes a component's revisions to the ledger when they changed (not on every pass). */
  private persistSide(key: string, component: SideComponent, side: SideRevisions): void {
    const rec = this.sideRecord(key, side);
    const text = JSON.stringify(rec);
    if (text === side.persisted) return;
    try {
      this.ledger.setComponent(key, component, rec);
      side.persisted = text;
    } catch (err) {
      // Serving goes on from memory; the next pass tries again.
      this.opts.log.error('could not record the revisions', { isvc: key, component, error: messageOf(err) });
    }
  }

  private sideRecord(key: string, side: SideRevisions): ComponentRecord {
    const name = (revKey: string) => revisionNameIn(key, revKey);
    return {
      revisions: [...side.specs].map(([rev, run]) => ({
        name: name(rev),
        spec: trimmedService(run.isvc),
        container: run.container,
      })),
      everReady: [...side.everReady].filter((rev) => side.specs.has(rev)).map(name),
      ...(side.rollout ? { rollout: side.rollout } : {}),
    };
  }

  /** Starts the missing replicas `{rev}/0 … {rev}/{desired-1}` of a transformer or explainer revision. */
  private ensureComponentReplicas(
    key: string,
    isvc: InferenceService,
    container: Container,
    component: SideComponent,
    rev: string,
    desired: number,
    port: number,
    current: readonly ReplicaView[],
  ): void {
    const spec = containerSpecFor(isvc, container, '', this.opts.images);
    const protocol = isvc.spec?.predictor?.model?.protocolVersion;
    const limits = limitsOf(container.resources);
    const predictorHost = `127.0.0.1:${port}`;
    const have = new Set(current.map((v) => v.key));
    for (let i = 0; i < desired; i++) {
      const rKey = `${rev}/${i}`;
      if (have.has(rKey) || this.opts.replicas.get(rKey)) continue;
      this.opts.replicas.ensure({
        key: rKey,
        revision: rev.slice(key.length + 1),
        modelName: servedModelName(isvc),
        modelDir: '',
        modelFormat: component,
        env: {},
        container: {
          ...spec,
          component,
          // INFERD_ROUTE_FEED: the SDK's client-side routing (gateway/route-feed.ts); other programs ignore it.
          env: {
            ...spec.env,
            PREDICTOR_HOST: predictorHost,
            [ROUTE_FEED_ENV]: `http://${predictorHost}${ROUTES_PATH}`,
          },
          // KServe's flags for a transformer or explainer, added when the args do not name them.
          flags: {
            model_name: servedModelName(isvc),
            predictor_host: predictorHost,
            ...(protocol ? { protocol } : {}),
          },
          appendPortFlags: true,
        },
        ...loadTimeoutFor(isvc.metadata.annotations, this.opts.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS),
        ...(limits.memoryBytes !== undefined ? { limits } : {}),
      });
    }
  }

  /** This service's predictor replicas as the manager sees them now (not its transformer's). */
  private replicasOf(key: string): ReplicaView[] {
    const views: ReplicaView[] = [];
    for (const k of this.opts.replicas.keys()) {
      if (!k.startsWith(`${key}/`) || k.startsWith(`${key}/transformer-`) || k.startsWith(`${key}/explainer-`))
        continue;
      const v = this.opts.replicas.get(k);
      if (v) views.push(v);
    }
    return views;
  }

  private async teardown(key: string): Promise<void> {
    for (const [revKey, r] of this.rollouts) {
      if (serviceKeyOf(revKey) !== key) continue;
      r.cancel();
      this.rollouts.delete(revKey);
    }
    for (const revKey of this.started.keys()) if (serviceKeyOf(revKey) === key) this.started.delete(revKey);
    for (const rev of this.active.get(key) ?? []) {
      this.scale.forget(`${key}/${rev}`);
      this.opts.stats?.forget(`${key}/${rev}`);
    }
    this.active.delete(key);
    // Unconditional: forgetting a service the ledger never kept costs nothing (no file is read for it).
    this.ledger.drop(key);
    this.observed.delete(key);
    const [namespace, name] = key.split('/') as [string, string];
    this.opts.endpoints.delete(namespace, name);
    this.sideStates.delete(key);
    this.sides.delete(`${key}#transformer`);
    this.sides.delete(`${key}#explainer`);
    const twoTier = this.predictorPorts.delete(key) || this.opts.predictorListeners?.has(key) === true;
    this.opts.endpoints.delete(namespace, `${name}-predictor`);
    this.opts.endpoints.delete(namespace, `${name}-explainer`);
    await Promise.all(
      this.opts.replicas
        .keys()
        .filter((k) => k.startsWith(`${key}/`))
        .map((k) => this.opts.replicas.remove(k)),
    );
    // After the transformer is gone: closing waits for its connections.
    if (twoTier) await this.opts.predictorListeners?.close(key);
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

/**
 * Transformer and explainer replica keys: `{namespace}/{name}/transformer-{hash of its spec}`,
 * `.../explainer-{hash}` (no predictor revision, `{name}-predictor-…`, starts so).
 */
type SideResult = { state: TransformerState; endpoint: ServiceEndpoint };
/** A transformer's or explainer's revisions the controller can run, and its rollout. */
interface SideRevisions {
  specs: Map<string, { isvc: InferenceService; container: Container }>;
  everReady: Set<string>;
  rollout?: ComponentRollout;
  /** The ledger record last written (JSON), so an unchanged pass writes nothing. */
  persisted?: string;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

function envOf(env: { name: string; value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) if (typeof e.value === 'string') out[e.name] = e.value;
  return out;
}

/** `tf-3f2a` of `default/svc/tf-3f2a`: a revision key's name within its service `default/svc`. */
function revisionNameIn(serviceKey: string, revKey: string): string {
  return revKey.slice(serviceKey.length + 1);
}
