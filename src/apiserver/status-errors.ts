// Errors as Kubernetes `Status` objects, the body kubectl and inferd's CLI read (`Error from server
// (NotFound): ...`). One mapping from InferdError codes to reasons; the HTTP code comes from errors.ts,
// (EXPIRED is Kubernetes' 410 `Expired`).

import type { KindInfo } from '../api/types.js';
import { type ErrorCode, type InferdError, toInferdError } from '../errors.js';
import { groupOf } from '../store/resource-errors.js';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

/** A Kubernetes `meta/v1 Status` with status Failure. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code: number;
}

/** Kubernetes' StatusReason for each error code (codes that never reach the control API fall back to InternalError). */
const REASONS: Partial<Record<ErrorCode, string>> = {
  INVALID_INPUT: 'BadRequest',
  INVALID_MANIFEST: 'Invalid',
  UNAUTHENTICATED: 'Unauthorized',
  FORBIDDEN: 'Forbidden',
  MODEL_NOT_FOUND: 'NotFound',
  RESOURCE_NOT_FOUND: 'NotFound',
  ALREADY_EXISTS: 'AlreadyExists',
  CONFLICT: 'Conflict',
  METHOD_NOT_ALLOWED: 'MethodNotAllowed',
  UNSUPPORTED_MEDIA_TYPE: 'UnsupportedMediaType',
  PAYLOAD_TOO_LARGE: 'RequestEntityTooLarge',
  OVERLOADED: 'TooManyRequests',
  MODEL_NOT_READY: 'ServiceUnavailable',
  TIMEOUT: 'Timeout',
};

/** What the request was about, for `details` and the Invalid message. */
export interface StatusContext {
  kind?: KindInfo;
  name?: string;
}

function causesOf(err: InferdError): StatusCause[] {
  const listed = err.details['causes'];
  if (Array.isArray(listed)) {
    return listed.map((c: { field?: string; path?: string; message?: string; reason?: string }) => ({
      reason: c.reason ?? 'FieldValueInvalid',
      message: c.message ?? '',
      field: c.field ?? c.path,
    }));
  }
  const field = err.details.path;
  // Validation messages often start with their own path; the cause keeps it once, in `field`.
  const message = field && err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
  return [{ reason: 'FieldValueInvalid', message, field }];
}

/** The Status body (and its `code`, the HTTP status) for any error thrown while serving a request. */
export function statusFromError(thrown: unknown, ctx: StatusContext = {}): KubeStatus {
  const err = toInferdError(thrown);
  if (err.code === 'EXPIRED') {
    return failure(410, 'Expired', err.message);
  }
  const reason = REASONS[err.code] ?? 'InternalError';
  const code = err.httpStatus;
  const name = (err.details['name'] as string | undefined) ?? ctx.name;
  const group = (err.details['group'] as string | undefined) ?? (ctx.kind ? groupOf(ctx.kind) : undefined);
  if (reason === 'Invalid') {
    const kind = ctx.kind?.kind ?? (err.details['kind'] as string | undefined) ?? 'object';
    const causes = causesOf(err);
    const qualified = group ? `${kind}.${group}` : kind;
    const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const summary = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
    return failure(422, reason, `${qualified} "${name ?? ''}" is invalid: ${summary}`, { name, group, kind, causes });
  }
  if (reason === 'NotFound' || reason === 'AlreadyExists' || reason === 'Conflict' || reason === 'Forbidden') {
    const resource = (err.details['resource'] as string | undefined) ?? ctx.kind?.plural;
    const details: KubeStatus['details'] = {};
    if (name !== undefined) details.name = name;
    if (group !== undefined) details.group = group;
    if (resource !== undefined) details.kind = resource;
    return failure(code, reason, err.message, details);
  }
  return failure(code, reason, err.message);
}

/** A Failure Status with the given HTTP code, reason and message. */
export function failure(code: number, reason: string, message: string, details?: KubeStatus['details']): KubeStatus {
  const status: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details && Object.keys(details).length > 0) {
    // Kubernetes puts `details` before `code`.
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
  }
  return status;
}
