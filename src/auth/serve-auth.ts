// The auth pieces `inferd serve` mounts, built in one call so the composition root stays a few lines: the
// token store (STATE/tokens.db), the gate (model routes and control API), the tokens API, per-service
// annotation policies and the failed-attempt limiter.

import type { AccessPolicy } from '../apiserver/request-guard.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { AuthGate } from './auth-gate.js';
import { FailureLimiter } from './failure-limiter.js';
import type { Verifier } from './identity.js';
import { OidcVerifier } from './oidc.js';
import { RoleBindings } from './role-bindings.js';
import { ServicePolicies } from './service-policy.js';
import { TokenStore } from './token-store.js';
import { tokenVerifier } from './token-verifier.js';
import { createTokensApi } from './tokens-api.js';

export interface ServeAuthOptions {
  stateDir: string;
  required: boolean;
  store: Store;
  access: AccessPolicy;
  log: Logger;
  /** More verifiers after API tokens. */
  verifiers?: readonly Verifier[];
  /** `--oidc-issuer` and friends: JWTs from that issuer, roles from RoleBindings. */
  oidc?: OidcConfig;
}

export interface OidcConfig {
  issuer: string;
  audience: string;
  groupsClaim?: string;
  usernameClaim?: string;
}

export function createServeAuth(opts: ServeAuthOptions) {
  const tokens = TokenStore.open(opts.stateDir);
  const policies = new ServicePolicies(opts.store);
  const bindings = opts.oidc ? new RoleBindings(opts.store) : undefined;
  const oidc =
    opts.oidc && bindings
      ? new OidcVerifier({ ...opts.oidc, bindings, log: opts.log.child({ verifier: 'oidc' }) })
      : undefined;
  const gate = new AuthGate({
    required: opts.required,
    verifiers: [tokenVerifier(tokens), ...(oidc ? [oidc.verifier()] : []), ...(opts.verifiers ?? [])],
    preparers: oidc ? [(bearer) => oidc.prepare(bearer)] : [],
    policies,
    limiter: new FailureLimiter(),
    log: opts.log,
  });
  if (opts.required && tokens.list().length === 0) {
    opts.log.warn('auth is on and no API token exists yet', {
      hint: `create one with: inferd token create --state ${opts.stateDir} --namespace default --role admin`,
    });
  }
  return {
    gate,
    /** Mount before every other control-plane handler: the gate refuses, the tokens API serves. */
    controlPlane: [gate.controlHandler(), createTokensApi({ tokens, access: opts.access, log: opts.log })],
    close() {
      policies.close();
      bindings?.close();
      tokens.close();
    },
  };
}
