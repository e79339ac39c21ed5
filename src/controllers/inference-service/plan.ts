// What the controller should do for one InferenceService, decided without doing it: a pure function of the
// spec, what the controller observed so far and the service's replicas, with the time passed in. The
// controller (controller.ts) is the shell that applies the plan: starts rollouts, retires replicas, records
// events, writes the status, publishes the endpoint.
//
// Each action names a revision, and the endpoint is derived from the revision that serves: traffic splits
// (canaryTrafficPercent), scaling and extra components (transformer) plug in here as more actions and a
// per-revision share of the endpoint, not as more concerns in the shell.

import type { InferenceService, InferenceServiceStatus, TrafficTarget } from '../../api/types.js';
import { InferdError } from '../../errors.js';
import type { RevisionRoute, ServiceEndpoint } from '../../routing/endpoint-table.js';
import { jsonEqual } from '../../store/deep-equal.js';
import { FixedScale } from '../autoscaler/fixed-scale.js';
import {
  type RevisionScaleInput,
  type ScaleDefaults,
  type ScaleSettings,
  scaleSettingsOf,
} from '../autoscaler/scale-source.js';
import type { ReplicaView } from '../replicas/replica-manager.js';
import { containerStorageUri } from './containers.js';
import { type ObservedPredictor, revisionName } from './observed.js';
import { computeStatus, type TransformerState } from './status.js';
import { TAG_ROUTING_ANNOTATION, trafficFor } from './traffic.js';

export interface PlanContext {
  /** The time a new condition or failure is stamped with (RFC 3339, seconds). */
  now: string;
  /** Domain of the service URLs (`http://{name}.{namespace}.{domain}`). */
  domain: string;
  /** The model name the predictor serves under (servedModelName). */
  modelName: string;
  /** The latest revision's name (the revision ledger's); omitted: numbered by generation. */
  revision?: string;
  /** The spec a revision was made from (the ledger's); omitted or undefined: the service's own spec. */
  specOf?: (revision: string) => InferenceService | undefined;
  /** Desired replicas of a revision (the controller's ScaleSource); omitted: FixedScale. */
  scale?: (input: RevisionScaleInput) => number;
  /** Replicas being drained before they stop: no traffic, not counted, their keys not reused. */
  draining?: ReadonlySet<string>;
  /** `inferd serve --scale-to-zero-grace` and other serve-wide scale defaults. */
  scaleDefaults?: ScaleDefaults;
  /** The transformer's state when the service has one (the controller runs it beside the plan). */
  transformer?: TransformerState;
  /** The explainer's state when the service has one. */
  explainer?: TransformerState;
}

/** KServe's CheckResult idea, per replica: what to do with it. */
export type ReplicaAction =
  /** Roll the revision out: fetch its model, then start its first replica. */
  | { type: 'create'; revision: string; generation: number }
  /** Start one more replica of a revision (its model is fetched first when it is not yet). */
  | { type: 'start'; key: string; revision: string }
  /** The replica stays as it is. */
  | { type: 'keep'; key: string; revision: string }
  /** The replica leaves the endpoint, finishes what it has in flight, then stops (scale-down, retired revision). */
  | { type: 'retire'; key: string; revision: string };

export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ServicePlan {
  /** The observed state after this pass (the controller keeps it for the next). */
  observed: ObservedPredictor;
  actions: ReplicaAction[];
  endpoint: ServiceEndpoint;
  events: PlanEvent[];
  /** The status to write; undefined when nothing changed or while resuming after a restart. */
  status: InferenceServiceStatus | undefined;
  /** Revisions that keep replicas (taking traffic, latest created, latest ready): the rest may be collected. */
  activeRevisions: string[];
}

/** Replica phases of a serving revision that is being restarted: requests are held for it, not refused. */
const RESTARTING_PHASES: readonly string[] = ['BackOff', 'Exited', 'Starting', 'Loading'];
const STARTING_PHASES: readonly string[] = ['Starting', 'Loading'];

/**
 * Replica keys of a revision: the first is the revision key itself (`{namespace}/{name}/{revision}`), the
 * n-th (n ≥ 2) `{revision key}#n`. All start with the revision key (TrafficStats, the autoscaler).
 */
export function replicaKeyOf(revisionKey: string, index: number): string {
  return index === 0 ? revisionKey : `${revisionKey}#${index + 1}`;
}

function replicaIndexOf(revisionKey: string, replicaKey: string): number {
  if (replicaKey === revisionKey) return 0;
  const m = /#(\d+)$/.exec(replicaKey);
  return m ? Number(m[1]) - 1 : Number.MAX_SAFE_INTEGER;
}

