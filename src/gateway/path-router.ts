// Path-based routing for requests whose Host names no service (curl localhost:8080/...): the model name in
// `/v1/models/{name}[:verb]`, `/v2/models/{name}[/...]` and `/v2/repository/models/{name}/{load|unload}`, and
// KServe's path template `/serving/{ns}/{name}/...`.
// Pure functions over the raw URL; no regexes on the hot path.

import type { ServiceEndpoint } from '../routing/endpoint-table.js';

/** The model name a V1/V2 path addresses, or undefined. */
export function modelNameFromPath(url: string): string | undefined {
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  let rest: string;
  if (path.startsWith('/v1/models/')) rest = path.slice(11);
  else if (path.startsWith('/v2/models/')) rest = path.slice(11);
  else if (path.startsWith('/v2/repository/models/')) rest = path.slice(22);
  else return undefined;
  let end = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 47 /* / */ || (c === 58 /* : */ && path.startsWith('/v1/'))) {
      end = i;
      break;
    }
  }
  const name = rest.slice(0, end);
  return name ? decodeURIComponent(name) : undefined;
}

export interface PathTemplateTarget {
  namespace: string;
  name: string;
  /** The path to forward, starting with `/`. */
  path: string;
}

/** `/serving/{ns}/{name}/v1/models/...` → target and the forwarded path. */
export function parseServingPath(url: string): PathTemplateTarget | undefined {
  if (!url.startsWith('/serving/')) return undefined;
  const parts = url.slice(9).split('/');
  if (parts.length < 2 || !parts[0] || !parts[1]) return undefined;
  const [namespace, name, ...rest] = parts as [string, string, ...string[]];
  return { namespace, name, path: `/${rest.join('/')}` };
}

/**
 * The service a model name routes to when several namespaces serve it: the one with a ready replica, else
 * the one starting (held for), else the one in `default`; undefined when that still leaves a choice (the
 * caller answers 400 naming the Hosts). A failing service elsewhere never hides a working one.
 */
export function pickByModelName(matches: readonly ServiceEndpoint[]): ServiceEndpoint | undefined {
  if (matches.length === 1) return matches[0];
  let ready: ServiceEndpoint | undefined;
  let readyCount = 0;
  let starting: ServiceEndpoint | undefined;
  let startingCount = 0;
  for (const m of matches) {
    if (m.port !== undefined) {
      ready = m;
      readyCount++;
    } else if (m.starting) {
      starting = m;
      startingCount++;
    }
  }
  if (readyCount === 1) return ready;
  if (readyCount === 0 && startingCount === 1) return starting;
  const tier = readyCount > 0 ? matches.filter((m) => m.port !== undefined) : matches;
  return tier.find((m) => m.namespace === 'default');
}

/** `/v2/repository/models/{name}/load|unload`: the repository calls that change what a replica serves. */
export function isRepositoryChange(path: string): boolean {
  if (!path.startsWith('/v2/repository/models/')) return false;
  const q = path.indexOf('?');
  const p = q >= 0 ? path.slice(0, q) : path;
  return p.endsWith('/load') || p.endsWith('/unload');
}
