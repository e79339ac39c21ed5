// `inferd operator`: reconciles InferenceServices on a Kubernetes API into Deployments, Services and HPAs,
// one set per revision, and writes their status — with the local controller's own pure logic (revisions.ts
// for revision identity, plan.ts/traffic.ts/status.ts for rollout, canary traffic and conditions), so a
// manifest behaves the same on a laptop and on a cluster. The cluster is the actuator: a revision's replicas
// are its Deployment's ready pods, which the kubelet starts (and which the cluster gateway routes to).
//
// Safety rules: only services this operator owns (controller-class annotation) are touched; only objects
// carrying the managed-by label are ever changed; a 403 becomes a condition and an event, never a crash.

import { randomUUID } from 'node:crypto';
import { defaultResource } from '../api/admission.js';
import { withBuiltinRuntimes } from '../api/serving-runtimes.js';
import { type InferenceService, kindByName, type Resource, type Secret, type ServiceAccount } from '../api/types.js';
import { scaleSettingsOf } from '../controllers/autoscaler/scale-source.js';
import type { ObservedPredictor } from '../controllers/inference-service/observed.js';
import { planService, replicaKeyOf } from '../controllers/inference-service/plan.js';
import {
  type RevisionRecord,
  resolveRevision,
  revisionsToCollect,
} from '../controllers/inference-service/revisions.js';
import type { ReplicaView } from '../controllers/replicas/replica-manager.js';
import { InferdError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { servedModelName } from '../replica-protocol.js';
import { kpaManages } from './cluster-scaler.js';
import { type ChangeType, Informer } from './informer.js';
import type { KubeClient } from './kube-client.js';
import { LeaderElector } from './leader-election.js';
import {
  CONTROLLER_CLASS_ANNOTATION,
  covers,
  deploymentFor,
  FINALIZER,
  HTTP_PORT,
  hpaFor,
  hpaManages,
  ISVC_LABEL,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  REVISION_CREATED_ANNOTATION,
  REVISION_NUMBER_ANNOTATION,
  REVISION_SPEC_ANNOTATION,
  serviceFor,
  TEMPLATE_HASH_ANNOTATION,
} from './objects.js';

export interface OperatorOptions {
  client: KubeClient;
  log: Logger;
  /** The image of every container it generates (`ghcr.io/inferd/inferd:<version>`). */
  image: string;
  /** Reconcile services whose serving.inferd.dev/controller-class is this (default `inferd`). */
  controllerClass?: string;
  /** Also reconcile services without the annotation (when KServe's controller is not installed). */
  claimUnannotated?: boolean;
  /** Watch one namespace only; omitted: all. */
  namespace?: string;
  /** Domain of the service URLs (default example.com, as KServe's). */
  domain?: string;
  /** Every service is reconciled again this often, changed or not (default 5 minutes). */
  resyncMs?: number;
  /** Revisions kept beyond the active ones (for rollbacks); default 2. */
  retainRevisions?: number;
  /** Lease for leader election; omitted: this operator leads alone (tests, a single replica). */
  leaderElection?: {
    namespace: string;
    name?: string;
    leaseDurationMs?: number;
    retryPeriodMs?: number;
    identity?: string;
  };
  now?: () => Date;
}

const WATCHED_CHILDREN = ['Deployment', 'Service', 'HorizontalPodAutoscaler'] as const;
const ISVC_KIND = kindByName('InferenceService')!;

const rfc3339 = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

export class Operator {
  readonly #o: OperatorOptions;
  readonly #log: Logger;
  readonly #isvcs: Informer;
  readonly #children: Map<string, Informer>;
  readonly #observed = new Map<string, ObservedPredictor>();
  readonly #queue = new Set<string>();
  readonly #retries = new Map<string, number>();
  #elector: LeaderElector | undefined;
  #running = false;
  #working = false;
  #resync: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Reconciles done (tests wait on counts; /metrics could export it). */
  reconciles = 0;

  constructor(opts: OperatorOptions) {
    this.#o = opts;
    this.#log = opts.log.child({ component: 'operator' });
    this.#isvcs = new Informer({
      client: opts.client,
      kind: 'InferenceService',
      namespace: opts.namespace,
      log: this.#log,
      onChange: (_t, obj) => this.enqueue(`${obj.metadata.namespace}/${obj.metadata.name}`),
    });
    this.#children = new Map(
      WATCHED_CHILDREN.map((kind) => [
        kind,
        new Informer({
          client: opts.client,
          kind,
          namespace: opts.namespace,
          labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
          log: this.#log,
          onChange: (t, obj) => this.#childChanged(t, obj),
        }),
      ]),
    );
  }

  async start(): Promise<void> {
    this.#isvcs.start();
    for (const inf of this.#children.values()) inf.start();
    await Promise.all([this.#isvcs.synced, ...[...this.#children.values()].map((i) => i.synced)]);
    const le = this.#o.leaderElection;
    if (!le) this.#lead();
    else {
      this.#elector = new LeaderElector({
        client: this.#o.client,
        namespace: le.namespace,
        name: le.name ?? 'inferd-operator',
        identity: le.identity ?? `${process.env['HOSTNAME'] ?? 'inferd-operator'}-${randomUUID().slice(0, 8)}`,
        leaseDurationMs: le.leaseDurationMs ?? 15_000,
        retryPeriodMs: le.retryPeriodMs ?? 2_000,
        log: this.#log,
      });
      this.#elector.on('leading', () => this.#lead());
      this.#elector.on('lost', () => {
        this.#running = false;
      });
      this.#elector.start();
    }
  }

  get isLeader(): boolean {
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#running = false;
    clearInterval(this.#resync);
    this.#isvcs.stop();
    for (const inf of this.#children.values()) inf.stop();
    await this.#elector?.stop();
  }

  #lead(): void {
    this.#running = true;
    for (const o of this.#isvcs.items()) this.enqueue(`${o.metadata.namespace}/${o.metadata.name}`);
    clearInterval(this.#resync);
    this.#resync = setInterval(() => {
      for (const o of this.#isvcs.items()) this.enqueue(`${o.metadata.namespace}/${o.metadata.name}`);
    }, this.#o.resyncMs ?? 300_000);
    this.#resync.unref();
  }

  enqueue(key: string): void {
    this.#queue.add(key);
    if (!this.#working) void this.#work();
  }

  /** A generated object changed (a replica became ready, or someone edited it): reconcile its service. */
  #childChanged(_type: ChangeType, obj: Resource): void {
    const owner = obj.metadata.labels?.[ISVC_LABEL];
    if (owner) this.enqueue(`${obj.metadata.namespace}/${owner}`);
  }

  async #work(): Promise<void> {
    this.#working = true;
    try {
      while (this.#queue.size > 0 && !this.#stopped) {
        if (!this.#running) return; // followers keep their queue for when they lead
        const key = this.#queue.values().next().value as string;
        this.#queue.delete(key);
        try {
          await this.#reconcile(key);
          this.#retries.delete(key);
        } catch (err) {
          const n = (this.#retries.get(key) ?? 0) + 1;
          this.#retries.set(key, n);
          const delay = Math.min(30_000, 200 * 2 ** Math.min(n, 8));
          const conflict = err instanceof InferdError && err.code === 'CONFLICT';
          this.#log[conflict ? 'debug' : 'warn']('reconcile failed, retrying', {
            key,
            error: messageOf(err),
            retryInMs: delay,
          });
          setTimeout(() => this.enqueue(key), delay).unref();
        } finally {
          this.reconciles++;
        }
      }
    } finally {
      this.#working = false;
    }
  }

  /** Whether this operator owns `isvc` (docs/operator.md, "Running beside KServe"). */
  owns(isvc: Resource): boolean {
    const cls = isvc.metadata.annotations?.[CONTROLLER_CLASS_ANNOTATION];
    if (cls === undefined) return this.#o.claimUnannotated === true;
    return cls === (this.#o.controllerClass ?? 'inferd');
  }

  async #reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const { client } = this.#o;
    // Read fresh (not the informer's copy): a 409 retry must start from the stored object.
    const live = await client.find<InferenceService>('InferenceService', namespace, name);
    if (!live) {
      this.#observed.delete(key);
      return; // the garbage collector removes what it owned (ownerReferences)
    }
    if (!this.owns(live)) return;
    const log = this.#log.child({ isvc: key });

    if (live.metadata.deletionTimestamp) {
      // Everything generated has an ownerReference: Kubernetes' garbage collector deletes it once we let go.
      const finalizers = live.metadata.finalizers ?? [];
      if (finalizers.includes(FINALIZER)) {
        await client.replace({
          ...live,
          metadata: { ...live.metadata, finalizers: finalizers.filter((f) => f !== FINALIZER) },
        });
        log.info('finalized; generated objects are garbage-collected');
      }
      this.#observed.delete(key);
      return;
    }
    if (!(live.metadata.finalizers ?? []).includes(FINALIZER)) {
      await client.replace({
        ...live,
        metadata: { ...live.metadata, finalizers: [...(live.metadata.finalizers ?? []), FINALIZER] },
      });
      return; // the update's watch event brings us back with the new resourceVersion
    }

    const now = (this.#o.now ?? (() => new Date()))();
    const isvc = defaultResource(live, ISVC_KIND, { runtimes: withBuiltinRuntimes([]) }) as InferenceService;
    isvc.status = live.status;
    const problems: { reason: string; message: string }[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        if (err instanceof InferdError && (err.code === 'FORBIDDEN' || err.code === 'UNAUTHENTICATED')) {
          problems.push({
            reason: err.code === 'FORBIDDEN' ? 'Forbidden' : 'Unauthorized',
            message: `${what}: ${err.message}`,
          });
          return;
        }
        if (err instanceof InferdError && err.details['reason'] === 'NotManaged') {
          problems.push({ reason: 'NotManaged', message: err.message });
          return;
        }
        throw err;
      }
    };

    const unsupported = unsupportedParts(isvc);
    if (unsupported.length) {
      // Nothing is generated for it (not a predictor without its transformer), and no traffic is routed.
      const { traffic: _routed, ...kept } = (live.status ?? {}) as Record<string, unknown>;
      const status = withProblem(kept as NonNullable<InferenceService['status']>, unsupported, rfc3339(now));
      for (const p of unsupported) await this.#event(live, 'Warning', p.reason, p.message);
      if (JSON.stringify(status) !== JSON.stringify(live.status ?? {})) {
        await attempt('InferenceService status', () => client.replaceStatus({ ...live, status }));
      }
      if (problems.length) log.warn('reconcile blocked', { problems });
      return;
    }

    const deployments = this.#childrenOf('Deployment', namespace, name);
    const records = deployments.map(recordOf).filter((r): r is RevisionRecord => r !== undefined);
    const { latest, created } = resolveRevision(isvc, records, rfc3339(now));
    const allRecords = created ? [...records, latest] : records;
    const specOf = (rev: string) => allRecords.find((r) => r.name === rev)?.spec as InferenceService | undefined;

    const replicas = deployments.flatMap((d) => replicaViews(d, key));
    const plan = planService(isvc, this.#observed.get(key), replicas, {
      now: rfc3339(now),
      domain: this.#o.domain ?? 'example.com',
      modelName: servedModelName(isvc),
      revision: latest.name,
      specOf,
    });
    this.#observed.set(key, plan.observed);

    // Every active revision (taking traffic, latest created, latest ready) runs; older ones are kept at zero
    // replicas for a rollback, the oldest beyond `retainRevisions` are deleted.
    const active = new Set([...plan.activeRevisions, latest.name]);
    const credentials = await this.#credentials(isvc, attempt);
    for (const rec of allRecords) {
      // The spec the revision was made from, metadata trimmed (revisions.ts): stable across status writes.
      const spec = rec.spec as InferenceService;
      const revIsvc = {
        ...spec,
        apiVersion: live.apiVersion,
        kind: live.kind,
        metadata: { ...spec.metadata, name, namespace, uid: live.metadata.uid },
      } as InferenceService;
      const settings = scaleSettingsOf(revIsvc);
      const byHpa = hpaManages(settings);
      const running = active.has(rec.name);
      // A new revision starts with its initial count (at least 1); then the gateway's autoscaler owns the
      // replicas of a concurrency/rps revision (never below minReplicas here), the HPA those of cpu/memory.
      const initial = Math.max(1, settings.minScale, settings.initialScale);
      const liveReplicas = (
        deployments.find((d) => d.metadata.name === rec.name)?.spec as { replicas?: number } | undefined
      )?.replicas;
      const byKpa = kpaManages(settings) && liveReplicas !== undefined;
      const replicasWanted = !running ? 0 : byKpa ? Math.max(liveReplicas, settings.minScale) : initial;
      const dep = deploymentFor(
        {
          isvc: revIsvc,
          revision: rec.name,
          number: rec.number,
          templateHash: rec.templateHash,
          createdAt: rec.createdAt,
          settings,
          replicas: byHpa && running ? undefined : replicasWanted,
          credentials,
        },
        { image: this.#o.image },
      );
      await attempt(`Deployment ${rec.name}`, () => this.#apply(dep, log));
      if (running) {
        await attempt(`Service ${rec.name}`, () => this.#apply(serviceFor(revIsvc, rec.name), log));
        const hpa = hpaFor(revIsvc, rec.name, settings);
        if (hpa) await attempt(`HorizontalPodAutoscaler ${rec.name}`, () => this.#apply(hpa, log));
      }
    }
    const protect = new Set([
      ...active,
      ...(plan.observed.latestRolledout ? [plan.observed.latestRolledout] : []),
      ...(plan.observed.previousRolledout ? [plan.observed.previousRolledout] : []),
    ]);
    for (const old of revisionsToCollect(allRecords, protect, this.#o.retainRevisions ?? 2)) {
      for (const kind of WATCHED_CHILDREN) {
        await attempt(`delete ${kind} ${old.name}`, () => this.#deleteManaged(kind, namespace, old.name));
      }
    }

    for (const ev of plan.events) await this.#event(live, ev.type, ev.reason, ev.message);
    let status = plan.status ?? (problems.length ? structuredClone(live.status ?? {}) : undefined);
    if (problems.length && status) status = withProblem(status, problems, rfc3339(now));
    if (problems.length) {
      for (const p of problems) await this.#event(live, 'Warning', p.reason, p.message);
      log.warn('reconcile blocked', { problems });
    }
    if (status && JSON.stringify(status) !== JSON.stringify(live.status ?? {})) {
      // Carries live's resourceVersion: a concurrent write → 409 → retried from a fresh read.
      await attempt('InferenceService status', () => client.replaceStatus({ ...live, status }));
    }
  }

  #childrenOf(kind: string, namespace: string, isvc: string): Resource[] {
    return (this.#children.get(kind)?.items() ?? []).filter(
      (o) => o.metadata.namespace === namespace && o.metadata.labels?.[ISVC_LABEL] === isvc,
    );
  }

  /** Creates `desired`, or puts it back when the live one differs; never touches an object we do not manage. */
  async #apply(desired: Resource, log: Logger): Promise<void> {
    const { client } = this.#o;
    const { kind } = desired;
    const { namespace, name } = desired.metadata;
    const live = await client.find<Resource>(kind, namespace, name);
    if (!live) {
      await client.create(desired);
      log.info('created', { kind, name });
      return;
    }
    if (live.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) {
      throw new InferdError(
        'CONFLICT',
        `${kind} ${namespace}/${name} exists and is not managed by inferd (no ${MANAGED_BY_LABEL}: ${MANAGED_BY} label): ` +
          'it is left alone; delete or rename it to let inferd create its own',
        { reason: 'NotManaged' },
      );
    }
    // A revision's creation time is the first one written (a pass that ran before the informer saw the new
    // Deployment computes another).
    const created = live.metadata.annotations?.[REVISION_CREATED_ANNOTATION];
    if (created && desired.metadata.annotations?.[REVISION_CREATED_ANNOTATION]) {
      desired.metadata.annotations[REVISION_CREATED_ANNOTATION] = created;
    }
    const same =
      covers(live.spec, desired.spec) &&
      covers(live.metadata.labels, desired.metadata.labels) &&
      covers(live.metadata.annotations ?? {}, desired.metadata.annotations ?? {});
    if (same) return;
    const next = {
      ...live,
      metadata: {
        ...live.metadata,
        labels: { ...live.metadata.labels, ...desired.metadata.labels },
        annotations: { ...live.metadata.annotations, ...desired.metadata.annotations },
        ownerReferences: desired.metadata.ownerReferences,
      },
      spec: kind === 'Service' ? { ...(live.spec as object), ...(desired.spec as object) } : desired.spec,
    };
    if (kind === 'Deployment' && (desired.spec as { replicas?: number }).replicas === undefined) {
      // The HPA owns replicas: keep what it set.
      (next.spec as { replicas?: number }).replicas = (live.spec as { replicas?: number }).replicas;
    }
    await client.replace(next); // live's resourceVersion: 409 if it moved meanwhile → retried
    log.info('put back to the desired state', { kind, name });
  }

  async #deleteManaged(kind: string, namespace: string, name: string): Promise<void> {
    const live = await this.#o.client.find<Resource>(kind, namespace, name);
    if (!live || live.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) return;
    await this.#o.client.delete(kind, namespace, name);
  }

  /** The predictor's service account and its secrets (KServe's credential builder reads the same). */
  async #credentials(
    isvc: InferenceService,
    attempt: (what: string, fn: () => Promise<unknown>) => Promise<void>,
  ): Promise<{ serviceAccount?: ServiceAccount; secrets: Secret[] } | undefined> {
    const saName = isvc.spec?.predictor?.serviceAccountName;
    if (!saName) return undefined;
    const ns = isvc.metadata.namespace ?? 'default';
    const out: { serviceAccount?: ServiceAccount; secrets: Secret[] } = { secrets: [] };
    await attempt(`ServiceAccount ${saName}`, async () => {
      out.serviceAccount = await this.#o.client.find<ServiceAccount>('ServiceAccount', ns, saName);
      for (const ref of out.serviceAccount?.secrets ?? []) {
        const s = await this.#o.client.find<Secret>('Secret', ns, ref.name);
        if (s) out.secrets.push(s);
      }
    });
    return out;
  }

  async #event(isvc: Resource, type: string, reason: string, message: string): Promise<void> {
    const ns = isvc.metadata.namespace ?? 'default';
    const ts = rfc3339((this.#o.now ?? (() => new Date()))());
    try {
      await this.#o.client.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${isvc.metadata.name}.`, namespace: ns, name: '' },
        involvedObject: {
          apiVersion: isvc.apiVersion,
          kind: isvc.kind,
          name: isvc.metadata.name,
          namespace: ns,
          uid: isvc.metadata.uid,
        },
        type,
        reason,
        message,
        source: { component: 'inferd-operator' },
        reportingComponent: 'inferd-operator',
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
      } as unknown as Resource);
    } catch (err) {
      // Events are best effort (a 403 on events must not stop reconciling).
      this.#log.debug('event not recorded', { reason, error: messageOf(err) });
    }
  }
}

/** A revision Deployment's ledger record (what FileRevisionLedger keeps locally lives in its annotations). */
function recordOf(d: Resource): RevisionRecord | undefined {
  const a = d.metadata.annotations ?? {};
  const hash = a[TEMPLATE_HASH_ANNOTATION];
  const number = Number(a[REVISION_NUMBER_ANNOTATION]);
  if (!hash || !Number.isInteger(number)) return undefined;
  let spec: InferenceService;
  try {
    const parsed = JSON.parse(a[REVISION_SPEC_ANNOTATION] ?? '') as Pick<InferenceService, 'metadata' | 'spec'>;
    spec = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', ...parsed };
  } catch {
    return undefined;
  }
  return { name: d.metadata.name, number, templateHash: hash, spec, createdAt: a[REVISION_CREATED_ANNOTATION] ?? '' };
}

interface DeploymentStatusView {
  replicas?: number;
  readyReplicas?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

/** A Deployment's pods as the plan's replicas: its ready ones Ready, the rest Starting, a ReplicaFailure Failed. */
function replicaViews(d: Resource, serviceKey: string): ReplicaView[] {
  const revision = d.metadata.name;
  const revKey = `${serviceKey}/${revision}`;
  const wanted = (d.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  const st = (d.status ?? {}) as DeploymentStatusView;
  const ready = st.readyReplicas ?? 0;
  const failure = st.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const out: ReplicaView[] = [];
  const total = Math.max(wanted, ready);
  for (let i = 0; i < total; i++) {
    const isReady = i < ready;
    out.push({
      key: replicaKeyOf(revKey, i),
      revision,
      phase: isReady ? 'Ready' : failure ? 'Failed' : 'Starting',
      port: isReady ? HTTP_PORT : undefined,
      pid: undefined,
      restarts: 0,
      failure:
        !isReady && failure
          ? {
              reason: failure.reason ?? 'ReplicaFailure',
              message: failure.message ?? 'a replica failed',
              exitCode: null,
            }
          : undefined,
    });
  }
  return out;
}

/** The status with PredictorReady and Ready False for why the operator could not do its part. */
function withProblem(
  status: NonNullable<InferenceService['status']>,
  problems: { reason: string; message: string }[],
  now: string,
): NonNullable<InferenceService['status']> {
  const first = problems[0]!;
  const message = problems.map((p) => p.message).join('; ');
  const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PredictorReady' && c.type !== 'Ready');
  for (const type of ['PredictorReady', 'Ready']) {
    const old = status.conditions?.find((c) => c.type === type);
    const same = old?.status === 'False' && old.reason === first.reason && old.message === message;
    conditions.push({
      type,
      status: 'False',
      reason: first.reason,
      message,
      lastTransitionTime: same ? old.lastTransitionTime : now,
    });
  }
  conditions.sort((a, b) => a.type.localeCompare(b.type));
  return { ...status, conditions };
}

/**
 * What the operator does not run yet (docs/operator.md): said as a condition rather than served without it — a
 * service whose transformer were skipped would answer with the predictor's raw output.
 */
export function unsupportedParts(isvc: InferenceService): { reason: string; message: string }[] {
  const out: { reason: string; message: string }[] = [];
  const spec = isvc.spec as unknown as Record<string, Record<string, unknown> | undefined>;
  for (const part of ['transformer', 'explainer'] as const) {
    if (spec[part] !== undefined) {
      out.push({
        reason: 'ComponentNotSupported',
        message: `spec.${part}: the inferd operator runs predictors only in this release; serve this service with \`inferd serve\` (docs/containers.md) or remove spec.${part}`,
      });
    }
  }
  const predictor = spec['predictor'];
  if (Array.isArray(predictor?.['containers']) && (predictor['containers'] as unknown[]).length > 0) {
    out.push({
      reason: 'ComponentNotSupported',
      message:
        'spec.predictor.containers: custom containers are not run by the inferd operator in this release; use a model format with storageUri, or `inferd serve`',
    });
  }
  return out;
}
