// How refusals look on each edge: 401 with `WWW-Authenticate: Bearer` (RFC 6750), 403 naming the missing
// permission, 429 with Retry-After; a Kubernetes Status on control-API paths, KServe's `{"error": ...}` on model
// routes, a gRPC status on gRPC. JSON always: never an HTML page or a redirect.

import type { ServerResponse } from 'node:http';
import { sendJson } from '../apiserver/respond.js';
import { failure } from '../apiserver/status-errors.js';
import { GRPC_STATUS } from '../http/grpc-wire.js';
import { replyError } from '../http/json-reply.js';

export type Refusal =
  /** No credential (RFC 6750 §3.1: then no `error` attribute). */
  | { status: 401; message: string; invalidToken: false }
  | { status: 401; message: string; invalidToken: true }
  | { status: 403; message: string }
  | { status: 429; message: string; retryAfterS: number };

const quoted = (s: string) => s.replace(/["\\]/g, "'");

/** The `WWW-Authenticate` value of a 401. */
export function wwwAuthenticate(r: Extract<Refusal, { status: 401 }>): string {
  return r.invalidToken
    ? `Bearer realm="inferd", error="invalid_token", error_description="${quoted(r.message)}"`
    : 'Bearer realm="inferd"';
}

function headersOf(r: Refusal): Record<string, string> {
  if (r.status === 401) return { 'www-authenticate': wwwAuthenticate(r), 'cache-control': 'no-store' };
  if (r.status === 429) return { 'retry-after': String(r.retryAfterS) };
  return {};
}

const REASONS = { 401: 'Unauthorized', 403: 'Forbidden', 429: 'TooManyRequests' } as const;

/** A control-API refusal: a Kubernetes Status. */
export function refuseControl(res: ServerResponse, r: Refusal, details?: { group?: string; kind?: string }): void {
  sendJson(res, r.status, failure(r.status, REASONS[r.status], r.message, details), headersOf(r));
}

/** A model-route refusal: KServe's error body. */
export function refuseModel(res: ServerResponse, r: Refusal): void {
  replyError(res, r.status, r.message, headersOf(r));
}

/** The gRPC status code for a refusal. */
export function grpcCodeOf(r: Refusal): number {
  if (r.status === 401) return GRPC_STATUS.UNAUTHENTICATED;
  if (r.status === 403) return GRPC_STATUS.PERMISSION_DENIED;
  return GRPC_STATUS.RESOURCE_EXHAUSTED;
}
