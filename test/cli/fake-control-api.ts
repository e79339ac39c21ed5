// A test double of inferd's control API contract, for the CLI's unit tests only: Kubernetes-style paths
// served from an in-memory map on 127.0.0.1:0, with resourceVersion, watch (JSON lines), Status errors,
// isvc defaulting (old-style predictor.sklearn → predictor.model), a validation error and a log endpoint.
// End-to-end tests run the CLI against the real `inferd serve` instead.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KINDS, type KindInfo } from '../../src/api/types.js';

// biome-ignore lint/suspicious/noExplicitAny: a test double that reads and writes arbitrary JSON objects
type Obj = Record<string, any>;

export interface FakeOptions {
  /** Answer `?watch=true` with 405, so clients must poll. */
  noWatch?: boolean;
  /** Fixed creationTimestamp for new objects (for stable AGE columns). */
  creationTimestamp?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body?: Obj;
}

interface Route {
  kind: KindInfo;
  namespace?: string;
  name?: string;
  sub?: string;
}

function status(code: number, reason: string, message: string, causes?: { field: string; message: string }[]): Obj {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    details: causes ? { causes } : {},
    code,
  };
}

const groupOf = (k: KindInfo) => (k.apiVersion.includes('/') ? k.apiVersion.split('/')[0] : '');
const qualified = (k: KindInfo) => (groupOf(k) ? `${k.plural}.${groupOf(k)}` : k.plural);

