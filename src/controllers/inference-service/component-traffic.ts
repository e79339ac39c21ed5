// The traffic of a transformer or explainer across its revisions: KServe gives each component its own Knative
// service, so `spec.transformer.canaryTrafficPercent` splits the transformer's traffic between its previous and
// latest revisions exactly as the predictor's does (traffic.ts), and `status.components.transformer` carries its
// own traffic block and rolled-out revisions. Pure: the controller keeps the result for the next pass.

import type { TrafficTarget } from '../../api/types.js';
import { trafficFor } from './traffic.js';

/** One component's rollout, as KServe's ComponentStatusSpec names it (revision names, not keys). */
export interface ComponentRollout {
  latestCreated: string;
  /** The newest revision that was ever Ready (undefined: none yet; the latest one is being rolled out). */
  latestReady?: string;
  latestRolledout?: string;
  previousRolledout?: string;
  traffic: TrafficTarget[];
}

/**
 * The component's traffic for this pass. `latestIsReady`: the latest created revision has been Ready (it may be
 * scaled to zero since); `known(rev)`: the controller can still run `rev` (its spec is kept), so a revision it
 * forgot never gets traffic. `tagUrl` only under tag routing (`latest-`/`prev-` hosts).
 */
export function planComponentTraffic(
  prev: ComponentRollout | undefined,
  latestCreated: string,
  latestIsReady: boolean,
  canary: number | undefined,
  known: (rev: string) => boolean,
  tagUrl?: (tag: string) => string,
): ComponentRollout {
  const keep = (rev: string | undefined) => (rev !== undefined && known(rev) ? rev : undefined);
  const latestReady = latestIsReady ? latestCreated : keep(prev?.latestReady);
  const t = trafficFor(
    canary,
    {
      latestCreated,
      latestReady,
      latestRolledout: keep(prev?.latestRolledout),
      previousRolledout: keep(prev?.previousRolledout),
    },
    tagUrl,
  );
  return {
    latestCreated,
    ...(latestReady !== undefined ? { latestReady } : {}),
    ...(t.latestRolledout !== undefined ? { latestRolledout: t.latestRolledout } : {}),
    ...(t.previousRolledout !== undefined ? { previousRolledout: t.previousRolledout } : {}),
    traffic: t.traffic,
  };
}
