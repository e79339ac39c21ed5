// Who may talk to the control API from a browser: a web page the operator opens can send requests to
// 127.0.0.1:8080 (CSRF) or rebind its own DNS name to it (DNS rebinding). So `Host` must name this server (a
// loopback name or address, an address it listens on, or a name given with --allowed-hosts) and `Origin`,
// when a browser sends one, must be the same origin or one given with --allowed-origins. Bodies must be
// JSON/YAML (the CORS "simple" types text/plain, form and multipart need no preflight). docs/security.md.
// Not authentication (that is src/auth, `--auth`): without it, anyone who reaches the port without a browser is trusted.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { InferdError } from '../errors.js';

export interface AccessPolicy {
  /** Host names accepted besides loopback and the listening addresses: `name`, `.suffix` (any subdomain), `*` (any). */
  allowedHosts: readonly string[];
  /** Origins accepted besides the same origin: `https://ui.example.com`, or `*` (any). */
  allowedOrigins: readonly string[];
  /** Addresses (and names) this server listens on. */
  listenAddresses: readonly string[];
}

/** The addresses a server bound to `host` answers on: every interface's for a wildcard address. */
export function listenAddressesFor(host: string): string[] {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h !== '0.0.0.0' && h !== '::' && h !== '') return [h];
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.push(a.address.toLowerCase());
  }
  return out;
}

/** `Host` without its port, lower-cased, IPv6 brackets and a trailing dot removed. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colon = h.indexOf(':');
  return (colon >= 0 && h.indexOf(':', colon + 1) < 0 ? h.slice(0, colon) : h).replace(/\.$/, '');
}

function isLoopback(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name.startsWith('::ffff:127.');
  return false;
}

function listed(name: string, entries: readonly string[]): boolean {
  return entries.some((e) => {
    const entry = e.toLowerCase();
    return entry === '*' || entry === name || (entry.startsWith('.') && name.endsWith(entry));
  });
}

const forbidden = (message: string) => new InferdError('FORBIDDEN', message, { reason: 'Forbidden' });

/** FORBIDDEN when `req` may come from a web page that is not this server's own (see the header). */
export function accessProblem(req: IncomingMessage, policy: AccessPolicy): InferdError | undefined {
  const host = req.headers.host;
  // HTTP/1.0 clients may send no Host; browsers always send one, so there is nothing to rebind.
  if (host !== undefined) {
    const name = hostName(host);
    if (!isLoopback(name) && !policy.listenAddresses.includes(name) && !listed(name, policy.allowedHosts)) {
      return forbidden(
        `Host "${host}" is not a name of this server: the control API answers loopback names, the addresses it listens on and the names given with --allowed-hosts (DNS rebinding protection)`,
      );
    }
  }
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  let originHost: string | undefined;
  try {
    const u = new URL(origin);
    if (u.protocol === 'http:' || u.protocol === 'https:') originHost = u.host.toLowerCase();
  } catch {
    originHost = undefined; // `null` (sandboxed frames, file://) and garbage: never same-origin
  }
  const sameOrigin = originHost !== undefined && host !== undefined && originHost === host.trim().toLowerCase();
  const allowed = policy.allowedOrigins.some(
    (o) => o === '*' || o.replace(/\/$/, '').toLowerCase() === origin.toLowerCase(),
  );
  if (!sameOrigin && !allowed) {
    return forbidden(
      `Origin "${origin}" may not use the control API: only same-origin pages and origins given with --allowed-origins may (CSRF protection)`,
    );
  }
  return undefined;
}

/**
 * Media types a control-API body may have: JSON, YAML and their patch flavours (`application/*+json`), and
 * Kubernetes protobuf (kubectl's typed clients; request-body.ts decodes the kinds it can, 415 for the rest).
 * None of these is a CORS "simple" type, so a browser must preflight them.
 */
const BODY_TYPE =
  /^(application\/([a-z0-9.-]+\+)?(json|yaml)|application\/x-yaml|text\/(x-)?yaml|application\/vnd\.kubernetes\.protobuf)$/;

/** UNSUPPORTED_MEDIA_TYPE unless `contentType` is JSON or YAML; text/plain and forms would skip the browser's CORS preflight. */
export function bodyTypeProblem(contentType: string | undefined): InferdError | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (BODY_TYPE.test(type)) return undefined;
  return new InferdError(
    'UNSUPPORTED_MEDIA_TYPE',
    `the body of the request was in an unknown format (${type === '' ? 'no Content-Type' : type}) - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/json-patch+json, application/apply-patch+yaml, application/vnd.kubernetes.protobuf (curl: add -H 'Content-Type: application/json')`,
  );
}
