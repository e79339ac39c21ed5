// OIDC JWTs from the user's identity provider (Dex, Keycloak, Google, a Kubernetes service-account issuer):
// discovery, then the issuer's JWKS (jose caches it and refetches on an unknown kid, at most once per
// cooldown), then signature, alg allow-list, iss, aud, exp and nbf with a bounded clock skew. Verification
// is asynchronous and the gate is not, so the gateway awaits `prepare` first; the synchronous verifier then
// reads the cached outcome. Roles are not in the token: they come from RoleBindings (role-bindings.ts),
// looked up on every request, so a binding change applies at once.

import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import type { Logger } from '../log.js';
import type { Grant, Verifier } from './identity.js';

/** Asymmetric algorithms only: never `none`, never HS* (a public key must not be usable as an HMAC secret). */
export const OIDC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export interface GrantSource {
  grantsFor(user: string, groups: readonly string[]): Grant[];
}

export interface OidcOptions {
  issuer: string;
  audience: string;
  groupsClaim?: string;
  usernameClaim?: string;
  bindings: GrantSource;
  log: Logger;
  clockSkewS?: number;
  /** Bound on each discovery or JWKS fetch. */
  fetchTimeoutMs?: number;
  /** Least time between two JWKS fetches for unknown key ids (and between failed discoveries). */
  refetchCooldownMs?: number;
  now?: () => number;
}

interface Verified {
  user: string;
  groups: string[];
  /** ms since the epoch; the token's own exp. */
  expMs: number;
}
type Outcome = { ok: Verified } | { invalid: string };
interface Entry {
  outcome: Outcome;
  /** When this cache entry must be verified again (keys may have been removed from the JWKS since). */
  staleMs: number;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const MAX_ENTRIES = 10_000;
const POSITIVE_TTL_MS = 5 * 60_000;
const NEGATIVE_TTL_MS = 10_000;

export class OidcVerifier {
  readonly #o: Required<Omit<OidcOptions, 'now'>> & { now: () => number };
  readonly #cache = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<void>>();
  #jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  #discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  #discoveryFailedAt = Number.NEGATIVE_INFINITY;
  #discoveryError = '';

  constructor(opts: OidcOptions) {
    // `??`, not a spread: an option given as undefined (a flag left out) keeps its default.
    this.#o = {
      ...opts,
      groupsClaim: opts.groupsClaim ?? 'groups',
      usernameClaim: opts.usernameClaim ?? 'sub',
      clockSkewS: opts.clockSkewS ?? 60,
      fetchTimeoutMs: opts.fetchTimeoutMs ?? 5000,
      refetchCooldownMs: opts.refetchCooldownMs ?? 30_000,
      now: opts.now ?? Date.now,
      issuer: opts.issuer.replace(/\/+$/, ''),
    };
  }

  /** Whether `bearer` is a JWT at all (else the token verifier's, or nobody's). */
  static looksLikeJwt(bearer: string): boolean {
    if (!JWT_SHAPE.test(bearer)) return false;
    try {
      decodeProtectedHeader(bearer);
      return true;
    } catch {
      return false;
    }
  }

