// `/apis/auth.inferd.dev/v1/tokens[/NAME]`: API tokens as Kubernetes-shaped `Token` objects, for
// `inferd token --server URL`. Admins only when auth is on (the gate has checked before this runs). An object
// never holds the token's digest; the token itself appears once, in `status.token` of the create answer.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AccessPolicy, accessProblem, bodyTypeProblem } from '../apiserver/request-guard.js';
import { sendJson } from '../apiserver/respond.js';
import { failure } from '../apiserver/status-errors.js';
import { isInferdError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { TOKENS_PREFIX } from './control-request.js';
import { isRole } from './roles.js';
import type { TokenRecord, TokenStore } from './token-store.js';
import { parseTtlMs } from './ttl.js';

export const TOKEN_API_VERSION = 'auth.inferd.dev/v1';
const NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
const MAX_BODY_BYTES = 64 * 1024;

export interface TokenObject {
  apiVersion: typeof TOKEN_API_VERSION;
  kind: 'Token';
  metadata: { name: string; namespace: string; creationTimestamp: string };
  spec: { role: string; expirationTimestamp?: string };
  status?: { token: string };
}

export function tokenObject(r: TokenRecord): TokenObject {
  return {
    apiVersion: TOKEN_API_VERSION,
    kind: 'Token',
    metadata: { name: r.name, namespace: r.namespace, creationTimestamp: iso(r.createdMs) },
    spec: { role: r.role, ...(r.expiresMs === undefined ? {} : { expirationTimestamp: iso(r.expiresMs) }) },
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A new token's name when none is given: `token-` and 8 random hex digits. */
export function defaultTokenName(): string {
  return `token-${Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0')}`;
}

export interface CreateTokenInput {
  name?: string;
  namespace?: string;
  role?: string;
  ttl?: string;
}

/** Validates and creates; the one path for both the CLI's `--state` mode and this API. */
export function createToken(tokens: TokenStore, input: CreateTokenInput, now: number) {
  const problems: string[] = [];
  const name = input.name ?? defaultTokenName();
  if (!NAME_RE.test(name)) problems.push(`name "${name}" must be a DNS-1123 subdomain (a-z, 0-9, '-', '.')`);
  const namespace = input.namespace ?? 'default';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
    problems.push(`namespace "${namespace}" is not a valid name`);
  const role = input.role ?? '';
  if (!isRole(role)) problems.push(`role "${role}": expected viewer, predictor, editor or admin`);
  let expiresMs: number | undefined;
  if (input.ttl !== undefined && input.ttl !== '' && input.ttl !== '0') {
    try {
      expiresMs = now + parseTtlMs(input.ttl);
    } catch (err) {
      problems.push(messageOf(err));
    }
  }
  if (problems.length) return { problems };
  return tokens.create({ name, namespace, role: role as TokenRecord['role'], createdMs: now, expiresMs });
}

export function createTokensApi(opts: { tokens: TokenStore; access: AccessPolicy; log: Logger; now?: () => number }) {
  const now = opts.now ?? Date.now;
  return {
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      if (path !== TOKENS_PREFIX && !path.startsWith(`${TOKENS_PREFIX}/`)) return false;
      const refused = accessProblem(req, opts.access);
      if (refused) {
        sendJson(res, 403, failure(403, 'Forbidden', refused.message));
        return true;
      }
      const name = path === TOKENS_PREFIX ? undefined : decodeURIComponent(path.slice(TOKENS_PREFIX.length + 1));
      const notFound = (n: string) =>
        sendJson(
          res,
          404,
          failure(404, 'NotFound', `tokens.auth.inferd.dev "${n}" not found`, {
            name: n,
            group: 'auth.inferd.dev',
            kind: 'tokens',
          }),
        );
      const method = req.method ?? 'GET';
      if (method === 'GET' && name === undefined) {
        const ns = url.searchParams.get('namespace') ?? undefined;
        sendJson(res, 200, {
          apiVersion: TOKEN_API_VERSION,
          kind: 'TokenList',
          metadata: {},
          items: opts.tokens.list(ns).map(tokenObject),
        });
      } else if (method === 'GET' && name !== undefined) {
        const r = opts.tokens.get(name);
        if (r) sendJson(res, 200, tokenObject(r));
        else notFound(name);
      } else if (method === 'DELETE' && name !== undefined) {
        if (!opts.tokens.revoke(name)) notFound(name);
        else {
          opts.log.info('token revoked', { name });
          sendJson(res, 200, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name, kind: 'tokens' },
          });
        }
      } else if (method === 'POST' && name === undefined) {
        readBody(req, res, (body) => {
          const input = body as {
            metadata?: { name?: string; namespace?: string };
            spec?: { role?: string; ttl?: string };
          };
          try {
            const out = createToken(
              opts.tokens,
              {
                name: input?.metadata?.name,
                namespace: input?.metadata?.namespace,
                role: input?.spec?.role,
                ttl: input?.spec?.ttl,
              },
              now(),
            );
            if ('problems' in out) {
              sendJson(res, 422, failure(422, 'Invalid', `Token is invalid: ${out.problems!.join('; ')}`));
              return;
            }
            opts.log.info('token created', {
              name: out.record.name,
              namespace: out.record.namespace,
              role: out.record.role,
            });
            sendJson(res, 201, { ...tokenObject(out.record), status: { token: out.token } });
          } catch (err) {
            if (isInferdError(err) && err.code === 'ALREADY_EXISTS')
              sendJson(res, 409, failure(409, 'AlreadyExists', err.message));
            else throw err;
          }
        });
      } else {
        sendJson(res, 405, failure(405, 'MethodNotAllowed', `${method} is not supported on ${path}`));
      }
      return true;
    },
  };
}

function readBody(req: IncomingMessage, res: ServerResponse, done: (body: unknown) => void): void {
  const typeProblem = bodyTypeProblem(req.headers['content-type']);
  if (typeProblem) {
    req.resume();
    sendJson(res, 415, failure(415, 'UnsupportedMediaType', typeProblem.message));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= MAX_BODY_BYTES) chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) {
      sendJson(res, 413, failure(413, 'RequestEntityTooLarge', 'the Token body is larger than 64 KiB'));
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      sendJson(res, 400, failure(400, 'BadRequest', `the body is not JSON: ${messageOf(err)}`));
      return;
    }
    try {
      done(body);
    } catch (err) {
      sendJson(res, 500, failure(500, 'InternalError', messageOf(err)));
    }
  });
}
