// Store errors with Kubernetes' own messages (`inferenceservices.serving.kserve.io "x" not found`), so the
// control API can turn them into `Status` bodies and the CLI can print them unchanged. `details` carries
// `name`, `group` and `resource` (the plural) for `Status.details`.

import type { KindInfo } from '../api/types.js';
import { InferdError } from '../errors.js';

/** The API group of a kind: '' for the core group (`v1`). */
export function groupOf(info: KindInfo): string {
  const slash = info.apiVersion.indexOf('/');
  return slash < 0 ? '' : info.apiVersion.slice(0, slash);
}

/** `inferenceservices.serving.kserve.io`, or `secrets` for the core group, as Kubernetes prints it. */
export function qualifiedResource(info: KindInfo): string {
  const group = groupOf(info);
  return group ? `${info.plural}.${group}` : info.plural;
}

function details(info: KindInfo, name: string) {
  return { name, group: groupOf(info), resource: info.plural, kind: info.kind };
}

export function notFound(info: KindInfo, name: string): InferdError {
  return new InferdError('RESOURCE_NOT_FOUND', `${qualifiedResource(info)} "${name}" not found`, {
    ...details(info, name),
    reason: 'NotFound',
  });
}

export function alreadyExists(info: KindInfo, name: string): InferdError {
  return new InferdError('ALREADY_EXISTS', `${qualifiedResource(info)} "${name}" already exists`, {
    ...details(info, name),
    reason: 'AlreadyExists',
  });
}

export function conflict(info: KindInfo, name: string): InferdError {
  return new InferdError(
    'CONFLICT',
    `Operation cannot be fulfilled on ${qualifiedResource(info)} "${name}": the object has been modified; ` +
      'please apply your changes to the latest version and try again',
    { ...details(info, name), reason: 'Conflict' },
  );
}

export function uidMismatch(info: KindInfo, name: string, expected: string, actual: string): InferdError {
  return new InferdError(
    'CONFLICT',
    `Operation cannot be fulfilled on ${qualifiedResource(info)} "${name}": Precondition failed: ` +
      `UID in precondition: ${expected}, UID in object meta: ${actual}`,
    { ...details(info, name), reason: 'Conflict' },
  );
}

/**
 * A watch asked for a resourceVersion older than the event log holds (Kubernetes answers 410 Gone, reason
 * `Expired`). Code EXPIRED (410).
 */
export function expired(requested: string, oldest: string): InferdError {
  return new InferdError('EXPIRED', `too old resource version: ${requested} (${oldest})`, {
    reason: 'Expired',
    httpStatus: 410,
  });
}

/** A watch from a resourceVersion the store has not reached: another history. Answered like Expired. */
export function tooNew(requested: string, current: string): InferdError {
  return new InferdError(
    'EXPIRED',
    `resource version ${requested} is newer than the store's ${current} (the state was reset?): list again`,
    { reason: 'Expired', httpStatus: 410 },
  );
}

export function unknownKind(kind: string): InferdError {
  return new InferdError('RESOURCE_NOT_FOUND', `the server doesn't have a resource type "${kind}"`, {
    reason: 'NotFound',
    resource: kind,
  });
}

export function invalid(path: string, message: string): InferdError {
  return new InferdError('INVALID_MANIFEST', `${path}: ${message}`, { path });
}
