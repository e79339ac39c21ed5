// The browser's calls: the control API (same origin, JSON), its watch streams, replica logs, /metrics and
// the model routes. The token (with `inferd serve --auth`) lives in sessionStorage and goes out as a Bearer
// header; no cookie is ever set, so other sites cannot make the browser send it (no CSRF surface).

const TOKEN_KEY = 'inferd.token';

export function token(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setToken(value: string | undefined): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** A Kubernetes Status cause: the field path a validation error names. */
export interface Cause {
  field?: string;
  message?: string;
  reason?: string;
}

/** A failed call, with what the API said (its Status message and causes) and the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly causes: Cause[] = [],
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token();
  return t ? { ...extra, authorization: `Bearer ${t}` } : extra;
}

/** Fired on window when the API answers 401: the token expired or was revoked; the app asks for a new one. */
export const UNAUTHORIZED_EVENT = 'inferd-unauthorized';

async function failure(res: Response): Promise<ApiError> {
  if (res.status === 401) dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  const text = await res.text();
  try {
    const body = JSON.parse(text) as {
      message?: string;
      error?: string;
      detail?: string;
      details?: { causes?: Cause[] };
    };
    return new ApiError(
      res.status,
      body.message ?? body.error ?? body.detail ?? text,
      Array.isArray(body.details?.causes) ? body.details.causes : [],
    );
  } catch {
    return new ApiError(res.status, text || res.statusText);
  }
}

export async function request<T>(
  method: string,
  path: string,
  body?: { text: string; type: string },
  signal?: AbortSignal,
): Promise<T> {
  const init: RequestInit = { method, headers: headers(body ? { 'content-type': body.type } : {}) };
  if (body) init.body = body.text;
  if (signal) init.signal = signal;
  const res = await fetch(path, init);
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal);

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: manifests are free-form; views read them defensively
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  status?: any;
  [key: string]: unknown;
}

export interface List<T = Resource> {
  metadata: { resourceVersion?: string };
  items: T[];
}

export interface KindPath {
  kind: string;
  /** The collection path in a namespace (or cluster-wide when `cluster`). */
  path(namespace: string): string;
  cluster?: boolean;
}

const ns = (n: string) => encodeURIComponent(n);
export const KINDS: Record<string, KindPath> = {
  InferenceService: {
    kind: 'InferenceService',
    path: (n) => `/apis/serving.kserve.io/v1beta1/namespaces/${ns(n)}/inferenceservices`,
  },
  InferenceGraph: {
    kind: 'InferenceGraph',
    path: (n) => `/apis/serving.kserve.io/v1alpha1/namespaces/${ns(n)}/inferencegraphs`,
  },
  ServingRuntime: {
    kind: 'ServingRuntime',
    path: (n) => `/apis/serving.kserve.io/v1alpha1/namespaces/${ns(n)}/servingruntimes`,
  },
  ClusterServingRuntime: {
    kind: 'ClusterServingRuntime',
    path: () => '/apis/serving.kserve.io/v1alpha1/clusterservingruntimes',
    cluster: true,
  },
  TrainedModel: {
    kind: 'TrainedModel',
    path: (n) => `/apis/serving.kserve.io/v1alpha1/namespaces/${ns(n)}/trainedmodels`,
  },
};

export const isvcPath = (namespace: string, name?: string) =>
  KINDS.InferenceService!.path(namespace) + (name ? `/${encodeURIComponent(name)}` : '');

/** Reads a streamed body line by line until it ends or `signal` aborts. */
async function readLines(res: Response, onLine: (line: string) => void): Promise<void> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      onLine(line);
      nl = buffered.indexOf('\n');
    }
  }
  if (buffered) onLine(buffered);
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK';
  object: Resource;
}

/**
 * A live list: lists, then watches from the list's resourceVersion and calls `onChange` with the current items
 * after every event. Re-lists when the stream ends or the server says the version expired (410), with a
 * bounded back-off on errors. Stops when `signal` aborts.
 */
export function watchList(
  collection: string,
  onChange: (items: Resource[]) => void,
  onError: (err: ApiError | undefined) => void,
  signal: AbortSignal,
): void {
  let delay = 500;
  const run = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        const list = await get<List>(collection, signal);
        const items = new Map(list.items.map((i) => [i.metadata.uid ?? i.metadata.name, i]));
        const emit = () => onChange([...items.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)));
        emit();
        onError(undefined);
        delay = 500;
        const rv = list.metadata.resourceVersion ?? '';
        const sep = collection.includes('?') ? '&' : '?';
        const res = await fetch(`${collection}${sep}watch=1&resourceVersion=${encodeURIComponent(rv)}`, {
          headers: headers(),
          signal,
        });
        if (!res.ok) throw await failure(res);
        let expired = false;
        await readLines(res, (line) => {
          if (!line.trim()) return;
          const ev = JSON.parse(line) as WatchEvent;
          if (ev.type === 'ERROR') {
            expired = true;
            return;
          }
          if (ev.type === 'BOOKMARK') return;
          const key = ev.object.metadata.uid ?? ev.object.metadata.name;
          if (ev.type === 'DELETED') items.delete(key);
          else items.set(key, ev.object);
          emit();
        });
        if (!expired) continue; // the server ended the stream (timeout): list again
      } catch (err) {
        if (signal.aborted) return;
        const e = err instanceof ApiError ? err : new ApiError(0, String(err));
        onError(e);
        // Not allowed or not signed in: retrying cannot help (a new token reloads the view).
        if (e.status === 401 || e.status === 403) return;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10_000);
      }
    }
  };
  void run();
}

/** Replica logs (what `inferd logs` reads): the last `tail` lines, then new ones while `follow`. */
export async function streamLogs(
  namespace: string,
  name: string,
  tail: number,
  follow: boolean,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(`${isvcPath(namespace, name)}/log?tailLines=${tail}${follow ? '&follow=true' : ''}`, {
    headers: headers(),
    signal,
  });
  if (!res.ok) throw await failure(res);
  await readLines(res, onLine);
}

/** The gateway's Prometheus text (undefined when the caller may not read it). */
export async function scrapeMetrics(signal?: AbortSignal): Promise<string> {
  const init: RequestInit = { headers: headers() };
  if (signal) init.signal = signal;
  const res = await fetch('/metrics', init);
  if (!res.ok) throw await failure(res);
  return res.text();
}

/** A call to a model route through the gateway's `/serving/{ns}/{name}/` path: the answer and its latency. */
export async function callModel(
  namespace: string,
  name: string,
  path: string,
  body: string | undefined,
): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  const init: RequestInit = {
    method: body === undefined ? 'GET' : 'POST',
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  if (body !== undefined) init.body = body;
  const res = await fetch(`/serving/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${path}`, init);
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - started };
}
