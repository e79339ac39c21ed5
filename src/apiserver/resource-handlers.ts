// The verbs on stored objects: get/list/watch, create, replace, patch, delete, deletecollection and the
// `/status` subresource. Each handler reads the request, calls `admit` (defaulting + validation, injected)
// for writes of the object itself, and hands the store the result; errors propagate to the caller, which
// answers with a Status. Status writes skip admission, as Kubernetes skips it for `/status`.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KindInfo, Resource } from '../api/types.js';
import { InferdError } from '../errors.js';
import type { Logger } from '../log.js';
import { generateName } from '../store/names.js';
import { alreadyExists, notFound } from '../store/resource-errors.js';
import type { ObjectKey, Store } from '../store/store.js';
import type { GarbageCollector, PropagationPolicy } from './garbage-collector.js';
import { applyJsonPatch } from './json-patch.js';
import { mergePatch } from './merge-patch.js';
import { checkSelectableFields, type ListQuery, matchesFields, parseListQuery } from './query.js';
import { parseBody, readBody } from './request-body.js';
import { bodyTypeProblem } from './request-guard.js';
import { objectForTarget } from './request-object.js';
import { sendJson } from './respond.js';
import { includeObjectOf, type TableOptions, tableVersion, toTable } from './table.js';
import { startWatchStream, type WatchStream } from './watch-stream.js';

/** Defaulting + validation for a create or replace; throws INVALID_MANIFEST with `details.path`. */
export type Admit = (
  obj: Resource,
  op: 'CREATE' | 'UPDATE',
  old: Resource | undefined,
  /** The API request making the write (who made it: process-permission.ts). */
  req?: IncomingMessage,
) => Resource;

export interface HandlerDeps {
  store: Store;
  log: Logger;
  admit?: Admit;
  maxBodyBytes: number;
  /** Open watch streams, so the API server can end them when it closes. */
  watches: Set<WatchStream>;
  /** Owner-reference garbage collection (storage-only kinds served): DELETE honours propagationPolicy. */
  gc?: GarbageCollector;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: URLSearchParams;
  kind: KindInfo;
  namespace?: string;
  /** The object's name once known (from the URL or the body), for error Status details. */
  subject?: string;
}

type PatchFlavour = 'merge' | 'json' | 'apply';
const PATCH_TYPES: Record<string, PatchFlavour> = {
  'application/merge-patch+json': 'merge',
  // Strategic merge needs per-field merge keys; inferd merges like RFC 7386 (lists replace).
  'application/strategic-merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  // Server-side apply, approximated: create when absent, else merge-patch the applied fields.
  'application/apply-patch+yaml': 'apply',
};

function methodNotAllowed(allowed: string[]): InferdError {
  return new InferdError('METHOD_NOT_ALLOWED', 'the server does not allow this method on the requested resource', {
    allow: allowed.join(', '),
  });
}

const isDryRun = (params: URLSearchParams) => params.getAll('dryRun').includes('All');

async function readObjectBody(deps: HandlerDeps, req: IncomingMessage): Promise<unknown> {
  // Before reading: a text/plain or form body is what a cross-site page can send without a CORS preflight.
  const wrongType = bodyTypeProblem(req.headers['content-type']);
  if (wrongType) throw wrongType;
  return parseBody(await readBody(req, deps.maxBodyBytes), req.headers['content-type']);
}

function keyOf(ctx: RequestContext, name: string): ObjectKey {
  return { kind: ctx.kind.kind, namespace: ctx.kind.namespaced ? ctx.namespace : undefined, name };
}

function admitted(
  deps: HandlerDeps,
  obj: Resource,
  op: 'CREATE' | 'UPDATE',
  old: Resource | undefined,
  req?: IncomingMessage,
): Resource {
  return deps.admit ? deps.admit(obj, op, old, req) : obj;
}

/** How many generated names a create tries before answering AlreadyExists (Kubernetes retries too). */
const GENERATE_NAME_TRIES = 8;

/** `metadata.generateName` when the object has no name and asks for one to be generated. */
function generatePrefix(obj: Resource): string | undefined {
  const meta = obj.metadata as { name?: unknown; generateName?: unknown };
  if (meta.name !== undefined && meta.name !== '') return undefined;
  return typeof meta.generateName === 'string' && meta.generateName !== '' ? meta.generateName : undefined;
}

function filtered(items: Resource[], query: ListQuery): Resource[] {
  return query.fieldSelector.length ? items.filter((o) => matchesFields(o, query.fieldSelector)) : items;
}

function listBody(kind: KindInfo, items: Resource[], resourceVersion: string) {
  return { apiVersion: kind.apiVersion, kind: `${kind.kind}List`, metadata: { resourceVersion }, items };
}

