// The control API's URL space, derived from the KINDS table (never written out by hand):
//
//   /api/v1/{plural}[/{name}[/status]]                          core, cluster-scoped (namespaces)
//   /api/v1/namespaces/{ns}/{plural}[/{name}[/status]]          core, namespaced (secrets, events, ...)
//   /api/v1/{plural}                                            namespaced kinds across all namespaces
//   /apis/{group}/{version}/...                                 the same shapes for group kinds
//   /api, /api/v1, /apis, /apis/{group}[/{version}]             discovery; /version, /healthz
//   /openapi/v2, /openapi/v3[/{api/v1 | apis/{group}/{version}}]   OpenAPI documents (openapi.ts)
//
// parseApiPath is pure: path in, route out. `undefined` means "not ours" (the gateway tries others).

import { KINDS, type KindInfo } from '../api/types.js';

export type ApiRoute =
  | { type: 'healthz' }
  | { type: 'readyz' }
  | { type: 'version' }
  | { type: 'discovery'; path: string[] }
  | { type: 'openapi'; version: 'v2' | 'v3'; groupVersion?: string }
  | { type: 'collection'; kind: KindInfo; namespace?: string }
  | { type: 'object'; kind: KindInfo; namespace?: string; name: string; subresource?: 'status' }
  | { type: 'not-found'; message: string; resource?: string; group?: string };

/** Kubernetes' RBAC verbs for the control API's requests. */
export type RbacVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/**
 * The RBAC verb of a request, as Kubernetes names it (HEAD reads like GET). One definition for the gateway's
 * authorization and the API server's own `forbid` hook, so both judge a request the same way. An unknown
 * method is refused by the handler anyway; it is judged as a write.
 */
export function rbacVerb(method: string | undefined, isCollection: boolean, query: URLSearchParams): RbacVerb {
  switch (method) {
    case 'GET':
    case 'HEAD': {
      const watch = query.get('watch');
      return watch === 'true' || watch === '1' ? 'watch' : isCollection ? 'list' : 'get';
    }
    case 'POST':
      return 'create';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return isCollection ? 'deletecollection' : 'delete';
    default: // PUT, and whatever else
      return 'update';
  }
}

/** `/api/v1` or `/apis/serving.kserve.io/v1beta1`: where a kind's group-version is served. */
export function groupVersionPrefix(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

type KindTable = ReadonlyMap<string, ReadonlyMap<string, KindInfo>>;

/** Kinds by group-version path prefix, then by plural. */
function buildTable(kinds: readonly KindInfo[]): KindTable {
  const table = new Map<string, Map<string, KindInfo>>();
  for (const k of kinds) {
    const prefix = groupVersionPrefix(k.apiVersion);
    if (!table.has(prefix)) table.set(prefix, new Map());
    table.get(prefix)!.set(k.plural, k);
  }
  return table;
}

const TABLE: KindTable = buildTable(KINDS);
/** Tables with storage-only kinds added (api/kube-kinds.ts), one per list given. */
const EXTENDED = new WeakMap<readonly KindInfo[], KindTable>();

function tableFor(extra: readonly KindInfo[] | undefined): KindTable {
  if (!extra?.length) return TABLE;
  let t = EXTENDED.get(extra);
  if (!t) {
    t = buildTable([...KINDS, ...extra]);
    EXTENDED.set(extra, t);
  }
  return t;
}

/** True for the paths the control API owns, whether or not they name something that exists. */
export function ownsPath(pathname: string): boolean {
  return (
    pathname === '/api' ||
    pathname === '/apis' ||
    pathname.startsWith('/api/') ||
    pathname.startsWith('/apis/') ||
    pathname === '/version' ||
    pathname === '/healthz' ||
    pathname === '/readyz' ||
    pathname === '/openapi/v2' ||
    pathname === '/openapi/v3' ||
    pathname.startsWith('/openapi/v3/')
  );
}

const NOT_FOUND = 'the server could not find the requested resource';

function unknownResource(plural: string, gv: string): ApiRoute {
  const group = gv.includes('/') ? gv.split('/')[0] : '';
  return {
    type: 'not-found',
    message: `the server doesn't have a resource type "${plural}" in ${gv}`,
    resource: plural,
    group,
  };
}

/**
 * Resolves a decoded URL path (`extraKinds`: storage-only kinds served besides KINDS). Returns undefined for paths the control API does not serve (including
 * unknown subresources such as `/log`, which another handler may own).
 */
export function parseApiPath(pathname: string, extraKinds?: readonly KindInfo[]): ApiRoute | undefined {
  if (pathname === '/healthz') return { type: 'healthz' };
  if (pathname === '/readyz') return { type: 'readyz' };
  if (pathname === '/version') return { type: 'version' };
  if (!ownsPath(pathname)) return undefined;
  if (pathname === '/openapi/v2') return { type: 'openapi', version: 'v2' };
  if (pathname === '/openapi/v3') return { type: 'openapi', version: 'v3' };
  if (pathname.startsWith('/openapi/v3/'))
    return { type: 'openapi', version: 'v3', groupVersion: pathname.slice('/openapi/v3/'.length) };
  let segs: string[];
  try {
    segs = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return { type: 'not-found', message: NOT_FOUND };
  }
  const gvLength = segs[0] === 'api' ? 2 : 3;
  if (segs.length <= gvLength) return { type: 'discovery', path: segs };
  const prefix = `/${segs.slice(0, gvLength).join('/')}`;
  const kinds = tableFor(extraKinds).get(prefix);
  const gv = segs.slice(1, gvLength).join('/');
  if (!kinds) return { type: 'not-found', message: `${NOT_FOUND}: no API group-version ${gv}` };
  const rest = segs.slice(gvLength);

  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const kind = kinds.get(rest[2]!);
    if (kind?.namespaced) {
      if (rest.length === 3) return { type: 'collection', kind, namespace: rest[1]! };
      return rest.length > 5 ? undefined : objectRoute(kind, rest[1]!, rest[3]!, rest[4]);
    }
    if (kind) return { type: 'not-found', message: `${NOT_FOUND}: ${kind.plural} are not namespaced` };
    // /api/v1/namespaces/{name}/status: the Namespace object's own status subresource.
    const namespaces = kinds.get('namespaces');
    if (namespaces && rest.length === 3 && rest[2] === 'status')
      return objectRoute(namespaces, undefined, rest[1]!, 'status');
    return unknownResource(rest[2]!, gv);
  }

  const kind = kinds.get(rest[0]!);
  if (!kind) return unknownResource(rest[0]!, gv);
  if (rest.length === 1) return { type: 'collection', kind };
  if (kind.namespaced) return { type: 'not-found', message: `${NOT_FOUND}: ${kind.plural} are namespaced` };
  if (rest.length > 3) return undefined;
  return objectRoute(kind, undefined, rest[1]!, rest[2]);
}

function objectRoute(kind: KindInfo, namespace: string | undefined, name: string, sub: string | undefined) {
  if (sub === undefined) return { type: 'object' as const, kind, namespace, name };
  if (sub === 'status' && kind.hasStatus)
    return { type: 'object' as const, kind, namespace, name, subresource: 'status' as const };
  return undefined;
}