/**
 * Plans one pass for `isvc`. `observed` is the previous pass's state (undefined: first pass since inferd
 * started); `replicas` are this service's replicas as the replica manager sees them. Pure: no I/O, no clock.
 */
export function planService(
  isvc: InferenceService,
  observed: ObservedPredictor | undefined,
  replicas: readonly ReplicaView[],
  ctx: PlanContext,
): ServicePlan {
  const namespace = isvc.metadata.namespace ?? 'default';
  const key = `${namespace}/${isvc.metadata.name}`;
  const draining = ctx.draining ?? new Set<string>();
  const own = replicas.filter((r) => r.key.startsWith(`${key}/`) && !draining.has(r.key));
  const generation = isvc.metadata.generation ?? 1;
  const latest = ctx.revision ?? revisionName(isvc.metadata.name, generation);
  const events: PlanEvent[] = [];
  const actions: ReplicaAction[] = [];
  const revisionKey = (rev: string) => `${key}/${rev}`;
  const replicasOf = (rev: string) => own.filter((r) => r.revision === rev || r.key === revisionKey(rev));

  let o: ObservedPredictor;
  if (!observed || observed.revision !== latest) {
    // A new revision, Downloading; the old one keeps serving until the new one is Ready.
    o = {
      revision: latest,
      generation,
      phase: 'Downloading',
      servingRevision: observed?.servingRevision,
      restarts: 0,
      ...(observed
        ? pick(observed, ['latestRolledout', 'previousRolledout', 'traffic'])
        : resumedRollout(isvc, latest, ctx)),
    };
    if (observed) {
      events.push({
        type: 'Normal',
        reason: 'RevisionCreated',
        message: `created revision ${latest} for generation ${generation}`,
      });
    } else if (isvc.status === undefined) {
      // Never reconciled before (not a restart of inferd resuming it): the service's first event.
      events.push({ type: 'Normal', reason: 'Created', message: `created; rolling out revision ${latest}` });
    }
    const problem = specProblem(isvc);
    if (problem) {
      // Final until the spec changes: retrying cannot help.
      const reason = String(problem.details.reason);
      o.phase = 'Failed';
      o.failure = { reason, message: problem.message, time: ctx.now };
      events.push({ type: 'Warning', reason, message: problem.message });
    } else {
      if (!observed && storedReadyFor(isvc, generation, latest)) o.resuming = true;
      actions.push({ type: 'create', revision: latest, generation });
    }
  } else {
    o = { ...observed, generation };
  }

  // The latest revision's phase, from its replicas (a Ready one wins; else its first).
  const latestReplicas = replicasOf(o.revision);
  const current =
    latestReplicas.find((r) => r.phase === 'Ready') ??
    latestReplicas.find((r) => r.key === revisionKey(o.revision)) ??
    latestReplicas[0];
  const wasReady = o.servingRevision;
  if (current) {
    o.restarts = latestReplicas.reduce((n, r) => n + r.restarts, 0);
    switch (current.phase) {
      case 'Ready': {
        // A model loaded for the latest revision (first start, or a restart after a crash).
        if (o.phase !== 'Ready') {
          const ready = latestReplicas.filter((r) => r.phase === 'Ready').length;
          events.push({
            type: 'Normal',
            reason: 'Loaded',
            message: `revision ${o.revision}: model loaded, ${ready} replica${ready === 1 ? '' : 's'} ready`,
          });
        }
        o.phase = 'Ready';
        delete o.failure;
        o.servingRevision = o.revision;
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
          // The first time of a failure is kept while the replica retries: a Pod's lastState, not a heartbeat.
          o.failure = { reason: f.reason, message: f.message, exitCode: f.exitCode, time: o.failure?.time ?? ctx.now };
          o.lastTermination = o.failure;
          if (changed) {
            const canary = o.servingRevision && o.servingRevision !== o.revision;
            events.push({
              type: 'Warning',
              reason: f.reason,
              message: canary
                ? `${f.message} (revision ${o.revision} takes no traffic; ${o.servingRevision} serves)`
                : f.message,
            });
          }
        }
        o.phase = 'Failed';
        delete o.resuming;
        break;
      }
    }
  }

  // Traffic as KServe's Knative path makes it, and its changes as events.
  const tagRouting = isvc.metadata.annotations?.[TAG_ROUTING_ANNOTATION] === 'true';
  const host = (tag: string) => `http://${tag}-${isvc.metadata.name}-predictor.${namespace}.${ctx.domain}`;
  const t = trafficFor(
    isvc.spec?.predictor?.canaryTrafficPercent,
    {
      latestCreated: o.revision,
      latestReady: o.servingRevision,
      latestRolledout: o.latestRolledout,
      previousRolledout: o.previousRolledout,
    },
    tagRouting ? host : undefined,
  );
  o.latestRolledout = t.latestRolledout;
  o.previousRolledout = t.previousRolledout;
  if (o.latestRolledout === undefined) delete o.latestRolledout;
  if (o.previousRolledout === undefined) delete o.previousRolledout;
  const before = o.traffic;
  o.traffic = t.traffic;
  if (!o.resuming) events.push(...trafficEvents(before, t.traffic, wasReady, o.servingRevision));

  // Revisions that keep replicas: those in the traffic block, the latest created and the latest ready.
  const active = [
    ...new Set([
      ...t.traffic.map((x) => x.revisionName),
      o.revision,
      ...(o.servingRevision ? [o.servingRevision] : []),
    ]),
  ];
  const retired = new Set<string>();
  const starts: ReplicaAction[] = [];
  const routeInfo = new Map<string, { settings: ScaleSettings; desired: number }>();
  let desiredTotal = 0;
  let readyTotal = 0;
  for (const r of own) {
    if (!active.includes(r.revision)) retired.add(r.key);
  }
  for (const rev of active) {
    const revKey = revisionKey(rev);
    const spec = ctx.specOf?.(rev) ?? isvc;
    const settings = scaleSettingsOf(spec, ctx.scaleDefaults);
    const reps = replicasOf(rev).sort((a, b) => replicaIndexOf(revKey, a.key) - replicaIndexOf(revKey, b.key));
    const ready = reps.filter((r) => r.phase === 'Ready').length;
    const starting = reps.filter((r) => STARTING_PHASES.includes(r.phase)).length;
    const inTraffic = t.traffic.filter((x) => x.revisionName === rev);
    const routable = inTraffic.some((x) => x.percent > 0 || x.tag !== undefined);
    const failedFinal = rev === o.revision && o.phase === 'Failed' && reps.length === 0;
    let desired = failedFinal ? 0 : (ctx.scale ?? fixedScale)({ key: revKey, settings, ready, starting, routable });
    // A revision still being rolled out has its first replica started by the rollout, not here.
    const rolling = rev === o.revision && o.servingRevision !== o.revision && reps.length === 0;
    if (rolling) desired = Math.max(desired, 1);
    routeInfo.set(rev, { settings, desired });
    if (inTraffic.length > 0) {
      desiredTotal += desired;
      readyTotal += ready;
    }
    if (reps.length < desired && !rolling) {
      // More replicas: the first one again (scaled from zero, or a stable revision brought back); the others
      // only once the first is Ready (never multiply a model that does not load).
      const firstReady = reps.some((r) => r.phase === 'Ready');
      const taken = new Set(replicas.map((r) => r.key));
      let missing = desired - reps.length;
      for (let i = 0; missing > 0 && i < desired + taken.size + 1; i++) {
        const k = replicaKeyOf(revKey, i);
        if (taken.has(k)) continue;
        if (i > 0 && !firstReady) break;
        if (i === 0 && rev === o.revision && o.phase === 'Failed') break;
        starts.push({ type: 'start', key: k, revision: rev });
        missing--;
      }
    } else if (reps.length > desired) {
      // Fewer: failed ones first, then Ready ones from the last, keeping one Ready unless going to zero;
      // never one still starting or loading (it is removed once Ready, if still one too many).
      let extra = reps.length - desired;
      for (const r of reps.filter((x) => x.phase !== 'Ready' && !STARTING_PHASES.includes(x.phase))) {
        if (extra <= 0) break;
        retired.add(r.key);
        extra--;
      }
      let readyLeft = ready;
      const readyToKeep = desired === 0 ? 0 : Math.max(1, desired - starting);
      for (const r of reps.filter((x) => x.phase === 'Ready').reverse()) {
        if (extra <= 0 || readyLeft <= readyToKeep) break;
        retired.add(r.key);
        extra--;
        readyLeft--;
      }
    }
  }
  for (const r of own) if (retired.has(r.key)) actions.push({ type: 'retire', key: r.key, revision: r.revision });
  actions.push(...starts);
  for (const r of own) if (!retired.has(r.key)) actions.push({ type: 'keep', key: r.key, revision: r.revision });
  o.desiredReplicas = desiredTotal;
  o.readyReplicas = readyTotal;
  // Resumed after a restart: no status is written until every revision taking traffic is back (the stored
  // one says so already), so a restart does not flap the status through fewer replicas.
  const failing = own.some((r) => active.includes(r.revision) && ['Failed', 'BackOff'].includes(r.phase));
  if (o.resuming && o.phase === 'Ready' && (readyTotal >= desiredTotal || failing)) delete o.resuming;

  return {
    observed: o,
    actions,
    endpoint: endpointFor(
      isvc,
      o,
      own.filter((r) => !retired.has(r.key)),
      ctx.modelName,
      routeInfo,
    ),
    events,
    status: o.resuming ? undefined : statusToWrite(isvc, o, ctx),
    activeRevisions: active,
  };
}

