import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initializeModel } from '../../src/storage/initializer.js';
import { refusedPort, startServer, storageFailure, type TestServer, tempDir } from './helpers.js';

const MODEL = Buffer.from('pretend this is a joblib file\n'.repeat(100));
const etagOf = (b: Buffer) => `"${createHash('md5').update(b).digest('hex')}"`;

let server: TestServer;
let flaky = 0;
const files = new Map<string, Buffer>([
  ['/models/iris/model.joblib', MODEL],
  ['/v2/model.joblib', Buffer.from('version two')],
  ['/big/model.bin', Buffer.alloc(64 * 1024, 1)],
]);

function handler(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://x');
  const p = url.pathname;
  if (p === '/forbidden/model.joblib') return void res.writeHead(403).end('no');
  if (p === '/redirect/model.joblib') return void res.writeHead(302, { location: '/models/iris/model.joblib' }).end();
  if (p === '/loop/model.joblib') return void res.writeHead(302, { location: '/loop/model.joblib' }).end();
  if (p === '/error/model.joblib') return void res.writeHead(500).end('boom');
  if (p === '/hang/model.joblib') return; // never answers
  if (p === '/headers/model.joblib') {
    if (req.headers['x-model-token'] !== 'abc') return void res.writeHead(401).end();
    return void res.writeHead(200).end('with headers');
  }
  if (p === '/flaky/model.joblib') {
    flaky++;
    if (flaky % 3 !== 0) return void res.writeHead(503).end('busy');
    return void res.writeHead(200, { etag: '"flaky"' }).end('third time lucky');
  }
  if (p === '/no-etag/model.joblib') return void res.writeHead(200).end('unversioned');
  if (p === '/chunked/model.bin') {
    res.writeHead(200, { etag: '"chunked"' });
    for (let i = 0; i < 64; i++) res.write(Buffer.alloc(1024, 2));
    return void res.end();
  }
  const body = files.get(p);
  if (!body) return void res.writeHead(404).end('not found');
  const etag = etagOf(body);
  if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
  res.writeHead(200, { etag, 'content-type': 'application/octet-stream', 'content-length': body.length });
  // Slow enough that concurrent callers overlap: 1 s for the concurrent-download test's file (with 30 ms, a loaded
  // machine could finish one caller's download before another had started, which then revalidated it: 2 GETs).
  setTimeout(() => res.end(body), p === '/big/model.bin' ? 1_000 : 30);
}

before(async () => {
  server = await startServer(handler);
});
after(() => server.close());

const gets = (path: string) => server.requests.filter((r) => r.method === 'GET' && r.url === path);

test('http: a single file keeps its name from the URL path', async (t) => {
  const cacheDir = await tempDir(t);
  const r = await initializeModel({ storageUri: `${server.url}/models/iris/model.joblib`, cacheDir });
  assert.equal(r.cached, false);
  assert.ok(r.modelDir.startsWith(join(cacheDir, 'entries')));
  assert.deepEqual(await readdir(r.modelDir), ['model.joblib']);
  assert.deepEqual(await readFile(join(r.modelDir, 'model.joblib')), MODEL);
  assert.deepEqual(await readdir(join(cacheDir, 'tmp')), [], 'no temp folder left behind');
});

test('http: the second call revalidates (304) and returns the cache without a second full GET', async (t) => {
  const cacheDir = await tempDir(t);
  const path = '/v2/model.joblib';
  const progress: number[] = [];
  const first = await initializeModel({
    storageUri: `${server.url}${path}`,
    cacheDir,
    onProgress: (p) => progress.push(p.bytes),
  });
  assert.equal(progress.at(-1), 11);
  const before = gets(path).length;
  const second = await initializeModel({ storageUri: `${server.url}${path}`, cacheDir });
  assert.equal(second.cached, true);
  assert.equal(second.modelDir, first.modelDir);
  const later = gets(path).slice(before);
  assert.equal(later.length, 1);
  assert.equal(later[0]!.headers['if-none-match'], etagOf(Buffer.from('version two')), 'conditional GET only');
});

