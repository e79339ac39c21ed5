// The web app at `/ui/` (docs/web-app.md): static files only — the page, its CSS, the browser code tsc built
// into dist/src/ui/app/, and the vendor modules (Preact, htm, uPlot, yaml) read from node_modules at start.
// Nothing is fetched from the network at run time. The app is public (it holds no data); every datum it
// shows comes from the control API and /metrics, which check Host/Origin and, with --auth, the caller's token.
// Every answer carries a CSP that allows only this origin, plus the one inline script: the import map (by hash).

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { asset } from '../package.js';

export const UI_PREFIX = '/ui/';

/** Bare module names the browser code imports → the vendor URL the import map gives them. */
const IMPORTS: Record<string, string> = {
  preact: '/ui/vendor/preact.mjs',
  'preact/hooks': '/ui/vendor/preact-hooks.mjs',
  htm: '/ui/vendor/htm.mjs',
  uplot: '/ui/vendor/uplot.mjs',
  yaml: '/ui/vendor/yaml/index.js',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

interface Entry {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  etag: string;
}

export interface UiHandler {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** What the page and its modules weigh (docs/web-app.md's bundle size). */
  sizes(): {
    app: number;
    appGzip: number;
    vendor: number;
    vendorGzip: number;
    files: Record<string, { bytes: number; gzip: number }>;
  };
}

/** Where the vendor files come from: resolved against this package's node_modules once, at start. */
function vendorFiles(): Map<string, string> {
  const require = createRequire(import.meta.url);
  // Not `${name}/package.json`: some packages' "exports" do not list it. Walk up from the entry instead.
  const pkgDir = (name: string) => {
    let dir = dirname(require.resolve(name));
    while (!existsSync(join(dir, 'package.json')) || !isPackage(join(dir, 'package.json'), name)) {
      const up = dirname(dir);
      if (up === dir) throw new Error(`the web app's vendor package ${name} was not found`);
      dir = up;
    }
    return dir;
  };
  const preact = pkgDir('preact');
  const files = new Map<string, string>([
    ['preact.mjs', join(preact, 'dist', 'preact.module.js')],
    ['preact-hooks.mjs', join(preact, 'hooks', 'dist', 'hooks.module.js')],
    ['htm.mjs', join(pkgDir('htm'), 'dist', 'htm.module.js')],
    ['uplot.mjs', join(pkgDir('uplot'), 'dist', 'uPlot.esm.js')],
    ['uplot.css', join(pkgDir('uplot'), 'dist', 'uPlot.min.css')],
  ]);
  // yaml's browser build is a tree of ES modules; it is served as a folder and loaded only when needed.
  files.set('yaml/', join(pkgDir('yaml'), 'browser'));
  return files;
}

function isPackage(file: string, name: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === name;
  } catch {
    return false;
  }
}

export function importMap(): string {
  return JSON.stringify({ imports: IMPORTS });
}

/** The page: the import map inline (its hash goes into the CSP), everything else from this origin. */
export function indexHtml(template: string, appModules: readonly string[] = []): { html: string; scriptHash: string } {
  const map = importMap();
  // Every app module preloaded at once: the browser fetches them in parallel, not import by import.
  const preload = appModules.map((m) => `<link rel="modulepreload" href="/ui/app/${m}">`).join('\n');
  const html = template
    .replace('<!--IMPORTMAP-->', `<script type="importmap">${map}</script>`)
    .replace('<!--MODULEPRELOAD-->', preload);
  const scriptHash = createHash('sha256').update(map).digest('base64');
  return { html, scriptHash };
}

export function contentSecurityPolicy(scriptHash: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'sha256-${scriptHash}'`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

function entry(body: Buffer, type: string): Entry {
  const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`;
  const e: Entry = { body, type, etag };
  if (body.length > 1024 && !type.startsWith('image/')) e.gzip = gzipSync(body);
  return e;
}

/**
 * The handler for `/ui` and `/ui/...`. `appDir`: the compiled browser code (default: beside this module);
 * `publicDir`: index.html and app.css (default: the package's src/ui/public).
 */
export function createUiHandler(opts: { appDir?: string; publicDir?: string } = {}): UiHandler {
  const appDir = opts.appDir ?? join(dirname(fileURLToPath(import.meta.url)), 'app');
  const publicDir = opts.publicDir ?? asset('src/ui/public');
  const vendor = vendorFiles();
  const template = readFileSync(join(publicDir, 'index.html'), 'utf8');
  const appModules = existsSync(appDir)
    ? readdirSync(appDir)
        .filter((f) => f.endsWith('.js'))
        .sort()
    : [];
  const { html, scriptHash } = indexHtml(template, appModules);
  const csp = contentSecurityPolicy(scriptHash);
  const cache = new Map<string, Entry | null>();
  const index = entry(Buffer.from(html), TYPES['.html']!);

  /** A URL path under /ui/ → the file it names, or undefined (never outside the three roots). */
  const fileFor = (rel: string): string | undefined => {
    const inside = (root: string, sub: string): string | undefined => {
      const p = normalize(join(root, sub));
      return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep) ? p : undefined;
    };
    if (rel.startsWith('app/')) {
      const sub = rel.slice(4);
      return sub.endsWith('.js') || sub.endsWith('.js.map') ? inside(appDir, sub) : undefined;
    }
    if (rel.startsWith('vendor/yaml/')) {
      const sub = rel.slice('vendor/yaml/'.length);
      return sub.endsWith('.js') ? inside(vendor.get('yaml/')!, sub) : undefined;
    }
    if (rel.startsWith('vendor/')) return vendor.get(rel.slice(7));
    if (rel === 'app.css' || rel === 'favicon.svg') return join(publicDir, rel);
    return undefined;
  };
  const load = (rel: string): Entry | undefined => {
    const hit = cache.get(rel);
    if (hit !== undefined) return hit ?? undefined;
    const file = fileFor(rel);
    let e: Entry | null = null;
    if (file && existsSync(file) && statSync(file).isFile()) {
      e = entry(readFileSync(file), TYPES[extname(file)] ?? 'application/octet-stream');
    }
    // Files do not change while serve runs (an upgrade restarts it); misses are remembered too, bounded.
    if (cache.size < 2000) cache.set(rel, e);
    return e ?? undefined;
  };

  const send = (req: IncomingMessage, res: ServerResponse, status: number, e: Entry): void => {
    const headers: Record<string, string | number> = {
      'content-type': e.type,
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      // Revalidated each time (cheap on loopback, 304 by ETag): a new inferd version never mixes with old files.
      'cache-control': 'no-cache',
      etag: e.etag,
      vary: 'accept-encoding',
    };
    if (req.headers['if-none-match'] === e.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = e.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? e.gzip! : e.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  return {
    handle(req, res) {
      const url = req.url ?? '/';
      if (url !== '/ui' && !url.startsWith('/ui/') && !url.startsWith('/ui?')) return false;
      const path = url.split('?')[0]!;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        req.resume();
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
        res.end('method not allowed\n');
        return true;
      }
      if (path === '/ui') {
        res.writeHead(308, { location: '/ui/' });
        res.end();
        return true;
      }
      let rel: string;
      try {
        rel = decodeURIComponent(path.slice(UI_PREFIX.length));
      } catch {
        rel = '\0';
      }
      if (rel === '' || rel === 'index.html') {
        send(req, res, 200, index);
        return true;
      }
      const e = rel.includes('\0') || rel.includes('..') ? undefined : load(rel);
      if (e) send(req, res, 200, e);
      else send(req, res, 404, entry(Buffer.from('not found\n'), 'text/plain; charset=utf-8'));
      return true;
    },
    sizes() {
      const files: Record<string, { bytes: number; gzip: number }> = {};
      const total = { app: 0, appGzip: 0, vendor: 0, vendorGzip: 0 };
      const add = (name: string, e: Entry | undefined, into: 'app' | 'vendor') => {
        if (!e) return;
        const gz = e.gzip?.length ?? e.body.length;
        files[name] = { bytes: e.body.length, gzip: gz };
        total[into] += e.body.length;
        total[into === 'app' ? 'appGzip' : 'vendorGzip'] += gz;
      };
      add('index.html', index, 'app');
      add('app.css', load('app.css'), 'app');
      const appFiles = existsSync(appDir) ? readdirSync(appDir).filter((f) => f.endsWith('.js')) : [];
      for (const name of appFiles.sort()) add(`app/${name}`, load(`app/${name}`), 'app');
      for (const name of ['preact.mjs', 'preact-hooks.mjs', 'htm.mjs', 'uplot.mjs', 'uplot.css']) {
        add(`vendor/${name}`, load(`vendor/${name}`), 'vendor');
      }
      return { ...total, files };
    },
  };
}
