// Hand-made routes for the traffic tests (what the controller would publish).

import type { ReplicaTarget, RevisionRoute } from '../../../src/routing/endpoint-table.js';

export function route(
  revision: string,
  percent: number,
  replicas: Array<Partial<ReplicaTarget> & { port: number }> = [],
  extra: Partial<RevisionRoute> = {},
): RevisionRoute {
  const key = `default/svc/${revision}`;
  return {
    revision,
    key,
    percent,
    latestRevision: false,
    replicas: replicas.map((r, i) => ({ key: `${key}/${i}`, ...r })),
    activating: false,
    containerConcurrency: 0,
    ...extra,
  };
}
