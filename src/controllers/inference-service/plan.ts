// What the controller should do for one InferenceService, decided without doing it: a pure function of the
// spec, what the controller observed so far and the service's replicas, with the time passed in. The
// controller (controller.ts) is the shell that applies the plan: starts rollouts, retires replicas, records
// events, writes the status, publishes the endpoint.
//
// Each action names a revision, and the endpoint is derived from the revision that serves: traffic splits
// (canaryTrafficPercent), scaling and extra components (transformer) plug in here as more actions and a
// per-revision share of the endpoint, not as more concerns in the shell.

import type { InferenceService, InferenceServiceStatus } from '../../api/types.js';
import { InferdError } from '../../errors.js';
import type { RevisionRoute, ServiceEndpoint } from '../../routing/endpoint-table.js';
import { jsonEqual } from '../../store/deep-equal.js';
import type { ReplicaView } from '../replicas/replica-manager.js';
import { type ObservedPredictor, revisionName } from './observed.js';
import { computeStatus } from './status.js';

export interface PlanContext {
  /** The time a new condition or failure is stamped with (RFC 3339, seconds). */
  now: string;
  /** Domain of the service URLs (`http://{name}.{namespace}.{domain}`). */
  domain: string;
  /** The model name the predictor serves under (servedModelName). */
  modelName: string;
}

/** KServe's CheckResult idea, per revision: what to do with its replica. */
export type ReplicaAction =
  /** Roll the revision out: fetch its model, then start its replica. */
  | { type: 'create'; revision: string; generation: number }
  /** The replica stays as it is. */
  | { type: 'keep'; key: string; revision: string }
  /** The replica is stopped: a newer revision took all the traffic. */
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
}

/** Replica phases of a serving revision that is being restarted: requests are held for it, not refused. */
const RESTARTING_PHASES: readonly string[] = ['BackOff', 'Exited', 'Starting', 'Loading'];

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
  const own = replicas.filter((r) => r.key.startsWith(`${key}/`));
  const generation = isvc.metadata.generation ?? 1;
  const events: PlanEvent[] = [];
  const actions: ReplicaAction[] = [];

  let o: ObservedPredictor;
  if (!observed || observed.generation !== generation) {
    // A new generation: a new revision, Downloading; the old one keeps serving until the new one is Ready.
    const revision = revisionName(isvc.metadata.name, generation);
    o = { revision, generation, phase: 'Downloading', servingRevision: observed?.servingRevision, restarts: 0 };
    if (observed) {
      events.push({
        type: 'Normal',
        reason: 'RevisionCreated',
        message: `created revision ${revision} for generation ${generation}`,
      });
    }
    const problem = specProblem(isvc);
    if (problem) {
      // Final until the spec changes: retrying cannot help.
      const reason = String(problem.details.reason);
      o.phase = 'Failed';
      o.failure = { reason, message: problem.message, time: ctx.now };
      events.push({ type: 'Warning', reason, message: problem.message });
    } else {
      if (!observed && storedReadyFor(isvc, generation, revision)) o.resuming = true;
      actions.push({ type: 'create', revision, generation });
    }
  } else {
    o = { ...observed };
  }

  const retired = new Set<string>();
  const current = own.find((r) => r.key === `${key}/${o.revision}`);
  if (current) {
    o.restarts = current.restarts;
    switch (current.phase) {
      case 'Ready': {
        const wasServing = o.servingRevision;
        o.phase = 'Ready';
        delete o.failure;
        delete o.resuming;
        o.servingRevision = o.revision;
        if (wasServing !== o.revision) {
          events.push({
            type: 'Normal',
            reason: 'RevisionReady',
            message: `revision ${o.revision} is ready and receives 100% of traffic`,
          });
          for (const r of own) {
            if (r.key === current.key) continue;
            actions.push({ type: 'retire', key: r.key, revision: r.revision });
            retired.add(r.key);
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
          // The first time of a failure is kept while the replica retries: a Pod's lastState, not a heartbeat.
          o.failure = { reason: f.reason, message: f.message, exitCode: f.exitCode, time: o.failure?.time ?? ctx.now };
          o.lastTermination = o.failure;
          if (changed) events.push({ type: 'Warning', reason: f.reason, message: f.message });
        }
        o.phase = 'Failed';
        delete o.resuming;
        break;
      }
    }
  }
  for (const r of own) if (!retired.has(r.key)) actions.push({ type: 'keep', key: r.key, revision: r.revision });

  return {
    observed: o,
    actions,
    endpoint: endpointFor(isvc, o, own, ctx.modelName),
    events,
    status: o.resuming ? undefined : statusToWrite(isvc, o, ctx),
  };
}

