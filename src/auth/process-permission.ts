// Who may make inferd start a process (docs/security.md, "Custom containers"). A manifest that names a
// command runs code on the host with inferd's privileges (KServe runs it in a pod sandbox; inferd has none),
// so writing one is privileged: with auth on, only an identity allowed to `create processes` (the admin
// role); with auth off, only on a loopback-only server (the control API's Host/Origin/content-type checks
// have passed by then). A write that leaves an object's containers as they were needs no such right, so an
// editor may still scale or canary an admin's custom service. Pure but for the identity lookup.

import type { IncomingMessage } from 'node:http';
import type { Resource } from '../api/types.js';
import { BUILTIN_IMAGES, imageName } from '../controllers/replicas/image-map.js';
import { InferdError } from '../errors.js';
import { jsonEqual } from '../store/deep-equal.js';
import type { Identity } from './identity.js';
import { authorize } from './roles.js';

/** The permission a process-starting manifest needs: only admin holds it (roles.ts grants no other role). */
export const PROCESS_ACTION = { verb: 'create', resource: 'processes' } as const;

const COMPONENTS = ['predictor', 'transformer', 'explainer'] as const;

/** The parts of `obj` that make inferd start a custom process, by path; empty when none. */
export function processParts(obj: Resource | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const spec = (obj as { spec?: Record<string, unknown> } | undefined)?.spec;
  if (!obj || !spec) return out;
  if (obj.kind === 'InferenceService') {
    for (const c of COMPONENTS) {
      const containers = (spec[c] as { containers?: unknown[] } | undefined)?.containers;
      if (Array.isArray(containers) && containers.length > 0) out[`spec.${c}.containers`] = containers;
    }
  } else if (obj.kind === 'ServingRuntime' || obj.kind === 'ClusterServingRuntime') {
    const containers = spec['containers'];
    if (Array.isArray(containers)) {
      containers.forEach((c, i) => {
        const { command, args, image } = (c ?? {}) as { command?: unknown; args?: unknown; image?: unknown };
        // Args to an image the operator mapped are a command line too; KServe's own images run inferd's runtimes.
        const builtin = typeof image === 'string' && BUILTIN_IMAGES[imageName(image)] !== undefined;
        const hasArgs = Array.isArray(args) && args.length > 0;
        if ((Array.isArray(command) && command.length > 0) || (hasArgs && !builtin)) out[`spec.containers[${i}]`] = c;
      });
    }
  }
  return out;
}

export interface ProcessPolicy {
  /** `inferd serve --auth` (or a network address without --insecure-allow-anonymous). */
  authRequired: boolean;
  /** The server listens on loopback addresses only. */
  loopbackOnly: boolean;
}

/** Undefined when this write may be stored; else a FORBIDDEN error naming what is missing. */
export function processPermissionProblem(
  obj: Resource,
  old: Resource | undefined,
  identity: Identity | undefined,
  policy: ProcessPolicy,
): InferdError | undefined {
  const parts = processParts(obj);
  const paths = Object.keys(parts);
  if (paths.length === 0) return undefined;
  // Unchanged containers: whoever created them was allowed to; this write starts nothing new.
  if (old && jsonEqual(parts, processParts(old))) return undefined;
  const where = paths[0] as string;
  if (policy.authRequired) {
    if (identity && authorize(identity.grants, { ...PROCESS_ACTION, namespace: obj.metadata?.namespace }).allowed) {
      return undefined;
    }
    return new InferdError(
      'FORBIDDEN',
      `${where} runs a command on the host with inferd's privileges; only the admin role may create or change it${identity ? ` (User "${identity.user}" is not admin)` : ''}. Ask an admin to apply it, or use a model format inferd serves natively`,
      { path: where, reason: 'Forbidden' },
    );
  }
  if (!policy.loopbackOnly) {
    return new InferdError(
      'FORBIDDEN',
      `${where} runs a command on the host, and this server listens beyond loopback without auth (--insecure-allow-anonymous): anyone who reaches it could run code. Restart inferd serve with --auth (then an admin token may apply it) or on a loopback address`,
      { path: where, reason: 'Forbidden' },
    );
  }
  return undefined;
}

const identities = new WeakMap<IncomingMessage, Identity>();

/** The auth gate records who made a control request (auth on), for checks made after the body is read. */
export function rememberIdentity(req: IncomingMessage, identity: Identity): void {
  identities.set(req, identity);
}

export function identityOf(req: IncomingMessage | undefined): Identity | undefined {
  return req ? identities.get(req) : undefined;
}
