// Identity before routing: every request that needs it is authenticated once at the edge (a list of
// verifiers: API tokens now, OIDC later) and authorised per namespace and verb (roles.ts). The gateway calls
// `modelGate` for model routes (REST and gRPC); the control API is guarded by `controlHandler`, mounted first
// among the control-plane handlers. Health and readiness stay open; so does everything when auth is off,
// except services annotated `serving.kserve.io/enable-auth: "true"`.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { type Refusal, refuseControl } from './answers.js';
import { classifyControlRequest } from './control-request.js';
import type { FailureLimiter } from './failure-limiter.js';
import type { Identity, Preparer, Verifier } from './identity.js';
import { rememberIdentity } from './process-permission.js';
import { authorize, describeAction } from './roles.js';
import { serviceRequiresAuth } from './service-policy.js';

export interface PolicySource {
  policy(namespace: string, name: string): boolean | undefined;
}

export interface AuthGateOptions {
  /** `inferd serve --auth` (or a non-loopback address): every route but health needs a valid identity. */
  required: boolean;
  verifiers: readonly Verifier[];
  /** Asynchronous verification (OIDC) the transport awaits through `prepare` before asking the gate. */
  preparers?: readonly Preparer[];
  /** Per-service annotations; none: the server's switch decides for every service. */
  policies?: PolicySource;
  limiter?: FailureLimiter;
  log: Logger;
}

type Who = { kind: 'anonymous' } | { kind: 'identity'; identity: Identity } | { kind: 'refused'; refusal: Refusal };

const ANONYMOUS: Who = { kind: 'anonymous' };
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const NO_TOKEN = 'authentication required: send Authorization: Bearer <token> (create one with inferd token create)';

/** What the gateway asks about a model route (REST or gRPC). */
export interface ModelGate {
  /** A promise to await before `check`/`visible` when the credential needs asynchronous verification. */
  prepare?(authorization: string | undefined): Promise<void> | undefined;
  /** undefined: the caller may call ns/name; else why not. */
  check(
    authorization: string | undefined,
    remote: string | undefined,
    namespace: string,
    name: string,
  ): Refusal | undefined;
  /** Of the services a model name matches, those the caller may call; a refusal when none and it must say so. */
  visible<T extends { namespace: string; name: string }>(
    authorization: string | undefined,
    remote: string | undefined,
    matches: readonly T[],
  ): { visible: T[]; refusal?: Refusal };
  /** The gateway's `GET /metrics`: undefined when the caller may read it (a role that reads services); else why not. */
  readMetrics?(authorization: string | undefined, remote: string | undefined): Refusal | undefined;
}

export class AuthGate implements ModelGate {
  readonly required: boolean;
  readonly #opts: AuthGateOptions;

  constructor(opts: AuthGateOptions) {
    this.required = opts.required;
    this.#opts = opts;
  }

  prepare(authorization: string | undefined): Promise<void> | undefined {
    const preparers = this.#opts.preparers;
    if (authorization === undefined || !preparers || preparers.length === 0) return undefined;
    const m = BEARER.exec(authorization);
    if (!m) return undefined;
    for (const p of preparers) {
      const wait = p(m[1]!);
      // Never rejects into the transport: a failure is cached as the verifier's answer.
      if (wait) return wait.catch(() => undefined);
    }
    return undefined;
  }

  /** Who sent `authorization`: anonymous without one; a refusal for a bad one (counted per address). */
  identify(authorization: string | undefined, remote: string | undefined): Who {
    if (authorization === undefined) return ANONYMOUS;
    const address = remote ?? 'unknown';
    const wait = this.#opts.limiter?.retryAfterS(address) ?? 0;
    if (wait > 0) {
      return {
        kind: 'refused',
        refusal: {
          status: 429,
          message: `too many failed authentication attempts; retry in ${wait}s`,
          retryAfterS: wait,
        },
      };
    }
    const m = BEARER.exec(authorization);
    if (!m) return this.#failed(address, 'the Authorization header must be "Bearer <token>"');
    for (const verify of this.#opts.verifiers) {
      const r = verify(m[1]!);
      if (r === undefined) continue;
      if ('invalid' in r) return this.#failed(address, r.invalid);
      return { kind: 'identity', identity: r.identity };
    }
    return this.#failed(address, 'the bearer token is not one this server issued or trusts');
  }

