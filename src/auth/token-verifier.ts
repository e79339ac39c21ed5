// The API-token verifier: digest lookup (an index, so time does not depend on how much of a token matches)
// confirmed with timingSafeEqual, then the expiry. Not an inferd token's shape: not ours (undefined), so the
// next verifier (OIDC, later) may try it.

import type { Verifier } from './identity.js';
import { looksLikeToken, sameDigest, tokenDigest } from './token-secret.js';
import type { TokenStore } from './token-store.js';

export function tokenVerifier(tokens: TokenStore, now: () => number = Date.now): Verifier {
  return (bearer) => {
    if (!looksLikeToken(bearer)) return undefined;
    const digest = tokenDigest(bearer);
    const found = tokens.findByDigest(digest);
    if (!found || !sameDigest(found.digest, digest))
      return { invalid: 'the token is not known (revoked or never issued)' };
    const r = found.record;
    if (r.expiresMs !== undefined && now() >= r.expiresMs) {
      return { invalid: `the token "${r.name}" expired at ${new Date(r.expiresMs).toISOString()}` };
    }
    return {
      identity: {
        user: `token:${r.name}`,
        groups: [],
        source: 'token',
        grants: [{ namespace: r.namespace, role: r.role }],
      },
    };
  };
}
