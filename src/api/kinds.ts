// Which kinds inferd serves (the KINDS table in types.ts) and the checks an object's kind/apiVersion must pass
// before anything else looks at it — the equivalent of the API server's "no matches for kind" errors.

import { InferdError } from '../errors.js';
import { describe } from './json-path.js';
import { suggest } from './suggest.js';
import { KINDS, type KindInfo, kindByName } from './types.js';

/** Kinds from the seeds' world that inferd replaces with something built in; named so the error can say why. */
const REPLACED_KINDS: Record<string, string> = {
  AuthorizationPolicy:
    'inferd has no Istio mesh to attach it to: use inferd serve --auth with API tokens or OIDC and RoleBindings (docs/auth.md)',
  RequestAuthentication:
    'inferd has no Istio mesh to attach it to: give inferd serve --oidc-issuer and --oidc-audience (docs/auth.md)',
  VirtualService: "inferd's gateway routes by Host and path itself; no Istio VirtualService is needed",
  Gateway: "inferd's gateway is built in; no Istio Gateway is needed",
  DestinationRule:
    "inferd's gateway routes to revisions itself (canaryTrafficPercent, tags; docs/revisions.md); no DestinationRule is needed",
};

/** `InferenceService (serving.kserve.io/v1beta1), ServingRuntime (serving.kserve.io/v1alpha1), ...` */
export function servedKindsText(): string {
  return KINDS.map((k) => `${k.kind} (${k.apiVersion})`).join(', ');
}

/**
 * The KindInfo for `obj`, or INVALID_MANIFEST: an unknown kind names the served kinds (with a suggestion when
 * one is close); a known kind with another apiVersion names both versions.
 */
export function checkKind(obj: unknown): KindInfo {
  const o = (typeof obj === 'object' && obj !== null ? obj : {}) as Record<string, unknown>;
  const kind = o['kind'];
  const apiVersion = o['apiVersion'];
  if (typeof kind !== 'string' || kind === '') {
    throw new InferdError('INVALID_MANIFEST', `kind: required (a string), got ${describe(kind)}`, { path: 'kind' });
  }
  const info = kindByName(kind);
  if (!info) {
    const why = REPLACED_KINDS[kind];
    const close = suggest(
      kind,
      KINDS.map((k) => k.kind),
    );
    const hint = why ? ` (${why})` : close ? ` (did you mean ${JSON.stringify(close)}?)` : '';
    throw new InferdError(
      'INVALID_MANIFEST',
      `no kind ${JSON.stringify(kind)} is served${hint}; inferd serves ${servedKindsText()}`,
      {
        path: 'kind',
        reason: 'UnknownKind',
      },
    );
  }
  if (apiVersion !== info.apiVersion) {
    throw new InferdError(
      'INVALID_MANIFEST',
      `${info.kind} must be ${info.apiVersion}, got ${typeof apiVersion === 'string' ? apiVersion : describe(apiVersion)}`,
      {
        path: 'apiVersion',
        reason: 'WrongApiVersion',
      },
    );
  }
  return info;
}
