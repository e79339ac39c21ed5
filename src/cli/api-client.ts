// The HTTP client for inferd's Kubernetes-style control API: JSON requests, JSON-lines watch streams and
// plain-text log streams. Network failures become one clear "cannot reach inferd" error; non-2xx answers
// become StatusError. Knows nothing about kinds or printing.

import { InferdError, messageOf } from '../errors.js';
import { StatusError, statusFromBody } from './api-status.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Defaults to application/json; PATCH callers pass application/merge-patch+json. */
  contentType?: string;
  signal?: AbortSignal;
}

export interface WatchEvent<T = Record<string, unknown>> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface ApiClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 (no trailing slash). */
  server: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  fetch?: typeof fetch;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

/** TLS failures: the server answered, but its certificate is not trusted or TLS does not fit (no "running?"). */
const TLS_REASONS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is signed by an unknown CA",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate is signed by an unknown CA",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chain ends in an untrusted self-signed CA",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed and not trusted",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not name this host",
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS (use http://)',
  EPROTO: 'TLS failed: the server may not speak TLS (use http://)',
};

/** The first system error code in an error's cause chain (undici wraps them, sometimes in AggregateError). */
function networkCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown[] };
  if (typeof e.code === 'string' && (e.code in NETWORK_REASONS || e.code in TLS_REASONS)) return e.code;
  for (const inner of e.errors ?? []) {
    const c = networkCode(inner, depth + 1);
    if (c) return c;
  }
  return networkCode(e.cause, depth + 1);
}

const isAbort = (err: unknown): boolean => (err as { name?: string } | null)?.name === 'AbortError';

export class ApiClient {
  readonly server: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(opts: ApiClientOptions) {
    this.server = opts.server;
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? globalThis.fetch;
  }

  url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return `${this.server}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Sends one request and returns its response, throwing StatusError for non-2xx answers. */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await this.#fetch(this.url(path, opts.query), { method, headers, body, signal: opts.signal });
    } catch (err) {
      if (isAbort(err)) throw err;
      const code = networkCode(err);
      if (code && code in TLS_REASONS) {
        throw new InferdError(
          'UPSTREAM_UNAVAILABLE',
          `cannot reach inferd at ${this.server}: ${TLS_REASONS[code]} (${code}); for a private CA pass --ca-file FILE or set the context's certificate-authority`,
          { cause: err },
        );
      }
      const why = code ? NETWORK_REASONS[code] : messageOf(err);
      throw new InferdError(
        'UPSTREAM_UNAVAILABLE',
        `cannot reach inferd at ${this.server} (${why}): is 'inferd serve' running?`,
        { cause: err },
      );
    }
    if (!res.ok) throw new StatusError(res.status, statusFromBody(res.status, await res.text()));
    return res;
  }

  /** A JSON request; resolves to the parsed body (undefined for an empty one). */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new InferdError('INTERNAL', `the server sent a body that is not JSON for ${method} ${path}`);
    }
  }

  get<T = unknown>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { query, signal });
  }

  /** Streams `?watch=true` events (one JSON object per line) until the server ends it or `signal` aborts. */
  async *watch<T = Record<string, unknown>>(
    path: string,
    query: Query,
    signal?: AbortSignal,
  ): AsyncGenerator<WatchEvent<T>> {
    const res = await this.send('GET', path, { query: { ...query, watch: 'true' }, signal });
    for await (const line of lines(res, signal)) {
      if (!line.trim()) continue;
      let ev: WatchEvent<T>;
      try {
        ev = JSON.parse(line) as WatchEvent<T>;
      } catch {
        throw new InferdError('INTERNAL', `the server sent a watch event that is not JSON: ${line.slice(0, 200)}`);
      }
      yield ev;
    }
  }

  /** Streams a text/plain body chunk by chunk (logs). */
  async *text(path: string, query: Query, signal?: AbortSignal): AsyncGenerator<string> {
    const res = await this.send('GET', path, { query, signal });
    yield* chunks(res, signal);
  }
}

/** The body as decoded text chunks; stops quietly when `signal` aborts. */
async function* chunks(res: Response, signal?: AbortSignal): AsyncGenerator<string> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      yield decoder.decode(value, { stream: true });
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch (err) {
    if (!signal?.aborted && !isAbort(err)) throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Also runs when the consumer stops early (wait found its condition): close the connection.
    await reader.cancel().catch(() => undefined);
  }
}

async function* lines(res: Response, signal?: AbortSignal): AsyncGenerator<string> {
  let buf = '';
  for await (const chunk of chunks(res, signal)) {
    buf += chunk;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
  }
  if (buf) yield buf;
}