const fixedScaleSource = new FixedScale();
const fixedScale = (input: RevisionScaleInput) => fixedScaleSource.observe(input);

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * The rollout state in the stored status, on the first pass after inferd started: the rolled-out revisions,
 * and the latest ready one when its spec is still known (it serves again while the latest one starts).
 */
function resumedRollout(isvc: InferenceService, latest: string, ctx: PlanContext): Partial<ObservedPredictor> {
  const p = isvc.status?.components?.predictor;
  if (!p) return {};
  const known = (rev: string | undefined) => rev !== undefined && (rev === latest || ctx.specOf?.(rev) !== undefined);
  const out: Partial<ObservedPredictor> = {};
  if (p.latestRolledoutRevision) out.latestRolledout = p.latestRolledoutRevision;
  if (p.previousRolledoutRevision) out.previousRolledout = p.previousRolledoutRevision;
  if (known(p.latestReadyRevision) && p.latestReadyRevision !== latest) out.servingRevision = p.latestReadyRevision;
  return out;
}

/** Events for a change of the traffic block: a revision Ready, a split, a promotion, a rollback. */
export function trafficEvents(
  before: TrafficTarget[] | undefined,
  after: TrafficTarget[],
  wasReady: string | undefined,
  latestReady: string | undefined,
): PlanEvent[] {
  const shares = sharesOf(after);
  const out: PlanEvent[] = [];
  if (latestReady && latestReady !== wasReady) {
    const share = shares.get(latestReady) ?? 0;
    out.push({
      type: 'Normal',
      reason: 'RevisionReady',
      message: `revision ${latestReady} is ready and receives ${share}% of traffic`,
    });
    if (share === 100 || !before?.length) return out;
  } else if (!before?.length || after.length === 0 || jsonEqual([...sharesOf(before)], [...shares])) {
    // What each revision receives did not change (Knative's entries may, e.g. while a canary is not Ready yet).
    return out;
  }
  const latest = after.find((x) => x.latestRevision);
  const text = [...shares].map(([rev, pct]) => `${rev} ${pct}%`).join(', ');
  if (latest && shares.get(latest.revisionName) === 100) {
    out.push({
      type: 'Normal',
      reason: 'Promoted',
      message: `revision ${latest.revisionName} receives 100% of traffic`,
    });
  } else if (latest?.percent === 0) {
    const to = after.find((x) => !x.latestRevision)?.revisionName;
    out.push({
      type: 'Normal',
      reason: 'RolledBack',
      message: `rolled back: ${to} receives 100% of traffic; latest revision ${latest.revisionName} keeps running with 0%`,
    });
  } else {
    out.push({ type: 'Normal', reason: 'TrafficSplit', message: `traffic split: ${text}` });
  }
  return out;
}

