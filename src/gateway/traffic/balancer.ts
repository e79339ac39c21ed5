// Which replica of a revision takes a request: the one with the fewest requests in flight (Envoy's
// LEAST_REQUEST), ties broken by rotation so equal replicas share the load, ejected replicas skipped
// (unless every one is ejected), and none whose in-flight count is at the revision's containerConcurrency.
// Pure: the in-flight counts and the ejection test are passed in.

import type { ReplicaTarget, RevisionRoute } from '../../routing/endpoint-table.js';

/**
 * A replica with a free slot, or undefined when every replica is full (or there is none). `turn` is a
 * counter the caller increments per pick (the tie rotation).
 */
export function pickReplica(
  route: RevisionRoute,
  inFlight: (replicaKey: string) => number,
  ejected: (replicaKey: string) => boolean,
  turn: number,
): ReplicaTarget | undefined {
  const replicas = route.replicas;
  const n = replicas.length;
  const limit = route.containerConcurrency > 0 ? route.containerConcurrency : Number.POSITIVE_INFINITY;
  if (n === 1) {
    const only = replicas[0]!;
    return limit === Number.POSITIVE_INFINITY || inFlight(only.key) < limit ? only : undefined;
  }
  if (n === 0) return undefined;
  let best: ReplicaTarget | undefined;
  let bestLoad = Number.POSITIVE_INFINITY;
  let anyInRotation = false;
  const start = turn % n;
  // First pass skips ejected replicas; a second pass takes them when all are ejected.
  for (let pass = 0; pass < 2 && best === undefined; pass++) {
    for (let j = 0; j < n; j++) {
      const r = replicas[(start + j) % n]!;
      if (pass === 0) {
        if (ejected(r.key)) continue;
        anyInRotation = true;
      }
      const load = inFlight(r.key);
      if (load < limit && load < bestLoad) {
        best = r;
        bestLoad = load;
      }
    }
    if (anyInRotation) break;
  }
  return best;
}
