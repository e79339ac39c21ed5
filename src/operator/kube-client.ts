// The operator's and the cluster gateway's way to the Kubernetes API: a small JSON-over-HTTP(S) client. It
// takes the server and credentials from @kubernetes/client-node's KubeConfig (in-cluster service account,
// or a kubeconfig file) and does the requests itself, so every call is one visible HTTP request: no
// generated API classes, no informer (list+watch lives in informer.ts, with its own back-off).

import http from 'node:http';
import https from 'node:https';
import { STORAGE_ONLY_KINDS } from '../api/kube-kinds.js';
import { KINDS, type KindInfo, type Resource } from '../api/types.js';
import { groupVersionPrefix } from '../apiserver/routes.js';
import { type ErrorCode, InferdError } from '../errors.js';

/** Every kind the operator reads or writes, by Kind. */
const ALL_KINDS = new Map<string, KindInfo>([...KINDS, ...STORAGE_ONLY_KINDS].map((k) => [k.kind, k]));

export function kubeKind(kind: string): KindInfo {
  const info = ALL_KINDS.get(kind);
  if (!info) throw new InferdError('INTERNAL', `no kind ${kind} is known to the Kubernetes client`);
  return info;
}

/** `/apis/apps/v1/namespaces/ns/deployments/name/status` */
export function kubePath(kind: string, namespace?: string, name?: string, sub?: string): string {
  const k = kubeKind(kind);
  let p = groupVersionPrefix(k.apiVersion);
  if (k.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${k.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}

/** HTTP status → error code, so callers branch on `code` (409 CONFLICT, 404 RESOURCE_NOT_FOUND, 403 FORBIDDEN). */
const CODES: Record<number, ErrorCode> = {
  400: 'INVALID_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'RESOURCE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  410: 'EXPIRED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'INVALID_MANIFEST',
  429: 'OVERLOADED',
};

function apiError(status: number, body: string, what: string): InferdError {
  let message = body.slice(0, 500);
  let reason: string | undefined;
  try {
    const s = JSON.parse(body) as { message?: string; reason?: string };
    if (s.message) message = s.message;
    reason = s.reason;
  } catch {
    // not a Status: the raw text is the message
  }
  const code: ErrorCode =
    status === 409
      ? reason === 'AlreadyExists'
        ? 'ALREADY_EXISTS'
        : 'CONFLICT'
      : (CODES[status] ?? 'UPSTREAM_UNAVAILABLE');
  return new InferdError(code, `${what}: ${status} ${message}`, { status, reason: reason ?? String(status) });
}

export interface KubeClientOptions {
  /** API server URL, e.g. https://10.0.0.1:443. */
  server: string;
  /** Adds credentials and TLS settings to each request (KubeConfig.applyToHTTPSOptions). */
  authorize?: (opts: https.RequestOptions) => Promise<void>;
  /** Per-request timeout for non-watch requests (default 30 s). */
  timeoutMs?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export class KubeClient {
  readonly server: URL;
  readonly #authorize?: (opts: https.RequestOptions) => Promise<void>;
  readonly #timeoutMs: number;
  readonly #agent: http.Agent;

  constructor(opts: KubeClientOptions) {
    this.server = new URL(opts.server);
    this.#authorize = opts.authorize;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#agent =
      this.server.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /**
   * From a kubeconfig file (`--kubeconfig`), else in-cluster (the pod's service account), else the default
   * kubeconfig ($KUBECONFIG, ~/.kube/config) — KubeConfig's own rules.
   */
  static async fromKubeConfig(opts: { kubeconfig?: string; inCluster?: boolean }): Promise<KubeClient> {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else if (opts.inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new InferdError('INVALID_CONFIG', 'the kubeconfig names no current cluster');
    return new KubeClient({ server: cluster.server, authorize: (o) => kc.applyToHTTPSOptions(o) });
  }

  close(): void {
    this.#agent.destroy();
  }

  async #open(method: string, path: string, headers: Record<string, string>, timeoutMs: number | undefined) {
    const url = new URL(path, this.server);
    const opts: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      headers: { accept: 'application/json', ...headers },
      agent: this.#agent,
    };
    await this.#authorize?.(opts);
    // applyToHTTPSOptions may set its own agent (client certificates): keep ours only when it did not.
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(opts);
    if (timeoutMs !== undefined)
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    return req;
  }

  /** One request; resolves with the parsed JSON body, or rejects with an InferdError for a non-2xx answer. */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = payload
      ? { 'content-type': contentType, 'content-length': String(payload.length) }
      : {};
    const req = await this.#open(method, path, headers, this.#timeoutMs);
    return new Promise<T>((resolve, reject) => {
      req.once('error', (err) =>
        reject(new InferdError('UPSTREAM_UNAVAILABLE', `${method} ${path}: ${err.message}`, { cause: err })),
      );
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(apiError(status, text, `${method} ${path}`));
          try {
            resolve((text === '' ? undefined : JSON.parse(text)) as T);
          } catch (err) {
            reject(
              new InferdError('UPSTREAM_UNAVAILABLE', `${method} ${path}: the answer is not JSON`, { cause: err }),
            );
          }
        });
      });
      req.end(payload);
    });
  }

  get<T extends Resource>(kind: string, namespace: string | undefined, name: string): Promise<T> {
    return this.request<T>('GET', kubePath(kind, namespace, name));
  }

  /** The object, or undefined when it does not exist. */
  async find<T extends Resource>(kind: string, namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      return await this.get<T>(kind, namespace, name);
    } catch (err) {
      if (err instanceof InferdError && err.code === 'RESOURCE_NOT_FOUND') return undefined;
      throw err;
    }
  }

  list<T extends Resource>(
    kind: string,
    namespace?: string,
    labelSelector?: string,
  ): Promise<{ items: T[]; metadata: { resourceVersion: string } }> {
    const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    return this.request('GET', `${kubePath(kind, namespace)}${q}`);
  }

  create<T extends Resource>(obj: T): Promise<T> {
    return this.request<T>('POST', kubePath(obj.kind, obj.metadata.namespace), obj);
  }

  replace<T extends Resource>(obj: T): Promise<T> {
    return this.request<T>('PUT', kubePath(obj.kind, obj.metadata.namespace, obj.metadata.name), obj);
  }

  replaceStatus<T extends Resource>(obj: T): Promise<T> {
    return this.request<T>('PUT', kubePath(obj.kind, obj.metadata.namespace, obj.metadata.name, 'status'), obj);
  }

  mergePatch<T extends Resource>(
    kind: string,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    sub?: string,
  ) {
    return this.request<T>('PATCH', kubePath(kind, namespace, name, sub), patch, 'application/merge-patch+json');
  }

  delete(
    kind: string,
    namespace: string | undefined,
    name: string,
    propagationPolicy = 'Background',
  ): Promise<unknown> {
    return this.request('DELETE', `${kubePath(kind, namespace, name)}?propagationPolicy=${propagationPolicy}`);
  }

  /**
   * Streams a watch: `onEvent` for each line until the server ends the stream (resolves) or the connection
   * fails (rejects). `signal` ends it early (resolves).
   */
  async watch(
    path: string,
    resourceVersion: string,
    onEvent: (type: WatchEventType, object: Resource) => void,
    signal: AbortSignal,
    timeoutSeconds = 300,
  ): Promise<void> {
    const sep = path.includes('?') ? '&' : '?';
    const q = `watch=true&allowWatchBookmarks=true&timeoutSeconds=${timeoutSeconds}&resourceVersion=${encodeURIComponent(resourceVersion)}`;
    if (signal.aborted) return;
    const req = await this.#open('GET', `${path}${sep}${q}`, {}, undefined);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        req.destroy();
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (err?: Error) => {
        signal.removeEventListener('abort', onAbort);
        if (err && !signal.aborted) reject(err);
        else resolve();
      };
      req.once('error', (err) => done(new InferdError('UPSTREAM_UNAVAILABLE', `watch ${path}: ${err.message}`)));
      req.once('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.once('end', () => done(apiError(status, Buffer.concat(chunks).toString('utf8'), `watch ${path}`)));
          return;
        }
        let buf = '';
        let failed: Error | undefined;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line === '' || failed) continue;
            try {
              const ev = JSON.parse(line) as {
                type: WatchEventType;
                object: Resource & { code?: number; message?: string };
              };
              if (ev.type === 'ERROR') {
                failed = apiError(ev.object.code ?? 500, JSON.stringify(ev.object), `watch ${path}`);
                res.destroy();
                done(failed);
                return;
              }
              onEvent(ev.type, ev.object);
            } catch (err) {
              failed = err as Error;
              res.destroy();
              done(failed);
              return;
            }
          }
        });
        res.once('end', () => done());
        res.once('close', () => done());
        res.once('error', (err) => done(err));
      });
      req.end();
    });
  }
}