/** Table options when the client asked for server-side printing (kubectl get), else undefined. */
function tableRequest(ctx: RequestContext): Omit<TableOptions, 'nowMs'> | undefined {
  const version = tableVersion(ctx.req.headers.accept);
  return version ? { version, includeObject: includeObjectOf(ctx.params) } : undefined;
}

// ---- collections: /…/{plural} and /…/namespaces/{ns}/{plural} ----

export async function handleCollection(deps: HandlerDeps, ctx: RequestContext): Promise<void> {
  const { req, res, kind } = ctx;
  switch (req.method) {
    case 'GET': {
      const query = parseListQuery(ctx.params);
      checkSelectableFields(kind.kind, query.fieldSelector);
      if (query.watch) return watch(deps, ctx, query);
      const { items, resourceVersion } = deps.store.list({
        kind: kind.kind,
        namespace: ctx.namespace,
        labelSelector: query.labelSelector,
      });
      const table = tableRequest(ctx);
      if (table)
        return sendJson(
          res,
          200,
          toTable(kind, filtered(items, query), { ...table, resourceVersion, nowMs: Date.now() }),
        );
      return sendJson(res, 200, listBody(kind, filtered(items, query), resourceVersion));
    }
    case 'POST': {
      if (kind.namespaced && ctx.namespace === undefined) {
        throw new InferdError(
          'METHOD_NOT_ALLOWED',
          `${kind.plural} are namespaced: create them under /namespaces/{namespace}/${kind.plural}`,
          { allow: 'GET' },
        );
      }
      const obj = objectForTarget(await readObjectBody(deps, req), { kind, namespace: ctx.namespace });
      const prefix = generatePrefix(obj);
      for (let attempt = 1; ; attempt++) {
        // Kubernetes expands generateName before admission and retries a name that collides.
        if (prefix !== undefined) obj.metadata.name = generateName(prefix);
        ctx.subject = obj.metadata.name;
        const input = admitted(deps, structuredClone(obj), 'CREATE', undefined, ctx.req);
        const name = input.metadata?.name;
        const taken = name !== undefined && name !== '' && deps.store.get(keyOf(ctx, name)) !== undefined;
        if (taken && prefix !== undefined && attempt < GENERATE_NAME_TRIES) continue;
        if (taken) throw alreadyExists(kind, name);
        if (isDryRun(ctx.params)) return sendJson(res, 201, input);
        try {
          return sendJson(res, 201, deps.store.create(input));
        } catch (err) {
          // a concurrent create took the generated name between the check and the write
          const lost = err instanceof InferdError && err.code === 'ALREADY_EXISTS';
          if (!lost || prefix === undefined || attempt >= GENERATE_NAME_TRIES) throw err;
        }
      }
    }
    case 'DELETE': {
      if (kind.kind === 'Namespace') throw methodNotAllowed(['GET', 'POST']);
      const query = parseListQuery(ctx.params);
      checkSelectableFields(kind.kind, query.fieldSelector);
      const { items } = deps.store.list({
        kind: kind.kind,
        namespace: ctx.namespace,
        labelSelector: query.labelSelector,
      });
      const doomed = filtered(items, query);
      const deleted = isDryRun(ctx.params)
        ? doomed
        : doomed.map((o) =>
            deps.store.delete({ kind: kind.kind, namespace: o.metadata.namespace, name: o.metadata.name }),
          );
      return sendJson(res, 200, listBody(kind, deleted, deps.store.list({ kind: kind.kind }).resourceVersion));
    }
    default:
      throw methodNotAllowed(['GET', 'POST', 'DELETE']);
  }
}

function watch(deps: HandlerDeps, ctx: RequestContext, query: ListQuery, name?: string): void {
  const q =
    name === undefined
      ? query
      : {
          ...query,
          fieldSelector: [...query.fieldSelector, { path: ['metadata', 'name'], value: name, negate: false }],
        };
  const table = tableRequest(ctx);
  const stream = startWatchStream({
    // Each event's object becomes a one-row Table when the client asked for tables.
    transform: table ? (obj) => toTable(ctx.kind, [obj], { ...table, nowMs: Date.now() }) : undefined,
    store: deps.store,
    kind: ctx.kind,
    namespace: ctx.namespace,
    query: q,
    res: ctx.res,
    log: deps.log,
  });
  deps.watches.add(stream);
  ctx.res.once('close', () => deps.watches.delete(stream));
}

// ---- objects: /…/{plural}/{name} ----

