// Test harness for the control API: a real HTTP server on 127.0.0.1 port 0 with an in-memory store, a
// small request helper, and a watch-stream reader whose every wait is bounded.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { test } from 'node:test';
import { type ApiServerOptions, createApiServer } from '../../src/apiserver/api-server.js';
import { silentLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { waitUntil } from '../support/wait.js';

type TestContext = Parameters<NonNullable<Parameters<typeof test>[0]>>[0];

export interface Harness {
  base: string;
  store: Store;
  /** Watches the store has open right now (opened minus closed). */
  openWatches: () => number;
  closeApi: () => void;
}

/** Wraps a store so tests can see how many watches are open. */
function countingWatches(store: Store): { store: Store; open: () => number } {
  let open = 0;
  const wrapped = Object.create(store) as Store;
  wrapped.watch = (opts, cb) => {
    const w = store.watch(opts, cb);
    open++;
    let closed = false;
    return {
      close: () => {
        if (!closed) open--;
        closed = true;
        w.close();
      },
    };
  };
  for (const m of ['get', 'list', 'create', 'update', 'updateStatus', 'delete', 'close'] as const) {
    (wrapped as unknown as Record<string, unknown>)[m] = (store[m] as (...a: unknown[]) => unknown).bind(store);
  }
  return { store: wrapped, open: () => open };
}

export async function startApi(
  t: TestContext,
  opts: Partial<ApiServerOptions> & { watchLogSize?: number } = {},
): Promise<Harness> {
  const raw = SqliteStore.memory({ watchLogSize: opts.watchLogSize });
  const { store, open } = countingWatches(raw);
  const api = createApiServer({ log: silentLogger, version: '0.1.0', ...opts, store });
  const server = http.createServer((req, res) => {
    if (!api.handle(req, res)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not the control API');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    api.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    raw.close();
  });
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, store, openWatches: open, closeApi: () => api.close() };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
  json: any;
}

export async function call(
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(10_000) };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': contentType };
  }
  const res = await fetch(`${h.base}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface WatchReader {
  status: Promise<number>;
  // biome-ignore lint/suspicious/noExplicitAny: watch events are inspected freely
  events: any[];
  /** Resolves once `n` events arrived; rejects after `timeoutMs`. */
  // biome-ignore lint/suspicious/noExplicitAny: see above
  waitFor(n: number, timeoutMs?: number): Promise<any[]>;
  /** Resolves when the server ends the stream; rejects after `timeoutMs`. */
  ended(timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Opens `GET path` (a watch URL) and collects its JSON lines. */
export function openWatch(t: TestContext, h: Harness, path: string, headers: Record<string, string> = {}): WatchReader {
  const events: unknown[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  let done = false;
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  let resolveStatus: (n: number) => void = () => {};
  const status = new Promise<number>((resolve) => {
    resolveStatus = resolve;
  });
  const req = http.get(`${h.base}${path}`, { headers }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim()) events.push(JSON.parse(line));
        nl = buffer.indexOf('\n');
      }
      notify();
    });
    res.on('end', () => {
      done = true;
      notify();
    });
  });
  req.on('error', () => {
    done = true;
    notify();
  });
  const close = () => req.destroy();
  t.after(close);
  const until = (ok: () => boolean, what: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (ok()) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(events)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    status,
    events,
    waitFor: async (n, timeoutMs = 5_000) => {
      await until(() => events.length >= n, `${n} events`, timeoutMs);
      return events;
    },
    ended: (timeoutMs = 5_000) => until(() => done, 'the end of the stream', timeoutMs),
    close,
  };
}

/** Resolves once `cond` holds; rejects after `timeoutMs` (test/support/wait.ts's waitUntil). */
export function eventually(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  return waitUntil(cond, 'condition', timeoutMs);
}
