// The one table of error codes: each code has its HTTP and gRPC status. Everything throws InferdError;
// the REST/gRPC edges and the CLI look the status up here (docs/errors.md lists every code).

export type GrpcStatusName =
  | 'INVALID_ARGUMENT'
  | 'INTERNAL'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'RESOURCE_EXHAUSTED'
  | 'UNIMPLEMENTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

export const ERROR_TABLE = {
  INVALID_INPUT: { http: 400, grpc: 'INVALID_ARGUMENT' }, // bad tensor shape/dtype, unparsable body
  INVALID_MANIFEST: { http: 422, grpc: 'INVALID_ARGUMENT' }, // details.path = 'spec.predictor.model.storageUri'
  INVALID_CONFIG: { http: 500, grpc: 'INTERNAL' }, // startup only: the CLI exits 2
  UNAUTHENTICATED: { http: 401, grpc: 'UNAUTHENTICATED' },
  FORBIDDEN: { http: 403, grpc: 'PERMISSION_DENIED' },
  MODEL_NOT_FOUND: { http: 404, grpc: 'NOT_FOUND' }, // "Model with name X does not exist."
  RESOURCE_NOT_FOUND: { http: 404, grpc: 'NOT_FOUND' },
  ALREADY_EXISTS: { http: 409, grpc: 'ALREADY_EXISTS' },
  CONFLICT: { http: 409, grpc: 'ABORTED' }, // stale resourceVersion
  EXPIRED: { http: 410, grpc: 'OUT_OF_RANGE' }, // watch from a resourceVersion older than the event log
  METHOD_NOT_ALLOWED: { http: 405, grpc: 'UNIMPLEMENTED' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, grpc: 'INVALID_ARGUMENT' },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: 'RESOURCE_EXHAUSTED' },
  OVERLOADED: { http: 429, grpc: 'RESOURCE_EXHAUSTED' }, // with Retry-After
  UNSUPPORTED: { http: 501, grpc: 'UNIMPLEMENTED' },
  MODEL_NOT_READY: { http: 503, grpc: 'UNAVAILABLE' },
  UPSTREAM_UNAVAILABLE: { http: 502, grpc: 'UNAVAILABLE' }, // replica connection failed
  TIMEOUT: { http: 504, grpc: 'DEADLINE_EXCEEDED' },
  MODEL_LOAD_FAILED: { http: 500, grpc: 'INTERNAL' }, // also shown in status conditions
  UNSAFE_MODEL: { http: 500, grpc: 'INTERNAL' }, // pickle references a class outside the allowlist
  STORAGE_FAILED: { http: 500, grpc: 'INTERNAL' },
  STATE_DAMAGED: { http: 500, grpc: 'INTERNAL' }, // startup only: state.db fails its integrity check
  INTERNAL: { http: 500, grpc: 'INTERNAL' },
} as const satisfies Record<string, { http: number; grpc: GrpcStatusName }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export interface ErrorDetails {
  /** JSON path of the problem, e.g. `spec.predictor.model.storageUri`. */
  path?: string;
  /** Machine-readable reason shown in status conditions, e.g. `ModelLoadFailed`. */
  reason?: string;
  cause?: unknown;
  [key: string]: unknown;
}

export class InferdError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'InferdError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_TABLE[this.code].http;
  }

  get grpcStatus(): GrpcStatusName {
    return ERROR_TABLE[this.code].grpc;
  }
}

export function isInferdError(err: unknown): err is InferdError {
  return err instanceof InferdError;
}

/** The message of any throwable, for logs and status conditions. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Any throwable as an InferdError; unknown ones become INTERNAL. */
export function toInferdError(err: unknown): InferdError {
  if (err instanceof InferdError) return err;
  return new InferdError('INTERNAL', messageOf(err), { cause: err });
}

export const modelNotFound = (name: string) =>
  new InferdError('MODEL_NOT_FOUND', `Model with name ${name} does not exist.`);
