// A minimal Google Cloud Storage JSON API emulator on loopback, for STORAGE_EMULATOR_HOST in tests (no GCS
// emulator is packaged for Debian). It answers what src/storage/schemes/gcs.ts calls, the way GCS does:
//   GET /storage/v1/b/{bucket}/o?prefix=P[&pageToken=T]   list, `pageSize` items a page, then nextPageToken
//   GET /storage/v1/b/{bucket}/o/{name}?alt=media[&generation=G]   the object's bytes
// Errors are GCS-shaped JSON (`{"error":{"code":404,"message":...}}`). Not a real GCS: no uploads over HTTP,
// no `delimiter`, no resumable anything; buckets named in `tokens` need `Authorization: Bearer <token>`.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GcsEmulatorOptions {
  /** bucket → object name → contents. */
  buckets?: Record<string, Record<string, Buffer | string>>;
  /** Items per list page (GCS's default is 1000; small values exercise pagination). */
  pageSize?: number;
  /** bucket → bearer token it requires; other buckets are public. */
  tokens?: Record<string, string>;
  /** Extra routes (e.g. an OAuth token endpoint); return true when the request was answered. */
  route?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean;
}

export interface EmulatedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface GcsEmulator {
  /** `127.0.0.1:PORT`, the form STORAGE_EMULATOR_HOST takes. */
  host: string;
  url: string;
  port: number;
  requests: EmulatedRequest[];
  /** Media (`alt=media`) downloads answered with a body so far. */
  mediaDownloads(): number;
  /** Adds or replaces an object; its generation changes, as a real overwrite's does. */
  put(bucket: string, name: string, data: Buffer | string): void;
  close(): Promise<void>;
}

interface StoredObject {
  data: Buffer;
  generation: string;
}

const FIRST_GENERATION = 1_700_000_000_000_000;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function gcsError(res: ServerResponse, code: number, message: string): void {
  sendJson(res, code, { error: { code, message, errors: [{ message, domain: 'global', reason: 'notFound' }] } });
}

export async function startGcsEmulator(opts: GcsEmulatorOptions = {}): Promise<GcsEmulator> {
  const pageSize = opts.pageSize ?? 1000;
  const buckets = new Map<string, Map<string, StoredObject>>();
  let generation = FIRST_GENERATION;
  const put = (bucket: string, name: string, data: Buffer | string) => {
    const b = buckets.get(bucket) ?? new Map<string, StoredObject>();
    buckets.set(bucket, b);
    b.set(name, { data: Buffer.from(data), generation: String(generation++) });
  };
  for (const [bucket, objects] of Object.entries(opts.buckets ?? {})) {
    buckets.set(bucket, new Map());
    for (const [name, data] of Object.entries(objects)) put(bucket, name, data);
  }
  const requests: EmulatedRequest[] = [];
  let media = 0;

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    if (opts.route?.(req, res, body)) return;
    const url = new URL(req.url ?? '/', 'http://emulator');
    const m = /^\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(url.pathname);
    if (!m || req.method !== 'GET') {
      gcsError(res, 404, 'Not Found');
      return;
    }
    const bucketName = decodeURIComponent(m[1]!);
    const bucket = buckets.get(bucketName);
    if (!bucket) {
      gcsError(res, 404, 'The specified bucket does not exist.');
      return;
    }
    const token = opts.tokens?.[bucketName];
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
      sendJson(res, 401, {
        error: { code: 401, message: 'Anonymous caller does not have storage.objects.list access' },
      });
      return;
    }
    if (m[2] !== undefined) {
      const obj = bucket.get(decodeURIComponent(m[2]));
      const wanted = url.searchParams.get('generation');
      if (url.searchParams.get('alt') !== 'media' || !obj || (wanted !== null && wanted !== obj.generation)) {
        gcsError(res, 404, 'No such object');
        return;
      }
      media++;
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': obj.data.length,
        'x-goog-generation': obj.generation,
      });
      res.end(obj.data);
      return;
    }
    const prefix = url.searchParams.get('prefix') ?? '';
    const names = [...bucket.keys()].filter((n) => n.startsWith(prefix)).sort();
    const start = Number(url.searchParams.get('pageToken') ?? 0);
    const items = names.slice(start, start + pageSize).map((name) => {
      const obj = bucket.get(name)!;
      return {
        kind: 'storage#object',
        name,
        bucket: bucketName,
        size: String(obj.data.length),
        generation: obj.generation,
        md5Hash: createHash('md5').update(obj.data).digest('base64'),
        etag: `C${obj.generation.slice(-6)}=`,
      };
    });
    sendJson(res, 200, {
      kind: 'storage#objects',
      ...(start + pageSize < names.length ? { nextPageToken: String(start + pageSize) } : {}),
      ...(items.length ? { items } : {}),
    });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (err) {
        if (!res.headersSent) sendJson(res, 500, { error: { code: 500, message: String(err) } });
        else res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    mediaDownloads: () => media,
    put,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