test('http: a changed ETag downloads into a new cache entry', async (t) => {
  const cacheDir = await tempDir(t);
  const uri = `${server.url}/v2/model.joblib`;
  const first = await initializeModel({ storageUri: uri, cacheDir });
  files.set('/v2/model.joblib', Buffer.from('version three'));
  t.after(() => files.set('/v2/model.joblib', Buffer.from('version two')));
  const second = await initializeModel({ storageUri: uri, cacheDir });
  assert.equal(second.cached, false);
  assert.notEqual(second.modelDir, first.modelDir);
  assert.equal(await readFile(join(second.modelDir, 'model.joblib'), 'utf8'), 'version three');
  assert.equal(await readFile(join(first.modelDir, 'model.joblib'), 'utf8'), 'version two', 'old entry untouched');
});

test('http: concurrent calls for one URI download once', async (t) => {
  const cacheDir = await tempDir(t);
  const path = '/big/model.bin';
  const before = gets(path).length;
  const results = await Promise.all(
    [1, 2, 3, 4].map(() => initializeModel({ storageUri: `${server.url}${path}`, cacheDir })),
  );
  assert.equal(gets(path).length - before, 1);
  assert.equal(new Set(results.map((r) => r.modelDir)).size, 1);
});

test('http: redirects are followed, the file keeps the original name', async (t) => {
  const cacheDir = await tempDir(t);
  const r = await initializeModel({ storageUri: `${server.url}/redirect/model.joblib`, cacheDir });
  assert.deepEqual(await readFile(join(r.modelDir, 'model.joblib')), MODEL);
  await assert.rejects(
    initializeModel({ storageUri: `${server.url}/loop/model.joblib`, cacheDir, maxRedirects: 3 }),
    storageFailure('StorageRequestFailed', /too many redirects/),
  );
});

test('http: a server without ETag is downloaded every time into a content-addressed entry', async (t) => {
  const cacheDir = await tempDir(t);
  const uri = `${server.url}/no-etag/model.joblib`;
  const a = await initializeModel({ storageUri: uri, cacheDir });
  const b = await initializeModel({ storageUri: uri, cacheDir });
  assert.equal(a.modelDir, b.modelDir);
  assert.equal(b.cached, false);
  assert.equal(await readFile(join(a.modelDir, 'model.joblib'), 'utf8'), 'unversioned');
});

test('http: headers from credentials go to their host', async (t) => {
  const cacheDir = await tempDir(t);
  const uri = `${server.url}/headers/model.joblib`;
  await assert.rejects(initializeModel({ storageUri: uri, cacheDir }), storageFailure('StorageAccessDenied'));
  const host = new URL(server.url).host;
  const r = await initializeModel({
    storageUri: uri,
    cacheDir,
    credentials: { httpHeaders: { [host]: { 'x-model-token': 'abc' } } },
  });
  assert.equal(await readFile(join(r.modelDir, 'model.joblib'), 'utf8'), 'with headers');
});

test('EXPECTED FAILURE - http 404 is ModelNotFound naming the URI', async (t) => {
  const cacheDir = await tempDir(t);
  const uri = `${server.url}/missing/model.joblib`;
  await assert.rejects(
    initializeModel({ storageUri: uri, cacheDir }),
    storageFailure('ModelNotFound', /missing\/model\.joblib.*404/),
  );
});

test('EXPECTED FAILURE - http 403 is StorageAccessDenied naming the host, never credentials', async (t) => {
  const cacheDir = await tempDir(t);
  const uri = `http://user:hunter2@127.0.0.1:${server.port}/forbidden/model.joblib?sig=s3cr3t`;
  await assert.rejects(initializeModel({ storageUri: uri, cacheDir }), (err: Error) => {
    storageFailure('StorageAccessDenied', new RegExp(`127\\.0\\.0\\.1:${server.port}`))(err);
    assert.doesNotMatch(err.message, /hunter2|s3cr3t/);
    return true;
  });
});

