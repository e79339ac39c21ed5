// Which revision a request goes to: smooth weighted round-robin over the routes' `percent` (nginx's
// algorithm). Deterministic, so any run of N requests splits within one request of N×percent/100 per route:
// 10,000 requests at 20/80 land exactly 2,000/8,000 (no random drift to test around). Pure but for the
// per-routes-array state, which is dropped with the array when the controller publishes new routes.

import type { RevisionRoute } from '../../routing/endpoint-table.js';

const state = new WeakMap<readonly RevisionRoute[], Float64Array>();

/** A route that can answer: a ready replica, or one starting (held for). */
const live = (r: RevisionRoute) => r.replicas.length > 0 || r.activating;

/**
 * The route for the next untagged request; undefined when no route has a share (percent > 0). A route with
 * a share but no replica and none starting (a revision that failed) gets none while another can answer.
 */
export function pickWeighted(routes: readonly RevisionRoute[]): RevisionRoute | undefined {
  if (routes.length === 1) return routes[0]!.percent > 0 ? routes[0] : undefined;
  let current = state.get(routes);
  if (current === undefined) {
    current = new Float64Array(routes.length);
    state.set(routes, current);
  }
  let anyLive = false;
  for (const r of routes) if (r.percent > 0 && live(r)) anyLive = true;
  let total = 0;
  let best = -1;
  for (let i = 0; i < routes.length; i++) {
    const w = routes[i]!.percent;
    if (!(w > 0) || (anyLive && !live(routes[i]!))) continue;
    current[i]! += w;
    total += w;
    if (best < 0 || current[i]! > current[best]!) best = i;
  }
  if (best < 0) return undefined;
  current[best]! -= total;
  return routes[best];
}

/** The route a tag host (`latest-…`, `prev-…`) reaches; undefined when no route carries the tag. */
export function pickTagged(routes: readonly RevisionRoute[], tag: string): RevisionRoute | undefined {
  for (const r of routes) if (r.tag === tag) return r;
  return undefined;
}
