// The traffic block of a predictor as KServe's Knative path fills it: the ksvc reconciler's traffic targets
// from canaryTrafficPercent and the latest rolled-out revision, resolved the way Knative resolves
// `latestRevision: true` (to the latest *ready* revision), then PropagateStatus's rule for when a revision
// counts as rolled out. Pure.

import type { TrafficTarget } from '../../api/types.js';

export interface RolloutState {
  latestCreated: string;
  /** The newest revision that became Ready (undefined: none yet; nothing serves). */
  latestReady?: string;
  latestRolledout?: string;
  previousRolledout?: string;
}

export interface TrafficResult {
  traffic: TrafficTarget[];
  latestRolledout?: string;
  previousRolledout?: string;
}

/** KServe's annotation for per-tag hosts. */
export const TAG_ROUTING_ANNOTATION = 'serving.kserve.io/enable-tag-routing';

/**
 * Traffic for canaryTrafficPercent `canary` (undefined: not set) over `s`. `tagUrl(tag)` is the tag's host
 * URL; given only under tag routing.
 */
export function trafficFor(
  canary: number | undefined,
  s: RolloutState,
  tagUrl?: (tag: string) => string,
): TrafficResult {
  if (!s.latestReady)
    return { traffic: [], latestRolledout: s.latestRolledout, previousRolledout: s.previousRolledout };
  let state = { ...s };
  let traffic = resolve(canary, state, tagUrl);
  state = propagate(state, traffic);
  // A second pass converges at once (Knative would on its next reconcile, with the status just written).
  traffic = resolve(canary, state, tagUrl);
  state = propagate(state, traffic);
  return { traffic, latestRolledout: state.latestRolledout, previousRolledout: state.previousRolledout };
}

/** ksvc_reconciler's targets, with `latestRevision: true` resolved to the latest ready revision. */
function resolve(canary: number | undefined, s: RolloutState, tagUrl?: (tag: string) => string): TrafficTarget[] {
  const latestReady = s.latestReady as string;
  // The revision the rest goes to: the rolled-out one; when the latest revision itself is the rolled-out one
  // (canaryTrafficPercent set after a promotion: a rollback), the one before it.
  const stable = s.latestRolledout && s.latestRolledout === s.latestCreated ? s.previousRolledout : s.latestRolledout;
  if (canary === undefined || canary >= 100 || !stable) {
    return [{ revisionName: latestReady, percent: 100, latestRevision: true }];
  }
  const out: TrafficTarget[] = [{ revisionName: latestReady, percent: canary, latestRevision: true }];
  if (100 - canary > 0) out.push({ revisionName: stable, percent: 100 - canary, latestRevision: false });
  if (tagUrl) {
    out[0] = { ...out[0]!, tag: 'latest', url: tagUrl('latest') };
    if (out[1]) out[1] = { ...out[1], tag: 'prev', url: tagUrl('prev') };
  }
  return out;
}

/** PropagateStatus: the latest ready revision is rolled out once it has 100%; back to the previous one if not. */
function propagate(s: RolloutState, traffic: readonly TrafficTarget[]): RolloutState {
  const latestReady = s.latestReady as string;
  let total = 0;
  for (const t of traffic) if (t.revisionName === latestReady) total += t.percent;
  const out = { ...s };
  if (s.latestRolledout !== latestReady) {
    if (total === 100) {
      out.previousRolledout = s.latestRolledout;
      out.latestRolledout = latestReady;
    }
  } else if (latestReady === s.latestCreated && total < 100) {
    out.latestRolledout = s.previousRolledout;
  }
  return out;
}