test('http: transient failures (5xx) are retried with back-off', async (t) => {
  const cacheDir = await tempDir(t);
  flaky = 0;
  const uri = `${server.url}/flaky/model.joblib`;
  const r = await initializeModel({ storageUri: uri, cacheDir, retries: 2, retryBaseMs: 10 });
  assert.equal(await readFile(join(r.modelDir, 'model.joblib'), 'utf8'), 'third time lucky');
  assert.equal(flaky, 3);
  flaky = 0;
  await assert.rejects(
    initializeModel({ storageUri: uri, cacheDir: await tempDir(t), retries: 0 }),
    storageFailure('StorageRequestFailed', /HTTP 503/),
  );
  assert.equal(flaky, 1);
});

test('EXPECTED FAILURE - other statuses are StorageRequestFailed with the status', async (t) => {
  const cacheDir = await tempDir(t);
  await assert.rejects(
    initializeModel({ storageUri: `${server.url}/error/model.joblib`, cacheDir }),
    storageFailure('StorageRequestFailed', /HTTP 500/),
  );
});

test('EXPECTED FAILURE - a refused port is StorageUnreachable naming the URI and host:port, not the errno', async (t) => {
  const cacheDir = await tempDir(t);
  const port = await refusedPort();
  await assert.rejects(
    initializeModel({ storageUri: `http://127.0.0.1:${port}/m/model.joblib`, cacheDir, retryBaseMs: 10 }),
    storageFailure(
      'StorageUnreachable',
      new RegExp(
        `^could not fetch http://127\\.0\\.0\\.1:${port}/m/model\\.joblib: the connection to 127\\.0\\.0\\.1:${port} failed`,
      ),
    ),
  );
});

test('EXPECTED FAILURE - a server that never answers times out as StorageUnreachable', async (t) => {
  const cacheDir = await tempDir(t);
  const uri = `${server.url}/hang/model.joblib`;
  await assert.rejects(
    initializeModel({ storageUri: uri, cacheDir, idleTimeoutMs: 200, retries: 0 }),
    storageFailure('StorageUnreachable', /127\.0\.0\.1/),
  );
  await assert.rejects(
    initializeModel({ storageUri: uri, cacheDir, timeoutMs: 200 }),
    storageFailure('StorageUnreachable', /did not finish within 200 ms/),
  );
});

test('EXPECTED FAILURE - an aborted call is DownloadCancelled', async (t) => {
  const cacheDir = await tempDir(t);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(
    initializeModel({ storageUri: `${server.url}/hang/model.joblib`, cacheDir, signal: ac.signal }),
    storageFailure('DownloadCancelled'),
  );
});

test('EXPECTED FAILURE - downloads beyond maxBytes are StorageTooLarge (declared and streamed)', async (t) => {
  const cacheDir = await tempDir(t);
  await assert.rejects(
    initializeModel({ storageUri: `${server.url}/big/model.bin`, cacheDir, maxBytes: 1000 }),
    storageFailure('StorageTooLarge', /1000 bytes/),
  );
  await assert.rejects(
    initializeModel({ storageUri: `${server.url}/chunked/model.bin`, cacheDir, maxBytes: 10_000 }),
    storageFailure('StorageTooLarge'),
  );
  assert.deepEqual(await readdir(join(cacheDir, 'tmp')), []);
  assert.deepEqual(await readdir(join(cacheDir, 'entries')).catch(() => []), []);
});

test('EXPECTED FAILURE - Azure Blob prefixes are StorageUnsupported (a SAS URL to one blob is plain https)', async (t) => {
  const cacheDir = await tempDir(t);
  await assert.rejects(
    initializeModel({ storageUri: 'https://acct.blob.core.windows.net/models/iris', cacheDir }),
    storageFailure('StorageUnsupported', /Azure Blob.*SAS/),
  );
});

test('EXPECTED FAILURE - a URL without a file name is InvalidStorageUri', async (t) => {
  const cacheDir = await tempDir(t);
  await assert.rejects(
    initializeModel({ storageUri: `${server.url}/models/`, cacheDir }),
    storageFailure('InvalidStorageUri'),
  );
});