/** Percent per revision, in traffic order (entries of the same revision added up). */
function sharesOf(traffic: readonly TrafficTarget[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of traffic) m.set(t.revisionName, (m.get(t.revisionName) ?? 0) + t.percent);
  return m;
}

/** The status `o` gives `isvc`, or undefined when the stored one already says the same. */
export function statusToWrite(
  isvc: InferenceService,
  o: ObservedPredictor,
  ctx: Pick<PlanContext, 'now' | 'domain' | 'transformer' | 'explainer'>,
): InferenceServiceStatus | undefined {
  const status = computeStatus(isvc, o, {
    domain: ctx.domain,
    now: ctx.now,
    transformer: ctx.transformer,
    explainer: ctx.explainer,
  });
  return jsonEqual(status, isvc.status ?? {}) ? undefined : status;
}

/**
 * Where requests for the service go: one route per traffic target, with the Ready replicas of its revision.
 * A route with none is `activating` when a replica is (re)starting, about to start, or can be started on
 * demand (scaled to zero): requests are held for it (docs/operations.md) instead of a 503 at once; a
 * revision that never served and failed takes no traffic at all. `port`/`revision` name one Ready replica of
 * the main route (the largest share) for listings and readiness.
 */
function endpointFor(
  isvc: InferenceService,
  o: ObservedPredictor,
  replicas: readonly ReplicaView[],
  modelName: string,
  info: ReadonlyMap<string, { settings: ScaleSettings; desired: number }>,
): ServiceEndpoint {
  const namespace = isvc.metadata.namespace ?? 'default';
  const key = `${namespace}/${isvc.metadata.name}`;
  const timeout = isvc.spec?.predictor?.timeout;
  // Before any revision was Ready: the first one's route, held for while it rolls out (unless it failed).
  const traffic: TrafficTarget[] = o.traffic?.length
    ? o.traffic
    : o.phase === 'Failed'
      ? []
      : [{ revisionName: o.revision, percent: 100, latestRevision: true }];
  const routes: RevisionRoute[] = traffic.map((t) => {
    const revKey = `${key}/${t.revisionName}`;
    const reps = replicas.filter((r) => r.revision === t.revisionName || r.key === revKey);
    const ready = reps.filter((r) => r.phase === 'Ready' && r.port !== undefined);
    const i = info.get(t.revisionName);
    const restarting = reps.some((r) => RESTARTING_PHASES.includes(r.phase));
    return {
      revision: t.revisionName,
      key: revKey,
      percent: t.percent,
      ...(t.tag ? { tag: t.tag } : {}),
      latestRevision: t.latestRevision === true,
      replicas: ready.map((r) => ({ key: r.key, port: r.port as number, grpcPort: r.grpcPort })),
      activating:
        ready.length === 0 &&
        (restarting || (reps.length === 0 && ((i?.desired ?? 1) > 0 || i?.settings.minScale === 0))),
      containerConcurrency: i?.settings.containerConcurrency ?? 0,
      ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
    };
  });
  const main = routes.reduce<RevisionRoute | undefined>((a, r) => (!a || r.percent > a.percent ? r : a), undefined);
  const replica = main?.replicas[0];
  const port = replica?.port;
  const starting = port === undefined && routes.some((r) => r.activating);
  return {
    namespace,
    routes,
    name: isvc.metadata.name,
    modelName,
    port,
    grpcPort: port !== undefined ? replica?.grpcPort : undefined,
    revision: port !== undefined ? main?.revision : undefined,
    starting,
    reason: port === undefined ? (o.failure?.reason ?? o.phase) : undefined,
    message: port === undefined ? (o.failure?.message ?? `predictor is ${o.phase.toLowerCase()}`) : undefined,
  };
}