export async function handleObject(deps: HandlerDeps, ctx: RequestContext, name: string): Promise<void> {
  const { req, res, kind } = ctx;
  const key = keyOf(ctx, name);
  const current = (): Resource => {
    const obj = deps.store.get(key);
    if (!obj) throw notFound(kind, name);
    return obj;
  };
  switch (req.method) {
    case 'GET': {
      const query = parseListQuery(ctx.params);
      checkSelectableFields(kind.kind, query.fieldSelector);
      if (query.watch) return watch(deps, ctx, query, name);
      const table = tableRequest(ctx);
      if (table) {
        // The Table's resourceVersion is the object's, as the apiserver's: `kubectl get NAME -w` watches from it.
        const obj = current();
        const resourceVersion = obj.metadata.resourceVersion;
        return sendJson(res, 200, toTable(kind, [obj], { ...table, resourceVersion, nowMs: Date.now() }));
      }
      return sendJson(res, 200, current());
    }
    case 'PUT': {
      const obj = objectForTarget(await readObjectBody(deps, req), { kind, namespace: ctx.namespace, name });
      const input = admitted(deps, obj, 'UPDATE', current(), ctx.req);
      return sendJson(res, 200, isDryRun(ctx.params) ? input : deps.store.update(input));
    }
    case 'PATCH': {
      const flavour = patchFlavour(req);
      const patch = await readObjectBody(deps, req);
      const old = deps.store.get(key);
      if (!old) {
        if (flavour !== 'apply') throw notFound(kind, name);
        const obj = objectForTarget(patch, { kind, namespace: ctx.namespace, name });
        const input = admitted(deps, obj, 'CREATE', undefined, ctx.req);
        return sendJson(res, 201, isDryRun(ctx.params) ? input : deps.store.create(input));
      }
      const merged = objectForTarget(applyPatch(deps, flavour, old, patch), { kind, namespace: ctx.namespace, name });
      const input = admitted(deps, merged, 'UPDATE', old, ctx.req);
      return sendJson(res, 200, isDryRun(ctx.params) ? input : deps.store.update(input));
    }
    case 'DELETE': {
      if (isDryRun(ctx.params)) return sendJson(res, 200, current());
      if (deps.gc) return sendJson(res, 200, deps.gc.delete(key, await propagationOf(deps, ctx)));
      return sendJson(res, 200, deps.store.delete(key));
    }
    default:
      throw methodNotAllowed(['GET', 'PUT', 'PATCH', 'DELETE']);
  }
}

// ---- the status subresource: /…/{plural}/{name}/status ----

export async function handleStatus(deps: HandlerDeps, ctx: RequestContext, name: string): Promise<void> {
  const { req, res, kind } = ctx;
  const key = keyOf(ctx, name);
  switch (req.method) {
    case 'GET': {
      const obj = deps.store.get(key);
      if (!obj) throw notFound(kind, name);
      return sendJson(res, 200, obj);
    }
    case 'PUT': {
      const obj = objectForTarget(await readObjectBody(deps, req), { kind, namespace: ctx.namespace, name });
      return sendJson(res, 200, deps.store.updateStatus(obj));
    }
    case 'PATCH': {
      const flavour = patchFlavour(req);
      const patch = await readObjectBody(deps, req);
      const old = deps.store.get(key);
      if (!old) throw notFound(kind, name);
      const merged = objectForTarget(applyPatch(deps, flavour, old, patch), { kind, namespace: ctx.namespace, name });
      return sendJson(res, 200, deps.store.updateStatus(merged));
    }
    default:
      throw methodNotAllowed(['GET', 'PUT', 'PATCH']);
  }
}

const POLICIES: readonly PropagationPolicy[] = ['Background', 'Foreground', 'Orphan'];

/** DeleteOptions.propagationPolicy from the query or the body (default Background, as for most kinds). */
async function propagationOf(deps: HandlerDeps, ctx: RequestContext): Promise<PropagationPolicy> {
  let policy = ctx.params.get('propagationPolicy') ?? undefined;
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (policy === undefined && (length > 0 || ctx.req.headers['transfer-encoding'])) {
    const body = parseBody(await readBody(ctx.req, deps.maxBodyBytes), 'application/json') as {
      propagationPolicy?: unknown;
    } | null;
    if (body && typeof body.propagationPolicy === 'string') policy = body.propagationPolicy;
  }
  if (policy === undefined || policy === '') return 'Background';
  if (!POLICIES.includes(policy as PropagationPolicy)) {
    throw new InferdError('INVALID_INPUT', `propagationPolicy: Unsupported value: "${policy}"`, {
      reason: 'BadRequest',
    });
  }
  return policy as PropagationPolicy;
}

function patchFlavour(req: IncomingMessage): PatchFlavour {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const flavour = PATCH_TYPES[type];
  if (!flavour) {
    throw new InferdError(
      'UNSUPPORTED_MEDIA_TYPE',
      `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`,
    );
  }
  return flavour;
}

function applyPatch(deps: HandlerDeps, flavour: PatchFlavour, old: Resource, patch: unknown): unknown {
  if (flavour === 'json') return applyJsonPatch(old, patch, { maxCopyBytes: deps.maxBodyBytes });
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    throw new InferdError('INVALID_INPUT', 'a merge patch must be a JSON object', { reason: 'BadRequest' });
  }
  return mergePatch(old, patch);
}
