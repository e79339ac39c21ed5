// A `fetch` for an inferd server whose certificate is signed by a private CA (`--ca-file`, a context's
// `certificate-authority`): node's global fetch cannot take a CA without the undici package, so requests go
// through node:https with that CA, and the answer is a standard `Response` whose body streams (watch, logs -f).

import https from 'node:https';
import { Readable } from 'node:stream';

/** A fetch that trusts `ca` (PEM) in addition to nothing else: only servers signed by it are accepted. */
export function fetchTrusting(ca: string | Buffer): typeof fetch {
  const agent = new https.Agent({ ca, keepAlive: true });
  const fetchWithCa = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      if (url.protocol !== 'https:') {
        // a plain http:// server needs no CA: the global fetch as usual
        globalThis.fetch(input, init).then(resolve, reject);
        return;
      }
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((v, k) => {
        headers[k] = v;
      });
      const req = https.request(
        url,
        { method: init.method ?? 'GET', headers, agent, signal: init.signal ?? undefined },
        (res) => {
          const out = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const x of v) out.append(k, x);
            else if (v !== undefined) out.set(k, v);
          }
          const status = res.statusCode ?? 502;
          const empty = status === 204 || status === 304 || init.method === 'HEAD';
          if (empty) res.resume();
          resolve(
            new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
              status,
              statusText: res.statusMessage,
              headers: out,
            }),
          );
        },
      );
      req.on('error', reject);
      if (init.body !== undefined && init.body !== null) req.end(init.body as string | Buffer);
      else req.end();
    });
  return fetchWithCa as typeof fetch;
}
