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
  // slow enough that concurrent callers overlap
  setTimeout(() => res.end(body), 30);
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

test('EXPECTED FAILURE - a refused port is StorageUnreachable naming host:port', async (t) => {
  const cacheDir = await tempDir(t);
  const port = await refusedPort();
  await assert.rejects(
    initializeModel({ storageUri: `http://127.0.0.1:${port}/m/model.joblib`, cacheDir, retryBaseMs: 10 }),
    storageFailure('StorageUnreachable', new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`)),
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
