// Maps (method, path) to an endpoint the way KServe 0.12.1's Starlette router does, without regexes:
// the first route whose path and method match wins; a path that matches only with another method is
// 405; a miss ending in `/` that matches without it is a 307 redirect; anything else is 404. Path
// parameters are `[^/]+`, so `GET /v1/models/m:predict` is the model-ready route for "m:predict".

export type Endpoint =
  | { kind: 'live' }
  | { kind: 'metrics' }
  | { kind: 'v1.models' }
  | { kind: 'v1.model'; model: string }
  | { kind: 'v1.predict'; model: string }
  | { kind: 'v1.explain'; model: string }
  | { kind: 'v2.server' }
  | { kind: 'v2.live' }
  | { kind: 'v2.ready' }
  | { kind: 'v2.models' }
  | { kind: 'v2.model'; model: string; version?: string }
  | { kind: 'v2.modelReady'; model: string; version?: string }
  | { kind: 'v2.infer'; model: string; version?: string }
  | { kind: 'v2.generate'; model: string; version?: string; stream: boolean }
  | { kind: 'v2.repositoryIndex' }
  | { kind: 'v2.load'; model: string }
  | { kind: 'v2.unload'; model: string };

export type RouteResult =
  | { kind: 'endpoint'; endpoint: Endpoint }
  | { kind: 'methodNotAllowed'; allow: string }
  | { kind: 'redirect'; path: string }
  | { kind: 'notFound' };

const NOT_FOUND: RouteResult = { kind: 'notFound' };
const GET_ONLY: RouteResult = { kind: 'methodNotAllowed', allow: 'GET' };
const POST_ONLY: RouteResult = { kind: 'methodNotAllowed', allow: 'POST' };
const GET_POST: RouteResult = { kind: 'methodNotAllowed', allow: 'GET, POST' };
const STATIC: Record<string, Endpoint> = {
  '/': { kind: 'live' },
  '/metrics': { kind: 'metrics' },
  '/v1/models': { kind: 'v1.models' },
  '/v2': { kind: 'v2.server' },
  '/v2/health/live': { kind: 'v2.live' },
  '/v2/health/ready': { kind: 'v2.ready' },
  '/v2/models': { kind: 'v2.models' },
};

const found = (endpoint: Endpoint): RouteResult => ({ kind: 'endpoint', endpoint });

/** Decodes %XX like uvicorn does before routing; a malformed escape stays as it is. */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path; // not valid percent-encoding: route the raw text, as Python's unquote would
  }
}

/** Routes a decoded path (no query string). */
export function route(method: string, path: string): RouteResult {
  const r = match(method, path);
  if (r.kind !== 'notFound' || path.length < 2 || !path.endsWith('/')) return r;
  // Starlette's redirect_slashes: a trailing-slash miss that matches without it (any method) → 307.
  const bare = path.slice(0, -1);
  return match(method, bare).kind === 'notFound' ? r : { kind: 'redirect', path: bare };
}

function match(method: string, path: string): RouteResult {
  const fixed = STATIC[path];
  if (fixed) return method === 'GET' ? found(fixed) : GET_ONLY;
  if (path.startsWith('/v1/models/')) return matchV1(method, path.slice(11));
  if (path.startsWith('/v2/')) return matchV2(method, path.slice(4).split('/'));
  return NOT_FOUND;
}

function matchV1(method: string, rest: string): RouteResult {
  if (rest.length === 0 || rest.includes('/')) return NOT_FOUND;
  if (method === 'GET') return found({ kind: 'v1.model', model: rest });
  if (method === 'POST') {
    const colon = rest.lastIndexOf(':');
    if (colon > 0) {
      const verb = rest.slice(colon + 1);
      const model = rest.slice(0, colon);
      if (verb === 'predict') return found({ kind: 'v1.predict', model });
      if (verb === 'explain') return found({ kind: 'v1.explain', model });
    }
  }
  return GET_ONLY;
}

// segments of the path after "/v2/"
function matchV2(method: string, s: string[]): RouteResult {
  for (const seg of s) if (seg.length === 0) return NOT_FOUND;
  if (s[0] === 'models') {
    const model = s[1]!;
    if (s.length === 2) return method === 'GET' ? found({ kind: 'v2.model', model }) : GET_ONLY;
    if (s.length === 3) return modelAction(method, model, s[2]!, undefined);
    if (s[2] !== 'versions') return NOT_FOUND;
    const version = s[3]!;
    if (s.length === 4) return method === 'GET' ? found({ kind: 'v2.model', model, version }) : GET_ONLY;
    if (s.length === 5) return modelAction(method, model, s[4]!, version);
    return NOT_FOUND;
  }
  if (s[0] === 'repository' && s[1] === 'index' && s.length === 2) {
    // Triton's clients POST (optionally `{"ready": true}`); GET is the natural read.
    return method === 'GET' || method === 'POST' ? found({ kind: 'v2.repositoryIndex' }) : GET_POST;
  }
  if (s[0] === 'repository' && s[1] === 'models' && s.length === 4) {
    const model = s[2]!;
    if (s[3] !== 'load' && s[3] !== 'unload') return NOT_FOUND;
    if (method !== 'POST') return POST_ONLY;
    return found(s[3] === 'load' ? { kind: 'v2.load', model } : { kind: 'v2.unload', model });
  }
  return NOT_FOUND;
}

function modelAction(method: string, model: string, action: string, version: string | undefined): RouteResult {
  const v = version === undefined ? {} : { version };
  switch (action) {
    case 'ready':
      return method === 'GET' ? found({ kind: 'v2.modelReady', model, ...v }) : GET_ONLY;
    case 'infer':
      return method === 'POST' ? found({ kind: 'v2.infer', model, ...v }) : POST_ONLY;
    case 'generate':
    case 'generate_stream':
      return method === 'POST' ? found({ kind: 'v2.generate', model, stream: action !== 'generate', ...v }) : POST_ONLY;
    default:
      return NOT_FOUND;
  }
}