function parseRoute(pathname: string): Route | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let rest: string[];
  let apiVersion: string;
  if (parts[0] === 'api' && parts[1] === 'v1') {
    apiVersion = 'v1';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    apiVersion = `${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const kind = KINDS.find((k) => k.plural === rest[0] && k.apiVersion === apiVersion);
  if (!kind) return undefined;
  return { kind, namespace, name: rest[1], sub: rest[2] };
}

/** Old-style `predictor.sklearn` becomes `predictor.model.modelFormat.name: sklearn`, as the real server does. */
function defaultIsvc(obj: Obj): Obj {
  const predictor = obj.spec?.predictor;
  if (!predictor?.sklearn) return obj;
  const { sklearn, ...others } = predictor;
  return {
    ...obj,
    spec: { ...obj.spec, predictor: { ...others, model: { modelFormat: { name: 'sklearn' }, ...sklearn } } },
  };
}

const contentOf = (o: Obj) => {
  const { metadata, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify([rest, metadata?.labels ?? {}, metadata?.annotations ?? {}]);
};

export class FakeControlApi {
  readonly objects = new Map<string, Obj>();
  readonly requests: RecordedRequest[] = [];
  readonly logs = new Map<string, string[]>();
  #rv = 100;
  #events: { rv: number; type: string; object: Obj; kind: KindInfo }[] = [];
  #watchers = new Set<(ev: { type: string; object: Obj; kind: KindInfo }) => void>();
  #server: http.Server;
  #opts: FakeOptions;
  url = '';

  private constructor(opts: FakeOptions) {
    this.#opts = opts;
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
  }

  static async start(opts: FakeOptions = {}): Promise<FakeControlApi> {
    const api = new FakeControlApi(opts);
    await new Promise<void>((r) => api.#server.listen(0, '127.0.0.1', r));
    api.url = `http://127.0.0.1:${(api.#server.address() as AddressInfo).port}`;
    return api;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  #key(kind: KindInfo, namespace: string | undefined, name: string): string {
    return `${kind.plural}/${kind.namespaced ? namespace : ''}/${name}`;
  }

  #emit(type: string, kind: KindInfo, object: Obj): void {
    this.#events.push({ rv: Number(object.metadata.resourceVersion), type, object, kind });
    for (const w of this.#watchers) w({ type, object, kind });
  }

  /** Stores an object directly (test setup), as if created by a client. */
  seed(obj: Obj): Obj {
    const kind = KINDS.find((k) => k.kind === obj.kind)!;
    const stored = this.#create(kind, obj);
    return stored;
  }

  #create(kind: KindInfo, obj: Obj): Obj {
    const rv = String(++this.#rv);
    const stored: Obj = {
      ...(kind.kind === 'InferenceService' ? defaultIsvc(obj) : obj),
      apiVersion: kind.apiVersion,
      kind: kind.kind,
      metadata: {
        ...obj.metadata,
        uid: randomUUID(),
        resourceVersion: rv,
        generation: 1,
        creationTimestamp: this.#opts.creationTimestamp ?? new Date().toISOString(),
      },
    };
    if (!kind.namespaced) delete stored.metadata.namespace;
    this.objects.set(this.#key(kind, obj.metadata.namespace, obj.metadata.name), stored);
    this.#emit('ADDED', kind, stored);
    return stored;
  }

  get(plural: string, namespace: string | undefined, name: string): Obj | undefined {
    const kind = KINDS.find((k) => k.plural === plural)!;
    return this.objects.get(this.#key(kind, namespace, name));
  }

  /** Replaces an object's status (what a controller does), bumping resourceVersion. */
  setStatus(plural: string, namespace: string, name: string, status: Obj): Obj {
    const kind = KINDS.find((k) => k.plural === plural)!;
    const key = this.#key(kind, namespace, name);
    const cur = this.objects.get(key)!;
    const next = { ...cur, status, metadata: { ...cur.metadata, resourceVersion: String(++this.#rv) } };
    this.objects.set(key, next);
    this.#emit('MODIFIED', kind, next);
    return next;
  }

  /** Removes an object (what a controller finishing a deletion does). */
  remove(plural: string, namespace: string, name: string): void {
    const kind = KINDS.find((k) => k.plural === plural)!;
    const key = this.#key(kind, namespace, name);
    const cur = this.objects.get(key)!;
    this.objects.delete(key);
    this.#emit('DELETED', kind, { ...cur, metadata: { ...cur.metadata, resourceVersion: String(++this.#rv) } });
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as Obj) : undefined;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body });
    const send = (code: number, obj: Obj) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (url.pathname === '/version') return send(200, { version: 'v0.1.0-fake' });
    const route = parseRoute(url.pathname);
    if (!route) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const { kind, namespace, name, sub } = route;
    const notFound = () => send(404, status(404, 'NotFound', `${qualified(kind)} "${name}" not found`));

    if (sub === 'log') {
      const lines = this.logs.get(`${namespace}/${name}`);
      if (!lines) return notFound();
      const tail = url.searchParams.get('tailLines');
      const shown = tail === null ? lines : lines.slice(-Number(tail));
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(shown.map((l) => `${l}\n`).join(''));
      return;
    }

    if (!name) {
      if (req.method === 'POST') {
        const obj: Obj = {
          ...body!,
          metadata: { ...body!.metadata, namespace: namespace ?? body!.metadata?.namespace },
        };
        if (this.objects.has(this.#key(kind, namespace, obj.metadata.name))) {
          return send(409, status(409, 'AlreadyExists', `${qualified(kind)} "${obj.metadata.name}" already exists`));
        }
        if (kind.kind === 'InferenceService' && !obj.spec?.predictor) {
          return send(
            422,
            status(422, 'Invalid', `InferenceService.serving.kserve.io "${obj.metadata.name}" is invalid`, [
              { field: 'spec.predictor', message: 'Required value' },
            ]),
          );
        }
        return send(201, this.#create(kind, obj));
      }
      const matches = (o: Obj) => {
        if (kind.namespaced && namespace !== undefined && o.metadata.namespace !== namespace) return false;
        const fs = url.searchParams.get('fieldSelector');
        if (fs?.startsWith('involvedObject.name=') && o.involvedObject?.name !== fs.split('=')[1]) return false;
        if (fs?.startsWith('metadata.name=') && o.metadata.name !== fs.split('=')[1]) return false;
        const ls = url.searchParams.get('labelSelector');
        if (ls) {
          const [k, v] = ls.split('=');
          if (o.metadata.labels?.[k!] !== v) return false;
        }
        return true;
      };
      if (url.searchParams.get('watch') === 'true') {
        if (this.#opts.noWatch) return send(405, status(405, 'MethodNotAllowed', 'watch is not supported'));
        res.writeHead(200, { 'content-type': 'application/json' });
        const since = Number(url.searchParams.get('resourceVersion') ?? 0);
        const write = (ev: { type: string; object: Obj; kind: KindInfo }) => {
          if (ev.kind === kind && matches(ev.object))
            res.write(`${JSON.stringify({ type: ev.type, object: ev.object })}\n`);
        };
        for (const ev of this.#events) if (ev.rv > since) write(ev);
        this.#watchers.add(write);
        res.on('close', () => this.#watchers.delete(write));
        return;
      }
      const items = [...this.objects.values()]
        .filter((o) => o.kind === kind.kind && matches(o))
        // Kubernetes lists leave apiVersion/kind off their items; so does this double.
        .map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
      return send(200, {
        kind: `${kind.kind}List`,
        apiVersion: kind.apiVersion,
        metadata: { resourceVersion: String(this.#rv) },
        items,
      });
    }

    const key = this.#key(kind, namespace, name);
    const cur = this.objects.get(key);
    switch (req.method) {
      case 'GET':
        return cur ? send(200, cur) : notFound();
      case 'DELETE': {
        if (!cur) return notFound();
        this.remove(kind.plural, namespace ?? '', name);
        return send(200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name, kind: kind.plural } });
      }
      case 'PUT': {
        if (!cur) return notFound();
        const rv = body!.metadata?.resourceVersion;
        if (rv && rv !== cur.metadata.resourceVersion) {
          return send(
            409,
            status(
              409,
              'Conflict',
              `Operation cannot be fulfilled on ${qualified(kind)} "${name}": the object has been modified`,
            ),
          );
        }
        const incoming = kind.kind === 'InferenceService' ? defaultIsvc(body!) : body!;
        const next: Obj = {
          ...incoming,
          apiVersion: kind.apiVersion,
          kind: kind.kind,
          status: cur.status,
          metadata: { ...cur.metadata, labels: incoming.metadata?.labels, annotations: incoming.metadata?.annotations },
        };
        // A write that changes nothing keeps its resourceVersion (as the real server's store does).
        if (contentOf(next) === contentOf(cur)) return send(200, cur);
        next.metadata.resourceVersion = String(++this.#rv);
        if (JSON.stringify(next.spec) !== JSON.stringify(cur.spec))
          next.metadata.generation = cur.metadata.generation + 1;
        this.objects.set(key, next);
        this.#emit('MODIFIED', kind, next);
        return send(200, next);
      }
      default:
        return send(405, status(405, 'MethodNotAllowed', `${req.method} is not supported`));
    }
  }
}

/** A captured CliIo: what a command wrote, and a fetch that talks to the fake. */
export function captureIo(
  extra: { env?: Record<string, string>; stdin?: string; now?: () => number; signal?: AbortSignal } = {},
) {
  let out = '';
  let err = '';
  const io = {
    stdout: {
      write: (s: string) => {
        out += s;
      },
    },
    stderr: {
      write: (s: string) => {
        err += s;
      },
    },
    // An empty INFERD_CONFIG path keeps the tests away from a developer's ~/.inferd/config.
    env: { INFERD_CONFIG: '/nonexistent/inferd-config', ...extra.env },
    stdin:
      extra.stdin === undefined
        ? undefined
        : (async function* () {
            yield extra.stdin!;
          })(),
    now: extra.now,
    signal: extra.signal,
  };
  return { io, out: () => out, err: () => err };
}
