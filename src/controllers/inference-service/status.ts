// Computes an InferenceService's status from what the controller observed, KServe-shaped: url, address,
// conditions (IngressReady, PredictorReady, Ready), components.predictor, modelStatus. Pure: the controller
// writes the result only when it differs, so an unchanged world never bumps resourceVersion.

import { setCondition } from '../../api/conditions.js';
import type { Condition, InferenceService, InferenceServiceStatus, ModelState } from '../../api/types.js';
import type { ComponentRollout } from './component-traffic.js';
import type { DownloadProgress, ObservedPredictor } from './observed.js';

export interface StatusContext {
  domain: string;
  now: string;
  /** The transformer's state when the service has one (spec.transformer): Ready needs both components. */
  transformer?: TransformerState;
  /** The explainer's state when the service has one (spec.explainer.containers). */
  explainer?: TransformerState;
}

/** What the controller observed of a service's transformer (docs/containers.md). */
export interface TransformerState {
  phase: 'Loading' | 'Ready' | 'Failed';
  reason?: string;
  message?: string;
  restarts: number;
  /** Its revisions and traffic (canaryTrafficPercent on the component); undefined before the first pass. */
  rollout?: ComponentRollout;
}

/** A transformer's or explainer's revisions and traffic block, KServe's ComponentStatusSpec fields. */
function rolloutStatus(r: ComponentRollout | undefined) {
  if (!r) return {};
  return {
    latestCreatedRevision: r.latestCreated,
    ...(r.latestReady ? { latestReadyRevision: r.latestReady } : {}),
    ...(r.latestRolledout ? { latestRolledoutRevision: r.latestRolledout } : {}),
    ...(r.previousRolledout ? { previousRolledoutRevision: r.previousRolledout } : {}),
    traffic: r.traffic,
  };
}

const PHASE_REASON: Record<string, string> = {
  Pending: 'Pending',
  Downloading: 'Downloading',
  Loading: 'Loading',
  Restarting: 'ReplicaRestarting',
};