/** The stored status already says this revision is Ready: inferd restarted under a running service. */
function storedReadyFor(isvc: InferenceService, generation: number, revision: string): boolean {
  const st = isvc.status;
  return (
    st?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
    st.observedGeneration === generation &&
    st.components?.predictor?.latestReadyRevision === revision
  );
}

/**
 * The storage URI to fetch the predictor's model from. KServe's storage-config form (`storage: {key, path}`)
 * may stand in for storageUri: then '' (the fetcher builds it). Undefined: the spec names no model storage.
 */
export function storageUriOf(isvc: InferenceService): string | undefined {
  const model = isvc.spec?.predictor?.model;
  return model?.storageUri ?? (model?.storage?.path ? '' : containerStorageUri(isvc));
}

/**
 * KServe's IsMMSPredictor: a model predictor without storageUri (nor storage) is a multi-model server, started
 * with no model and filled by TrainedModels (docs/multi-model.md).
 */
export function isMultiModel(isvc: InferenceService): boolean {
  return isvc.spec?.predictor?.model !== undefined && storageUriOf(isvc) === undefined;
}

/** A spec no retry can serve (docs/compatibility.md, "A predictor without storageUri"), with its reason. */
export function specProblem(isvc: InferenceService): InferdError | undefined {
  if (storageUriOf(isvc) !== undefined || isMultiModel(isvc)) return undefined;
  const predictor = isvc.spec?.predictor;
  // A custom container without STORAGE_URI names no model to fetch: it runs as it is (containers.ts).
  if (!predictor?.model && predictor?.containers?.length) return undefined;
  return new InferdError(
    'UNSUPPORTED',
    'spec.predictor.model has no storageUri: KServe would start this runtime as a multi-model server with no ' +
      'model, to be filled by TrainedModel resources, which inferd does not serve yet; set ' +
      'spec.predictor.model.storageUri to where the model is (s3://, gs://, https://, pvc://, or a local path)',
    { reason: 'NoStorageUri', path: 'spec.predictor.model.storageUri' },
  );
}
