// A small bounded HTTP client for the bench's own calls (readiness, control API, sanity requests).

import http from 'node:http';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Raw header pairs in wire order. */
  rawHeaders: string[];
  body: Buffer;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  timeoutMs?: number;
}

export function request(url: string, opts: HttpOptions = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, agent: false, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 10_000} ms: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until `ok(reply)` holds; bounded by timeoutMs. Connection errors count as "not yet".
 * Returns the elapsed milliseconds.
 */
export async function pollUntil(
  url: string,
  ok: (r: HttpReply) => boolean,
  opts: HttpOptions & { timeoutMs: number; intervalMs?: number; what?: string; alive?: () => boolean },
): Promise<number> {
  const t0 = performance.now();
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (opts.alive && !opts.alive()) throw new Error(`${opts.what ?? url}: process exited while waiting (${last})`);
    try {
      const r = await request(url, { ...opts, timeoutMs: Math.min(5_000, Math.max(100, deadline - Date.now())) });
      if (ok(r)) return performance.now() - t0;
      last = `${r.status} ${r.body.toString().slice(0, 300)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(opts.intervalMs ?? 50);
  }
  throw new Error(`${opts.what ?? url} not ready within ${opts.timeoutMs} ms (last: ${last})`);
}

/** A free TCP port on 127.0.0.1 (bind to 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = http.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}
