// inferd's Kubernetes-style control API: the paths kubectl would use for KServe's kinds and the core kinds
// inferd stores, served from the store, mountable beside the gateway on one port. `handle` answers false
// for paths it does not own, so the caller can try its other handlers. Who may call it is decided before it
// (src/auth, with `inferd serve --auth`); without auth anyone who reaches the port can read and write.

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KINDS, type KindInfo } from '../api/types.js';
import { messageOf } from '../errors.js';
import { lingerBeforeClose } from '../http/lingering-close.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { discoveryDocument, versionDocument } from './discovery.js';
import { GarbageCollector } from './garbage-collector.js';
import { serveOpenApi } from './openapi-handler.js';
import { DEFAULT_MAX_BODY_BYTES } from './request-body.js';
import { type AccessPolicy, accessProblem } from './request-guard.js';
import {
  type Admit,
  type HandlerDeps,
  handleCollection,
  handleObject,
  handleStatus,
  type RequestContext,
} from './resource-handlers.js';
import { sendJson, sendText } from './respond.js';
import { type ApiRoute, parseApiPath, rbacVerb } from './routes.js';
import { failure, statusFromError } from './status-errors.js';
import type { WatchStream } from './watch-stream.js';

export type { Admit } from './resource-handlers.js';

export interface ApiServerOptions {
  store: Store;
  log: Logger;
  /** Defaulting + validation for creates and replaces (not status writes); throws INVALID_MANIFEST. */
  admit?: Admit;
  /** Request body limit in bytes; larger bodies get 413. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Reported by `GET /version` as `v<version>`. Default: package.json's version. */
  version?: string;
  /** Host/Origin checks (DNS rebinding, CSRF). Default: loopback names and addresses only, no other origin. */
  access?: AccessPolicy;
  /** What `/readyz` reports: undefined when ready, else why not (503). Default: always ready. */
  notReady?: () => string | undefined;
  /**
   * Storage-only Kubernetes kinds served besides KINDS (api/kube-kinds.ts; tests without a cluster), with
   * owner-reference garbage collection on delete. The store must have been opened with the same extraKinds.
   */
  storageOnlyKinds?: readonly KindInfo[];
  /** Answers 403 Forbidden, as Kubernetes RBAC would, when it returns true (tests of the operator's RBAC handling). */
  forbid?: (request: { verb: string; kind: KindInfo; namespace?: string }) => boolean;
}

export interface ApiServer {
  /** Serves the request if its path belongs to the control API (then returns true); false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Ends every open watch stream (call before closing the HTTP server). */
  close(): void;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    // Running from an unusual layout (bundled, tests): the version is informational only.
    return '0.0.0';
  }
}

/** Creates the control API over `store`. */
export function createApiServer(opts: ApiServerOptions): ApiServer {
  const version = opts.version ?? packageVersion();
  const access: AccessPolicy = opts.access ?? { allowedHosts: [], allowedOrigins: [], listenAddresses: [] };
  const deps: HandlerDeps = {
    store: opts.store,
    log: opts.log,
    admit: opts.admit,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    watches: new Set<WatchStream>(),
  };
  const extraKinds = opts.storageOnlyKinds?.length ? opts.storageOnlyKinds : undefined;
  if (extraKinds) {
    deps.gc = new GarbageCollector({ store: opts.store, kinds: [...KINDS, ...extraKinds], log: opts.log });
    deps.gc.start();
  }

  /** Answers the routes that are not stored objects. */
  function serveFixed(
    route: Exclude<ApiRoute, { type: 'collection' | 'object' }>,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    if (route.type === 'healthz') sendText(res, 200, 'ok');
    else if (route.type === 'readyz') {
      const why = opts.notReady?.();
      if (why === undefined) sendText(res, 200, 'ok');
      else sendText(res, 503, `not ready: ${why}`);
    } else if (route.type === 'openapi') serveOpenApi(route, req, res, version);
    else if (route.type === 'version') sendJson(res, 200, versionDocument(version));
    else if (route.type === 'discovery') {
      const doc = discoveryDocument(route.path);
      if (doc !== undefined) sendJson(res, 200, doc);
      else sendJson(res, 404, failure(404, 'NotFound', 'the server could not find the requested resource'));
    } else {
      const details = route.resource ? { group: route.group, kind: route.resource } : undefined;
      sendJson(res, 404, failure(404, 'NotFound', route.message, details));
    }
  }

  /** Serves a stored-object route; every error becomes a Status response. */
  async function serveResource(
    route: Extract<ApiRoute, { type: 'collection' | 'object' }>,
    req: IncomingMessage,
    res: ServerResponse,
    params: URLSearchParams,
  ): Promise<void> {
    const ctx: RequestContext = { req, res, params, kind: route.kind, namespace: route.namespace };
    const verb = rbacVerb(req.method, route.type === 'collection', params);
    if (opts.forbid?.({ verb, kind: route.kind, namespace: route.namespace })) {
      sendJson(res, 403, forbidden(verb, route.kind, route.namespace));
      return;
    }
    try {
      if (route.type === 'collection') return await handleCollection(deps, ctx);
      ctx.subject = route.name;
      if (route.subresource === 'status') return await handleStatus(deps, ctx, route.name);
      return await handleObject(deps, ctx, route.name);
    } catch (err) {
      const status = statusFromError(err, { kind: route.kind, name: ctx.subject });
      if (status.code >= 500) {
        // Logged once here, with the stack; the client gets the message only.
        opts.log.error('control API request failed', {
          method: req.method,
          path: req.url,
          error: messageOf(err),
          stack: (err as Error)?.stack,
        });
      }
      const headers: Record<string, string> = {};
      const allow = (err as { details?: { allow?: unknown } })?.details?.allow;
      if (status.code === 405 && typeof allow === 'string') headers['allow'] = allow;
      // Past the body limit, stop reading the rest of it: close the connection after answering.
      if (status.code === 413) {
        headers['connection'] = 'close';
        lingerBeforeClose(req.socket); // so the client reads the 413 rather than a reset (issue 10, L1)
      }
      sendJson(res, status.code, status, headers);
    }
  }

  return {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = parseApiPath(url.pathname, extraKinds);
      if (!route) return false;
      // Probes may use any Host (a kubelet sends the pod's IP); everything else must come from this server's names.
      const refused = route.type === 'healthz' || route.type === 'readyz' ? undefined : accessProblem(req, access);
      if (refused) {
        sendJson(res, 403, failure(403, 'Forbidden', refused.message));
        return true;
      }
      if (route.type !== 'collection' && route.type !== 'object') {
        serveFixed(route, req, res);
        return true;
      }
      serveResource(route, req, res, url.searchParams).catch((err) => {
        // Only reached if writing the error response itself failed (the socket is gone).
        opts.log.warn('control API could not answer', {
          method: req.method,
          path: url.pathname,
          error: messageOf(err),
        });
      });
      return true;
    },
    close() {
      deps.gc?.close();
      for (const w of [...deps.watches]) w.close();
      deps.watches.clear();
    },
  };
}

/** Kubernetes' RBAC refusal, word for word in shape. */
function forbidden(verb: string, kind: KindInfo, namespace: string | undefined) {
  const group = kind.apiVersion.includes('/') ? kind.apiVersion.split('/')[0]! : '';
  const resource = group ? `${kind.plural}.${group}` : kind.plural;
  const where = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
  return failure(
    403,
    'Forbidden',
    `${resource} is forbidden: User "system:anonymous" cannot ${verb} resource "${kind.plural}" in API group "${group}"${where}`,
    { group, kind: kind.plural },
  );
}
