// Errors the control API answers with: Kubernetes `Status` bodies, kept whole so commands can print them
// the way kubectl does (`Error from server (NotFound): …`) and branch on `reason`, never on the message.

import { type ErrorCode, InferdError } from '../errors.js';

export interface StatusCause {
  field?: string;
  message?: string;
  reason?: string;
}

/** A Kubernetes `Status` object (`kind: Status`). */
export interface KubeStatus {
  kind?: 'Status';
  apiVersion?: string;
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code?: number;
}

/** HTTP status → Kubernetes `StatusReason`, for servers that answer without a Status body. */
const REASON_BY_HTTP: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const CODE_BY_REASON: Record<string, ErrorCode> = {
  NotFound: 'RESOURCE_NOT_FOUND',
  AlreadyExists: 'ALREADY_EXISTS',
  Conflict: 'CONFLICT',
  Invalid: 'INVALID_MANIFEST',
  BadRequest: 'INVALID_INPUT',
  Unauthorized: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  TooManyRequests: 'OVERLOADED',
  ServiceUnavailable: 'MODEL_NOT_READY',
  Timeout: 'TIMEOUT',
};

/** A non-2xx answer from the control API. `reason` is the Status reason (`NotFound`, `Invalid`, …). */
export class StatusError extends InferdError {
  readonly status: KubeStatus;
  readonly httpCode: number;
  readonly reason: string;

  constructor(httpStatus: number, status: KubeStatus) {
    const reason = status.reason || REASON_BY_HTTP[httpStatus] || 'InternalError';
    super(CODE_BY_REASON[reason] ?? 'INTERNAL', status.message || `the server responded with status ${httpStatus}`);
    this.status = status;
    this.httpCode = httpStatus;
    this.reason = reason;
  }
}

/** Turns any error body into a Status: a real Status, `{"error": …}` (the gateway's form), or plain text. */
export function statusFromBody(httpStatus: number, text: string): KubeStatus {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (body && typeof body === 'object') {
      if (body.kind === 'Status' || typeof body.reason === 'string') return body as KubeStatus;
      if (typeof body.message === 'string') return { message: body.message, code: httpStatus };
      if (typeof body.error === 'string') return { message: body.error, code: httpStatus };
    }
  } catch {
    // Not JSON: the text itself is the message.
  }
  const trimmed = text.trim();
  return {
    message: trimmed
      ? `the server responded with status ${httpStatus}: ${trimmed.slice(0, 500)}`
      : `the server responded with status ${httpStatus}`,
    code: httpStatus,
  };
}

export function isNotFound(err: unknown): boolean {
  return err instanceof StatusError && err.reason === 'NotFound';
}