export function computeStatus(
  isvc: InferenceService,
  obs: ObservedPredictor,
  ctx: StatusContext,
): InferenceServiceStatus {
  const name = isvc.metadata.name;
  const ns = isvc.metadata.namespace ?? 'default';
  const prev = isvc.status ?? {};
  const ready = obs.phase === 'Ready';
  const serving = obs.servingRevision;

  let conditions: Condition[] = prev.conditions ?? [];
  const predictorReason = obs.failure?.reason ?? PHASE_REASON[obs.phase] ?? obs.phase;
  const predictorMessage = ready ? undefined : predictorMessageFor(obs);
  conditions = setCondition(
    conditions,
    ready
      ? { type: 'PredictorReady', status: 'True' }
      : {
          type: 'PredictorReady',
          status: obs.phase === 'Failed' ? 'False' : 'Unknown',
          reason: predictorReason,
          message: predictorMessage,
        },
    ctx.now,
  );
  conditions = setCondition(
    conditions,
    serving
      ? { type: 'IngressReady', status: 'True' }
      : {
          type: 'IngressReady',
          status: 'False',
          reason: 'PredictorNotReady',
          message: 'no revision is ready to receive traffic',
        },
    ctx.now,
  );
  for (const [type, state, what] of [
    ['TransformerReady', ctx.transformer, 'transformer'],
    ['ExplainerReady', ctx.explainer, 'explainer'],
  ] as const) {
    if (!state) {
      conditions = conditions.filter((c) => c.type !== type);
      continue;
    }
    conditions = setCondition(
      conditions,
      state.phase === 'Ready'
        ? { type, status: 'True' }
        : {
            type,
            status: state.phase === 'Failed' ? 'False' : 'Unknown',
            reason: state.reason ?? `${type.replace('Ready', '')}Loading`,
            message: state.message ?? `${what} is starting`,
          },
      ctx.now,
    );
  }
  // With a transformer or explainer, Ready needs every component; the predictor's reason first, then theirs.
  const notReady = (['transformer', 'explainer'] as const).find((c) => ctx[c] && ctx[c]?.phase !== 'Ready');
  const t = notReady ? { ...(ctx[notReady] as TransformerState), what: notReady } : undefined;
  const transformerBlocks = t !== undefined && ready && serving;
  conditions = setCondition(
    conditions,
    ready && serving && !transformerBlocks
      ? { type: 'Ready', status: 'True' }
      : transformerBlocks
        ? {
            type: 'Ready',
            status: t.phase === 'Failed' ? 'False' : 'Unknown',
            reason: t.reason ?? 'TransformerLoading',
            message: `${t.what}: ${t.message ?? 'starting'}`,
          }
        : {
            type: 'Ready',
            status: obs.phase === 'Failed' ? 'False' : 'Unknown',
            reason: predictorReason,
            message: predictorMessage,
          },
    ctx.now,
  );
  conditions = [...conditions].sort((a, b) => a.type.localeCompare(b.type));

  const active: ModelState = serving
    ? 'Loaded'
    : obs.phase === 'Failed'
      ? 'FailedToLoad'
      : obs.phase === 'Pending'
        ? 'Pending'
        : 'Loading';
  const target: ModelState = obs.phase === 'Failed' ? 'FailedToLoad' : obs.phase === 'Ready' ? 'Loaded' : 'Loading';
  // A restarted replica that is Ready again still shows why it last ended (OOMKilled, ...), as a Pod's lastState.
  const lastFailure = obs.failure ?? obs.lastTermination;
  const url = `http://${name}.${ns}.${ctx.domain}`;
  const status: InferenceServiceStatus = {
    observedGeneration: obs.generation,
    url,
    address: { url: `http://${name}.${ns}.svc.cluster.local` },
    conditions,
    components: {
      predictor: {
        url: `http://${name}-predictor.${ns}.${ctx.domain}`,
        address: { url: `http://${name}-predictor.${ns}.svc.cluster.local` },
        latestCreatedRevision: obs.revision,
        ...(serving ? { latestReadyRevision: serving } : {}),
        ...(obs.latestRolledout ? { latestRolledoutRevision: obs.latestRolledout } : {}),
        ...(obs.previousRolledout ? { previousRolledoutRevision: obs.previousRolledout } : {}),
        traffic: obs.traffic ?? [],
        ...(obs.desiredReplicas !== undefined ? { desiredReplicas: obs.desiredReplicas } : {}),
        ...(obs.readyReplicas !== undefined ? { readyReplicas: obs.readyReplicas } : {}),
        restartCount: obs.restarts,
      },
      ...(ctx.transformer
        ? {
            transformer: {
              url: `http://${name}-transformer.${ns}.${ctx.domain}`,
              address: { url: `http://${name}-transformer.${ns}.svc.cluster.local` },
              ...rolloutStatus(ctx.transformer.rollout),
              restartCount: ctx.transformer.restarts,
            },
          }
        : {}),
      ...(ctx.explainer
        ? {
            explainer: {
              url: `http://${name}-explainer.${ns}.${ctx.domain}`,
              address: { url: `http://${name}-explainer.${ns}.svc.cluster.local` },
              ...rolloutStatus(ctx.explainer.rollout),
              restartCount: ctx.explainer.restarts,
            },
          }
        : {}),
    },
    modelStatus: {
      transitionStatus:
        obs.phase === 'Ready' ? 'UpToDate' : obs.phase === 'Failed' ? 'BlockedByFailedLoad' : 'InProgress',
      states: { activeModelState: active, targetModelState: target },
      ...(lastFailure
        ? {
            lastFailureInfo: {
              reason: lastFailure.reason,
              message: lastFailure.message,
              time: lastFailure.time,
              ...(lastFailure.exitCode !== undefined && lastFailure.exitCode !== null
                ? { exitCode: lastFailure.exitCode }
                : {}),
            },
          }
        : {}),
      copies: { failedCopies: obs.phase === 'Failed' ? 1 : 0, totalCopies: 1 },
    },
  };
  return status;
}

function predictorMessageFor(obs: ObservedPredictor): string {
  if (obs.failure) return obs.failure.message;
  switch (obs.phase) {
    case 'Downloading':
      return obs.progress ? `downloading model: ${describeProgress(obs.progress)}` : 'downloading model';
    case 'Loading':
      return `loading revision ${obs.revision}`;
    case 'Restarting':
      return `replica of ${obs.revision} is restarting`;
    default:
      return `waiting for revision ${obs.revision}`;
  }
}

/** `12.3 MiB of 50.0 MiB (8.1 MiB/s, ETA 5s)`; without a known total, `12.3 MiB (8.1 MiB/s)`. */
export function describeProgress(p: DownloadProgress): string {
  const total = p.totalBytes !== undefined ? ` of ${formatBytes(p.totalBytes)}` : '';
  const extra: string[] = [];
  if (p.rateBytesPerSec !== undefined) extra.push(`${formatBytes(p.rateBytesPerSec)}/s`);
  if (p.etaSec !== undefined && p.totalBytes !== undefined && p.bytes < p.totalBytes) {
    extra.push(`ETA ${p.etaSec < 1 ? '<1s' : formatSeconds(p.etaSec)}`);
  }
  return `${formatBytes(p.bytes)}${total}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

/** Binary units with one decimal: `512 B`, `1.5 KiB`, `12.3 MiB`, `2.0 GiB`. */
export function formatBytes(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (n < 1023.5) return `${Math.round(n)} B`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1023.95 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** `5s`, `2m05s`, `1h02m`. */
export function formatSeconds(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