  /** Verifies `bearer` into the cache; undefined when there is nothing to wait for (not a JWT, or cached). */
  prepare(bearer: string): Promise<void> | undefined {
    if (!OidcVerifier.looksLikeJwt(bearer)) return undefined;
    const key = keyOf(bearer);
    const hit = this.#cache.get(key);
    if (hit && hit.staleMs > this.#o.now()) return undefined;
    let p = this.#pending.get(key);
    if (!p) {
      p = this.#verify(bearer).then((outcome) => {
        this.#remember(key, outcome);
        this.#pending.delete(key);
      });
      this.#pending.set(key, p);
    }
    return p;
  }

  /** The synchronous verifier for the gate: reads what `prepare` found. */
  verifier(): Verifier {
    return (bearer) => {
      if (!OidcVerifier.looksLikeJwt(bearer)) return undefined;
      const hit = this.#cache.get(keyOf(bearer));
      if (!hit) return { invalid: 'the JWT has not been verified yet; retry' };
      if ('invalid' in hit.outcome) return hit.outcome;
      const v = hit.outcome.ok;
      // The cached outcome outlives nothing: exp is checked again on every use.
      if (this.#o.now() >= v.expMs + this.#o.clockSkewS * 1000)
        return { invalid: `the JWT expired at ${new Date(v.expMs).toISOString()}` };
      return {
        identity: {
          user: v.user,
          groups: v.groups,
          source: 'oidc',
          grants: this.#o.bindings.grantsFor(v.user, v.groups),
        },
      };
    };
  }

  #remember(key: string, outcome: Outcome): void {
    if (this.#cache.size >= MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
    const ttl = 'ok' in outcome ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS;
    this.#cache.set(key, { outcome, staleMs: this.#o.now() + ttl });
  }

  async #keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.#jwks) return this.#jwks;
    if (this.#o.now() - this.#discoveryFailedAt < this.#o.refetchCooldownMs) throw new Error(this.#discoveryError);
    this.#discovering ??= this.#discover().finally(() => {
      this.#discovering = undefined;
    });
    return this.#discovering;
  }

  async #discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const url = `${this.#o.issuer}/.well-known/openid-configuration`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.#o.fetchTimeoutMs), redirect: 'error' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
      if (typeof doc.issuer !== 'string' || doc.issuer.replace(/\/+$/, '') !== this.#o.issuer)
        throw new Error(`its issuer is ${JSON.stringify(doc.issuer)}, not ${JSON.stringify(this.#o.issuer)}`);
      if (typeof doc.jwks_uri !== 'string') throw new Error('it has no jwks_uri');
      this.#jwks = createRemoteJWKSet(new URL(doc.jwks_uri), {
        timeoutDuration: this.#o.fetchTimeoutMs,
        cooldownDuration: this.#o.refetchCooldownMs,
      });
      this.#o.log.info('oidc issuer discovered', { issuer: this.#o.issuer, jwksUri: doc.jwks_uri });
      return this.#jwks;
    } catch (err) {
      const why = err instanceof Error ? (err.name === 'TimeoutError' ? 'timed out' : err.message) : String(err);
      this.#discoveryFailedAt = this.#o.now();
      this.#discoveryError = `the OIDC issuer's discovery document (${url}) could not be read: ${why}`;
      this.#o.log.warn('oidc discovery failed', { issuer: this.#o.issuer, reason: why });
      throw new Error(this.#discoveryError);
    }
  }

  async #verify(bearer: string): Promise<Outcome> {
    let jwks: ReturnType<typeof createRemoteJWKSet>;
    try {
      jwks = await this.#keys();
    } catch (err) {
      return { invalid: (err as Error).message };
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(bearer, jwks, {
        issuer: this.#o.issuer,
        audience: this.#o.audience,
        algorithms: [...OIDC_ALGORITHMS],
        clockTolerance: this.#o.clockSkewS,
        currentDate: new Date(this.#o.now()),
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      return { invalid: this.#describe(err, bearer) };
    }
    const user = payload[this.#o.usernameClaim];
    if (typeof user !== 'string' || user === '')
      return { invalid: `the JWT has no "${this.#o.usernameClaim}" claim (--oidc-username-claim)` };
    const rawGroups = payload[this.#o.groupsClaim];
    const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : [];
    return { ok: { user, groups, expMs: (payload.exp as number) * 1000 } };
  }

  #describe(err: unknown, bearer: string): string {
    if (err instanceof errors.JWTExpired) return `the JWT expired (exp ${claimTime(err.payload.exp)})`;
    if (err instanceof errors.JWTClaimValidationFailed) {
      if (err.claim === 'nbf') return `the JWT is not valid yet (nbf ${claimTime(err.payload.nbf)})`;
      if (err.claim === 'iss') return `the JWT's issuer is not ${this.#o.issuer}`;
      if (err.claim === 'aud') return `the JWT's audience does not include ${this.#o.audience}`;
      return `the JWT's "${err.claim}" claim is not valid: ${err.reason}`;
    }
    if (err instanceof errors.JOSEAlgNotAllowed) {
      let alg = '?';
      try {
        alg = String(decodeProtectedHeader(bearer).alg);
      } catch {}
      return `the JWT's alg ${alg} is not allowed (allowed: ${OIDC_ALGORITHMS.join(', ')})`;
    }
    if (err instanceof errors.JWKSNoMatchingKey)
      return `no key of the issuer matches the JWT's kid (${kidOf(bearer)}), even after refetching its JWKS`;
    if (err instanceof errors.JWSSignatureVerificationFailed) return 'the JWT signature does not verify';
    if (err instanceof errors.JWKSTimeout) return "the OIDC issuer's JWKS could not be fetched: timed out";
    if (err instanceof errors.JOSEError) return `the JWT is not valid: ${err.message}`;
    this.#o.log.warn('oidc verification failed', { reason: err instanceof Error ? err.message : String(err) });
    return `the JWT could not be verified: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function keyOf(bearer: string): string {
  return createHash('sha256').update(bearer).digest('base64url');
}

function claimTime(v: unknown): string {
  return typeof v === 'number' ? new Date(v * 1000).toISOString() : String(v);
}

function kidOf(bearer: string): string {
  try {
    return JSON.stringify(decodeProtectedHeader(bearer).kid ?? null);
  } catch {
    return 'none';
  }
}
