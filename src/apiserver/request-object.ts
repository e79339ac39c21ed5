// Checks that the object in a request body belongs at the request's URL, as the Kubernetes API server
// does before any storage: apiVersion/kind match the path (filled in when missing), the namespace matches
// the path's (filled in when empty), and for an object URL the name matches. Pure; BadRequest on mismatch.

import type { KindInfo, Resource } from '../api/types.js';
import { InferdError } from '../errors.js';

const badRequest = (message: string) => new InferdError('INVALID_INPUT', message, { reason: 'BadRequest' });

export interface RequestTarget {
  kind: KindInfo;
  namespace?: string;
  /** Set for object URLs (PUT, PATCH): the body's name must equal it. */
  name?: string;
}

/** The body as a Resource addressed at `target`, or BadRequest saying what does not match. */
export function objectForTarget(body: unknown, target: RequestTarget): Resource {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`the request body must be a ${target.kind.kind} object`);
  }
  const obj = body as Resource;
  const { kind } = target;
  if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = kind.apiVersion;
  if (obj.kind === undefined || obj.kind === '') obj.kind = kind.kind;
  if (obj.apiVersion !== kind.apiVersion) {
    throw badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${kind.apiVersion})`,
    );
  }
  if (obj.kind !== kind.kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${kind.kind})`);
  }
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = { name: '' };
  if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) throw badRequest('metadata must be an object');
  const meta = obj.metadata;
  if (kind.namespaced) {
    if (meta.namespace === undefined || meta.namespace === '') meta.namespace = target.namespace;
    else if (meta.namespace !== target.namespace) {
      throw badRequest(
        `the namespace of the provided object (${meta.namespace}) does not match the namespace sent on the request (${target.namespace})`,
      );
    }
  }
  if (target.name !== undefined) {
    if (meta.name === undefined || meta.name === '') meta.name = target.name;
    else if (meta.name !== target.name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${target.name})`);
    }
  }
  return obj;
}