  #failed(address: string, why: string): Who {
    this.#opts.limiter?.fail(address);
    // The reason and the address only: never the credential.
    this.#opts.log.warn('authentication failed', { remote: address, reason: why });
    return { kind: 'refused', refusal: { status: 401, message: `invalid bearer token: ${why}`, invalidToken: true } };
  }

  #checkWho(who: Who, namespace: string, name: string): Refusal | undefined {
    if (!serviceRequiresAuth(this.required, this.#opts.policies?.policy(namespace, name))) return undefined;
    if (who.kind === 'refused') return who.refusal;
    if (who.kind === 'anonymous') return { status: 401, message: NO_TOKEN, invalidToken: false };
    const action = { verb: 'infer' as const, resource: 'models', namespace };
    const d = authorize(who.identity.grants, action);
    if (d.allowed) return undefined;
    return { status: 403, message: `forbidden: User "${who.identity.user}" ${d.missing}` };
  }

  check(authorization: string | undefined, remote: string | undefined, namespace: string, name: string) {
    // Cheap when nothing asks for auth: no header parsing on the open path.
    if (!this.required && this.#opts.policies?.policy(namespace, name) !== true) return undefined;
    return this.#checkWho(this.identify(authorization, remote), namespace, name);
  }

  visible<T extends { namespace: string; name: string }>(
    authorization: string | undefined,
    remote: string | undefined,
    matches: readonly T[],
  ): { visible: T[]; refusal?: Refusal } {
    let who: Who | undefined;
    const visible: T[] = [];
    let firstRefusal: Refusal | undefined;
    for (const m of matches) {
      if (!this.required && this.#opts.policies?.policy(m.namespace, m.name) !== true) {
        visible.push(m);
        continue;
      }
      who ??= this.identify(authorization, remote);
      const r = this.#checkWho(who, m.namespace, m.name);
      if (r === undefined) visible.push(m);
      else firstRefusal ??= r;
    }
    if (visible.length > 0) return { visible };
    // None callable. A caller without a valid identity is told to authenticate, whether or not the model
    // exists (under --auth); one with an identity gets the same 404 as for a model that does not exist.
    who ??= this.required ? this.identify(authorization, remote) : ANONYMOUS;
    if (who.kind === 'refused') return { visible, refusal: who.refusal };
    if (who.kind === 'anonymous' && (this.required || firstRefusal !== undefined)) {
      return { visible, refusal: { status: 401, message: NO_TOKEN, invalidToken: false } };
    }
    return { visible };
  }

  readMetrics(authorization: string | undefined, remote: string | undefined): Refusal | undefined {
    if (!this.required) return undefined;
    const who = this.identify(authorization, remote);
    if (who.kind === 'refused') return who.refusal;
    if (who.kind === 'anonymous') return { status: 401, message: NO_TOKEN, invalidToken: false };
    // Metrics name every revision: any grant that may `get inferenceservices` in its namespace reads them.
    for (const g of who.identity.grants) {
      const ns = g.namespace === '*' ? 'default' : g.namespace;
      if (authorize([g], { verb: 'get', resource: 'inferenceservices', namespace: ns }).allowed) return undefined;
    }
    return {
      status: 403,
      message: `forbidden: User "${who.identity.user}" cannot get the gateway's metrics (role viewer, editor or admin needed)`,
    };
  }

  /** A control-plane handler that answers (true) only to refuse; otherwise the next handler serves. */
  controlHandler(): { handle(req: IncomingMessage, res: ServerResponse): boolean } {
    return {
      handle: (req, res) => {
        if (!this.required) return false;
        const url = new URL(req.url ?? '/', 'http://localhost');
        const c = classifyControlRequest(req.method ?? 'GET', url.pathname, url.searchParams);
        if (!c || c.type === 'open') return false;
        const who = this.identify(req.headers.authorization, req.socket.remoteAddress);
        let refusal: Refusal | undefined;
        if (who.kind === 'refused') refusal = who.refusal;
        else if (who.kind === 'anonymous')
          refusal = { status: 401, message: `Unauthorized: ${NO_TOKEN}`, invalidToken: false };
        else if (c.type === 'action') {
          rememberIdentity(req, who.identity);
          const d = authorize(who.identity.grants, c.action);
          if (!d.allowed)
            refusal = { status: 403, message: `forbidden: User "${who.identity.user}" ${describeAction(c.action)}` };
        }
        if (!refusal) return false;
        req.resume(); // a refused body is read and dropped, so the answer is not lost to a reset
        refuseControl(res, refusal, c.type === 'action' ? { kind: c.action.resource } : undefined);
        return true;
      },
    };
  }
}

/**
 * Removes the client's credential before a request goes to a replica: a model (a custom container, a
 * transformer) must never receive a caller's token, which might be an admin's.
 */
export function dropAuthorization(req: IncomingMessage): void {
  if (req.headers.authorization === undefined) return;
  delete req.headers.authorization;
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === 'authorization') raw.splice(i, 2);
  }
}
