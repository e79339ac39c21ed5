// Who made a request, as the verifiers (API tokens today, OIDC JWTs later) report it, and what it may do.
// A verifier only says who; roles come from grants (a token carries its own; OIDC identities get theirs
// from role bindings, which come later).

import type { Role } from './roles.js';

/** One role in one namespace; `namespace: '*'` (admin tokens) means every namespace and the cluster scope. */
/** One role in one namespace (`*`: every namespace). An admin grant covers every namespace whatever it names. */
export interface Grant {
  namespace: string;
  role: Role;
}

export interface Identity {
  /** `token:NAME` for API tokens; the subject for OIDC. Safe to log (never the credential). */
  user: string;
  groups: string[];
  /** Which verifier recognised it: `token`, later `oidc`. */
  source: string;
  grants: Grant[];
}

/** Verifies a bearer credential: the identity when it is one this verifier issued and valid, else undefined. */
export type Verifier = (bearer: string) => VerifyResult | undefined;

export type VerifyResult = { identity: Identity } | { invalid: string };

/** Verifiers whose check is asynchronous (OIDC) verify here first; undefined when there is nothing to await. */
export type Preparer = (bearer: string) => Promise<void> | undefined;