// ---- issue 10 ----

test('EXPECTED FAILURE - an endless body stops at maxBytes with StorageTooLarge, nothing kept', async (t) => {
  const cacheDir = await tempDir(t);
  let sent = 0;
  let closed = false;
  const chunk = Buffer.alloc(256 * 1024, 7);
  const endless = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked, no length: never ends
    res.on('close', () => {
      closed = true;
    });
    const pump = () => {
      while (!res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  t.after(() => endless.close());
  const cap = 32 * 1024 * 1024;
  const started = performance.now();
  await assert.rejects(
    initializeModel({ storageUri: `${endless.url}/endless/model.bin`, cacheDir, maxBytes: cap }),
    storageFailure('StorageTooLarge', new RegExp(`larger than the limit of ${cap} bytes`)),
  );
  const ms = performance.now() - started;
  assert.deepEqual(await readdir(join(cacheDir, 'tmp')), [], 'the partial file is removed');
  assert.ok(closed || endless.requests.length === 1);
  assert.ok(sent < cap + 16 * 1024 * 1024, `the server wrote ${sent} bytes before the download stopped`);
  t.diagnostic(`endless body: stopped after ${sent} B sent (cap ${cap}) in ${ms.toFixed(0)} ms`);
});

test('the default per-download cap is a few GiB, not 64 GiB', async () => {
  const { STORAGE_DEFAULTS } = await import('../../src/storage/initializer.js');
  assert.ok(STORAGE_DEFAULTS.maxBytes <= 8 * 1024 ** 3, String(STORAGE_DEFAULTS.maxBytes));
  assert.ok(STORAGE_DEFAULTS.cacheMaxBytes >= 2 * STORAGE_DEFAULTS.maxBytes);
  assert.equal(STORAGE_DEFAULTS.maxRatio, 100);
});

test('EXPECTED FAILURE - concurrent downloads with other (or no) credentials never share one', async (t) => {
  // the token holder's download is slow; the tenant without a token asks meanwhile for the same URI
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const protectedServer = await startServer(async (req, res) => {
    if (req.headers['x-model-token'] !== 'tenant-a-token') return void res.writeHead(401).end('no');
    await gate;
    res.writeHead(200, { etag: '"secret-model"' }).end('tenant A private model');
  });
  t.after(() => protectedServer.close());
  const cacheDir = await tempDir(t);
  const uri = `${protectedServer.url}/private/model.joblib`;
  const host = new URL(uri).host;
  const a = initializeModel({
    storageUri: uri,
    cacheDir,
    credentials: { httpHeaders: { [host]: { 'x-model-token': 'tenant-a-token' } } },
  });
  const deadline = Date.now() + 10_000;
  while (protectedServer.requests.length === 0) {
    assert.ok(Date.now() < deadline, 'the first download reached the server');
    await new Promise((r) => setTimeout(r, 5));
  }
  const b = initializeModel({ storageUri: uri, cacheDir, retries: 0 });
  const wrongToken = initializeModel({
    storageUri: uri,
    cacheDir,
    retries: 0,
    credentials: { httpHeaders: { [host]: { 'x-model-token': 'guess' } } },
  });
  await assert.rejects(b, storageFailure('StorageAccessDenied', /HTTP 401/));
  await assert.rejects(wrongToken, storageFailure('StorageAccessDenied', /HTTP 401/));
  release();
  const ra = await a;
  assert.equal(await readFile(join(ra.modelDir, 'model.joblib'), 'utf8'), 'tenant A private model');
  // afterwards, the cached copy is not handed out without the token either
  await assert.rejects(
    initializeModel({ storageUri: uri, cacheDir, retries: 0 }),
    storageFailure('StorageAccessDenied'),
  );
  const again = await initializeModel({
    storageUri: uri,
    cacheDir,
    credentials: { httpHeaders: { [host]: { 'x-model-token': 'tenant-a-token' } } },
  });
  assert.deepEqual(again, { modelDir: ra.modelDir, cached: true });
});