/** The status `o` gives `isvc`, or undefined when the stored one already says the same. */
export function statusToWrite(
  isvc: InferenceService,
  o: ObservedPredictor,
  ctx: Pick<PlanContext, 'now' | 'domain'>,
): InferenceServiceStatus | undefined {
  const status = computeStatus(isvc, o, { domain: ctx.domain, now: ctx.now });
  return jsonEqual(status, isvc.status ?? {}) ? undefined : status;
}

/**
 * Where requests for the service go: the serving revision's replica while it is Ready. A replica that
 * served and crashed is being restarted (back-off, then start): the endpoint says "starting" so requests
 * are held for it (docs/operations.md) instead of a 503 at once; a revision that never served and failed
 * answers 503.
 */
function endpointFor(
  isvc: InferenceService,
  o: ObservedPredictor,
  replicas: readonly ReplicaView[],
  modelName: string,
): ServiceEndpoint {
  const namespace = isvc.metadata.namespace ?? 'default';
  const key = `${namespace}/${isvc.metadata.name}`;
  const serving = o.servingRevision ? replicas.find((r) => r.key === `${key}/${o.servingRevision}`) : undefined;
  const port = serving?.phase === 'Ready' ? serving.port : undefined;
  const restarting =
    serving !== undefined && o.servingRevision === o.revision && RESTARTING_PHASES.includes(serving.phase);
  const failed = o.phase === 'Failed' && port === undefined && !restarting;
  const routes: RevisionRoute[] = o.servingRevision
    ? [
        {
          revision: o.servingRevision,
          key: `${key}/${o.servingRevision}`,
          percent: 100,
          latestRevision: o.servingRevision === o.revision,
          replicas: port !== undefined && serving ? [{ key: serving.key, port, grpcPort: serving.grpcPort }] : [],
          activating: port === undefined && !failed,
          containerConcurrency: 0,
        },
      ]
    : [];
  return {
    namespace,
    routes,
    name: isvc.metadata.name,
    modelName,
    port,
    grpcPort: port !== undefined ? serving?.grpcPort : undefined,
    revision: port !== undefined ? o.servingRevision : undefined,
    starting: port === undefined && !failed,
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
  return model?.storageUri ?? (model?.storage?.path ? '' : undefined);
}

/** A spec no retry can serve (docs/compatibility.md, "A predictor without storageUri"), with its reason. */
export function specProblem(isvc: InferenceService): InferdError | undefined {
  if (storageUriOf(isvc) !== undefined) return undefined;
  const predictor = isvc.spec?.predictor;
  if (!predictor?.model && predictor?.containers) {
    return new InferdError('UNSUPPORTED', 'spec.predictor.containers: inferd does not run custom containers yet', {
      reason: 'Unsupported',
      path: 'spec.predictor.containers',
    });
  }
  return new InferdError(
    'UNSUPPORTED',
    'spec.predictor.model has no storageUri: KServe would start this runtime as a multi-model server with no ' +
      'model, to be filled by TrainedModel resources, which inferd does not serve yet; set ' +
      'spec.predictor.model.storageUri to where the model is (s3://, gs://, https://, pvc://, or a local path)',
    { reason: 'NoStorageUri', path: 'spec.predictor.model.storageUri' },
  );
}
