// What a control-API request asks to do, as an authorization Action: the verb from the method (and
// `?watch`), the resource from the path. Pure (test/auth/control-request.test.ts).

import { parseApiPath, rbacVerb } from '../apiserver/routes.js';
import type { Action } from './roles.js';

export const TOKENS_PREFIX = '/apis/auth.inferd.dev/v1/tokens';

export type ControlRequest =
  | { type: 'open' } // health and readiness probes
  | { type: 'authenticated' } // discovery, /version, OpenAPI, unknown paths: any valid identity
  | { type: 'action'; action: Action };

const LOG_RE = /^\/apis\/serving\.kserve\.io\/v1beta1\/namespaces\/([^/]+)\/inferenceservices\/[^/]+\/log$/;

/** Classifies a request the control API owns; undefined for paths it does not (model routes). */
export function classifyControlRequest(
  method: string,
  pathname: string,
  query: URLSearchParams,
): ControlRequest | undefined {
  if (pathname === TOKENS_PREFIX || pathname.startsWith(`${TOKENS_PREFIX}/`)) {
    return {
      type: 'action',
      action: { verb: rbacVerb(method, pathname === TOKENS_PREFIX, query), resource: 'tokens' },
    };
  }
  const log = LOG_RE.exec(pathname);
  if (log) {
    let namespace: string;
    try {
      namespace = decodeURIComponent(log[1]!);
    } catch {
      return { type: 'authenticated' };
    }
    return { type: 'action', action: { verb: 'get', resource: 'inferenceservices/log', namespace } };
  }
  const route = parseApiPath(pathname);
  if (!route) return pathname.startsWith('/api') ? { type: 'authenticated' } : undefined;
  if (route.type === 'healthz' || route.type === 'readyz') return { type: 'open' };
  if (route.type !== 'collection' && route.type !== 'object') return { type: 'authenticated' };
  const sub = route.type === 'object' && route.subresource ? `/${route.subresource}` : '';
  const resource = route.kind.plural + sub;
  const verb = rbacVerb(method, route.type === 'collection', query);
  // A namespace object is read as part of its namespace (a team may see its own Namespace, not others').
  const namespace =
    route.kind.kind === 'Namespace' && route.type === 'object' && (verb === 'get' || verb === 'watch')
      ? route.name
      : route.namespace;
  return { type: 'action', action: { verb, resource, namespace } };
}
