import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { crc32, deflateRawSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { initializeModel } from '../../src/storage/initializer.js';
import { makeTar, makeTarGz, makeZip, startServer, storageFailure, type TestServer, tempDir } from './helpers.js';

let server: TestServer;
const served = new Map<string, Buffer>();

before(async () => {
  server = await startServer((req: IncomingMessage, res: ServerResponse) => {
    const body = served.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { etag: `"${body.length}-${body[body.length - 1]}"`, 'content-length': body.length }).end(body);
  });
});
after(() => server.close());

function serve(path: string, body: Buffer): string {
  served.set(path, body);
  return `${server.url}${path}`;
}

/** Builds a model folder and archives it with Debian's tar and zip. */
async function realArchives(root: string) {
  const src = join(root, 'src');
  const longDir = 'a-rather-long-folder-name-that-pushes-the-path-well-past-one-hundred-characters-for-ustar';
  await mkdir(join(src, longDir, 'nested'), { recursive: true });
  await writeFile(join(src, 'model.joblib'), 'joblib');
  await writeFile(join(src, 'MLmodel'), 'flavors: {}\n');
  await writeFile(join(src, longDir, 'nested', 'weights-with-a-long-name-too.bin'), Buffer.alloc(5000, 7));
  execFileSync('tar', ['-czf', join(root, 'model.tar.gz'), '-C', src, '.']);
  execFileSync('tar', ['-cf', join(root, 'model.tar'), '-C', src, '.']);
  execFileSync('zip', ['-qr', join(root, 'model.zip'), '.'], { cwd: src });
  return { longFile: join(longDir, 'nested', 'weights-with-a-long-name-too.bin') };
}

async function assertModel(dir: string, longFile: string) {
  assert.equal(await readFile(join(dir, 'model.joblib'), 'utf8'), 'joblib');
  assert.equal(await readFile(join(dir, 'MLmodel'), 'utf8'), 'flavors: {}\n');
  assert.deepEqual(await readFile(join(dir, longFile)), Buffer.alloc(5000, 7));
}

test('archives made by tar and zip unpack into the model dir (http and local)', async (t) => {
  const root = await tempDir(t);
  const cacheDir = join(root, 'cache');
  const { longFile } = await realArchives(root);
  for (const name of ['model.tar.gz', 'model.tar', 'model.zip']) {
    const body = await readFile(join(root, name));
    const viaHttp = await initializeModel({ storageUri: serve(`/real/${name}`, body), cacheDir });
    await assertModel(viaHttp.modelDir, longFile);
    assert.ok(!existsSync(join(viaHttp.modelDir, name)), 'the archive itself is removed');
    const viaLocal = await initializeModel({ storageUri: join(root, name), cacheDir });
    await assertModel(viaLocal.modelDir, longFile);
    assert.ok(existsSync(join(root, name)), "a local archive is the user's file: kept");
  }
  const tgz = await initializeModel({
    storageUri: serve('/real/model.tgz', await readFile(join(root, 'model.tar.gz'))),
    cacheDir,
  });
  await assertModel(tgz.modelDir, longFile);
});

test('archives keep symlinks and hard links that stay inside', async (t) => {
  const cacheDir = await tempDir(t);
  const tar = makeTarGz([
    { name: 'data/', type: 'dir' },
    { name: 'data/real.bin', data: 'real' },
    { name: 'latest', type: 'symlink', linkName: 'data/real.bin' },
    { name: 'data/self', type: 'symlink', linkName: '.' },
    { name: 'copy.bin', type: 'hardlink', linkName: 'data/real.bin' },
  ]);
  const r = await initializeModel({ storageUri: serve('/links/model.tar.gz', tar), cacheDir });
  assert.equal(await readlink(join(r.modelDir, 'latest')), 'data/real.bin');
  assert.equal(await readFile(join(r.modelDir, 'latest'), 'utf8'), 'real');
  assert.equal(await readFile(join(r.modelDir, 'copy.bin'), 'utf8'), 'real');
  const zip = makeZip([
    { name: 'm/weights.bin', data: 'w'.repeat(1000), deflate: true },
    { name: 'm/link', symlinkTo: 'weights.bin' },
  ]);
  const z = await initializeModel({ storageUri: serve('/links/model.zip', zip), cacheDir });
  assert.ok((await lstat(join(z.modelDir, 'm/link'))).isSymbolicLink());
  assert.equal(await readFile(join(z.modelDir, 'm/link'), 'utf8'), 'w'.repeat(1000));
});

/** Every way out of the model dir an archive might try; each must be refused with nothing written outside. */
const HOSTILE: { name: string; file: string; body: () => Buffer; reason: string; message: RegExp }[] = [
  {
    name: 'tar entry ../evil',
    file: 'model.tar.gz',
    body: () =>
      makeTarGz([
        { name: 'ok.txt', data: 'ok' },
        { name: '../evil', data: 'pwned' },
      ]),
    reason: 'InvalidArchive',
    message: /'\.\.\/evil' escapes the model directory/,
  },
  {
    name: 'tar entry a/../../evil',
    file: 'model.tar',
    body: () => makeTar([{ name: 'a/../../evil', data: 'pwned' }]),
    reason: 'InvalidArchive',
    message: /escapes/,
  },
  {
    name: 'tar absolute path',
    file: 'model.tar.gz',
    body: () => makeTarGz([{ name: '/tmp/evil', data: 'pwned' }]),
    reason: 'InvalidArchive',
    message: /absolute path/,
  },
  {
    name: 'tar symlink to an absolute path',
    file: 'model.tgz',
    body: () => makeTarGz([{ name: 'etc', type: 'symlink', linkName: '/etc' }]),
    reason: 'InvalidArchive',
    message: /absolute path '\/etc'/,
  },
  {
    name: 'tar symlink pointing outside, then a write through it',
    file: 'model.tar.gz',
    body: () =>
      makeTarGz([
        { name: 'up', type: 'symlink', linkName: '..' },
        { name: 'up/evil', data: 'pwned' },
      ]),
    reason: 'InvalidArchive',
    message: /points outside/,
  },
  {
    name: 'tar symlink chain that only escapes on disk',
    file: 'model.tar.gz',
    body: () =>
      makeTarGz([
        { name: 'sub/', type: 'dir' },
        { name: 'sub/here', type: 'symlink', linkName: '..' },
        { name: 'escape', type: 'symlink', linkName: 'sub/here/..' },
        { name: 'escape/evil', data: 'pwned' },
      ]),
    reason: 'InvalidArchive',
    message: /outside the model directory/,
  },
  {
    name: 'tar symlink chain, then new folders through it',
    file: 'model.tar.gz',
    body: () =>
      makeTarGz([
        { name: 'sub/', type: 'dir' },
        { name: 'sub/here', type: 'symlink', linkName: '..' },
        { name: 'escape', type: 'symlink', linkName: 'sub/here/..' },
        { name: 'escape/newdir/deeper/evil', data: 'pwned' },
      ]),
    reason: 'InvalidArchive',
    message: /outside the model directory/,
  },
  {
    name: 'tar hard link to a file outside',
    file: 'model.tar.gz',
    body: () => makeTarGz([{ name: 'passwd', type: 'hardlink', linkName: '../../../../etc/passwd' }]),
    reason: 'InvalidArchive',
    message: /escapes/,
  },
  {
    name: 'zip entry ../evil',
    file: 'model.zip',
    body: () =>
      makeZip([
        { name: 'ok.txt', data: 'ok' },
        { name: '../evil', data: 'pwned' },
      ]),
    reason: 'InvalidArchive',
    message: /'\.\.\/evil' escapes/,
  },
  {
    name: 'zip absolute path',
    file: 'model.zip',
    body: () => makeZip([{ name: '/tmp/evil', data: 'pwned' }]),
    reason: 'InvalidArchive',
    message: /absolute path/,
  },
  {
    name: 'zip symlink outside',
    file: 'model.zip',
    body: () => makeZip([{ name: 'link', symlinkTo: '../../evil' }]),
    reason: 'InvalidArchive',
    message: /points outside/,
  },
  {
    name: 'zip backslash traversal',
    file: 'model.zip',
    body: () => makeZip([{ name: '..\\evil', data: 'pwned' }]),
    reason: 'InvalidArchive',
    message: /escapes/,
  },
];

for (const h of HOSTILE) {
  test(`EXPECTED FAILURE - ${h.name} is refused and nothing lands outside`, async (t) => {
    const root = await tempDir(t);
    const cacheDir = join(root, 'cache');
    await assert.rejects(
      initializeModel({ storageUri: serve(`/hostile/${h.name.replace(/\W+/g, '-')}/${h.file}`, h.body()), cacheDir }),
      storageFailure(h.reason, h.message),
    );
    const leftovers = (await readdir(root, { recursive: true })).filter((p) => /evil|newdir/.test(p));
    assert.deepEqual(leftovers, []);
    assert.ok(!existsSync('/tmp/evil'));
    assert.deepEqual(await readdir(join(cacheDir, 'entries')).catch(() => []), [], 'no half model in the cache');
    assert.deepEqual(await readdir(join(cacheDir, 'tmp')), []);
  });
}

test('EXPECTED FAILURE - archives that unpack beyond maxBytes are StorageTooLarge', async (t) => {
  const cacheDir = await tempDir(t);
  const zeros = Buffer.alloc(2 * 1024 * 1024);
  const tgz = makeTarGz([
    { name: 'a.bin', data: zeros },
    { name: 'b.bin', data: zeros },
  ]);
  assert.ok(tgz.length < 20_000, 'small on the wire');
  await assert.rejects(
    initializeModel({ storageUri: serve('/bomb/model.tar.gz', tgz), cacheDir, maxBytes: 3 * 1024 * 1024 }),
    storageFailure('StorageTooLarge', /maxBytes/),
  );
  const zip = makeZip([{ name: 'a.bin', data: zeros, deflate: true }]);
  await assert.rejects(
    initializeModel({ storageUri: serve('/bomb/model.zip', zip), cacheDir, maxBytes: 1024 * 1024 }),
    storageFailure('StorageTooLarge'),
  );
  // a zip that lies about its size is caught while inflating
  const liar = makeZip([{ name: 'a.bin', data: zeros, deflate: true, declaredSize: 10 }]);
  await assert.rejects(
    initializeModel({ storageUri: serve('/bomb/liar.zip', liar), cacheDir, maxBytes: 1024 * 1024 }),
    storageFailure('InvalidArchive', /larger than its declared size/),
  );
});

test('EXPECTED FAILURE - a file named like an archive that is not one is InvalidArchive', async (t) => {
  const cacheDir = await tempDir(t);
  await assert.rejects(
    initializeModel({ storageUri: serve('/bad/model.zip', Buffer.from('not a zip at all')), cacheDir }),
    storageFailure('InvalidArchive', /The file format is not valid/),
  );
  await assert.rejects(
    initializeModel({ storageUri: serve('/bad/model.tar.gz', gzipSync(Buffer.from('x'.repeat(600)))), cacheDir }),
    storageFailure('InvalidArchive'),
  );
  const whole = makeTarGz([
    { name: 'a.bin', data: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)) },
  ]);
  const truncated = whole.subarray(0, whole.length >> 1);
  await assert.rejects(
    initializeModel({ storageUri: serve('/bad/trunc.tar.gz', truncated), cacheDir }),
    storageFailure('InvalidArchive'),
  );
});

// ---- issue 10 M4: compression bombs are refused by the ratio cap, at the sizes ----

/** A real 1 GiB-of-zeros zip of about 1 MB: the same full-flushed deflate block of 1 MiB zeros, 1024 times. */
function zipBomb(unpacked: number): Buffer {
  const MiB = 1024 * 1024;
  const zeros = Buffer.alloc(MiB);
  const block = deflateRawSync(zeros, { finishFlush: zlibConstants.Z_FULL_FLUSH, level: 9 });
  const n = unpacked / MiB;
  const data = Buffer.concat([...Array.from({ length: n }, () => block), Buffer.from([0x03, 0x00])]);
  let crc = 0;
  for (let i = 0; i < n; i++) crc = crc32(zeros, crc);
  const name = Buffer.from('weights.bin');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(unpacked, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(unpacked, 24);
  central.writeUInt16LE(name.length, 28);
  const cdOffset = local.length + name.length + data.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(central.length + name.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, name, data, central, name, eocd]);
}

/** A 2 GiB tar.gz of about 2 MB: a tar header, then the same gzip member of 16 MiB zeros repeated. */
function tgzBomb(unpacked: number): Buffer {
  const chunk = 16 * 1024 * 1024;
  const member = gzipSync(Buffer.alloc(chunk), { level: 9 });
  const h = makeTar([{ name: 'weights.bin', data: '' }]).subarray(0, 512);
  h.write(`${unpacked.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return Buffer.concat([gzipSync(h), ...Array.from({ length: unpacked / chunk }, () => member)]);
}

/** Largest gap between 5 ms timer ticks while `work` runs: how long the event loop was blocked. */
async function maxLoopLag<T>(work: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; lagMs: number }> {
  let last = performance.now();
  let lag = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lag = Math.max(lag, now - last);
    last = now;
  }, 5);
  const [result] = await Promise.allSettled([work()]);
  clearInterval(timer);
  return { result: result!, lagMs: lag };
}

test('EXPECTED FAILURE - a 1 MB zip of 1 GiB and a 2 MB tgz of 2 GiB are refused by the ratio cap', async (t) => {
  const cacheDir = await tempDir(t);
  const zip = zipBomb(1024 ** 3);
  const tgz = tgzBomb(2 * 1024 ** 3);
  assert.ok(zip.length < 1.2e6 && tgz.length < 2.5e6, `zip ${zip.length} B, tgz ${tgz.length} B`);
  for (const [name, body] of [
    ['model.zip', zip],
    ['model.tar.gz', tgz],
  ] as const) {
    const started = performance.now();
    // default maxBytes (4 GiB) would let these through: the ratio cap (100:1 beyond 32 MiB) stops them
    const { result, lagMs } = await maxLoopLag(() =>
      initializeModel({ storageUri: serve(`/ratio-bomb/${name}`, body), cacheDir }),
    );
    const ms = performance.now() - started;
    assert.equal(result.status, 'rejected');
    assert.ok(
      storageFailure(
        'StorageTooLarge',
        /expand beyond \d+ bytes, more than 100:1.*--storage-max-ratio/,
      )((result as PromiseRejectedResult).reason),
    );
    assert.deepEqual(await readdir(join(cacheDir, 'entries')).catch(() => []), [], 'nothing cached');
    assert.deepEqual(await readdir(join(cacheDir, 'tmp')), [], 'nothing left behind');
    assert.ok(ms < 10_000, `${name} refused in ${ms.toFixed(0)} ms`);
    assert.ok(lagMs < 1000, `event loop blocked at most ${lagMs.toFixed(0)} ms`);
    t.diagnostic(`${name} (${body.length} B): refused in ${ms.toFixed(0)} ms, loop lag max ${lagMs.toFixed(0)} ms`);
  }
});

test('EXPECTED FAILURE - a tgz of 64 honest 16 MiB entries (1 GiB) stops at the ratio cap after about 100 MB', async (t) => {
  const cacheDir = await tempDir(t);
  // 64 entries of 16 MiB zeros (1 GiB) in ~1 MB: each header is honest and small, the total is not
  const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
  const parts: Buffer[] = [];
  for (let i = 0; i < 64; i++) {
    const h = makeTar([{ name: `part-${i}.bin`, data: '' }]).subarray(0, 512);
    h.write(`${(16 * 1024 * 1024).toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    parts.push(gzipSync(h), member);
  }
  const tgz = Buffer.concat(parts);
  const started = performance.now();
  await assert.rejects(
    initializeModel({ storageUri: serve('/ratio-bomb/many/model.tgz', tgz), cacheDir }),
    storageFailure('StorageTooLarge', /more than 100:1/),
  );
  t.diagnostic(`${tgz.length} B tgz of 1 GiB in 64 entries refused in ${(performance.now() - started).toFixed(0)} ms`);
  // a modest, highly compressible model under the 32 MiB floor still unpacks
  const ok = makeTarGz([{ name: 'sparse.bin', data: Buffer.alloc(8 * 1024 * 1024) }]);
  const r = await initializeModel({ storageUri: serve('/ratio-ok/model.tgz', ok), cacheDir });
  assert.deepEqual(await readdir(r.modelDir), ['sparse.bin']);
  // and maxRatio 0 turns the cap off
  const r2 = await initializeModel({
    storageUri: serve('/ratio-off/model.tgz', tgzBomb(48 * 1024 * 1024)),
    cacheDir,
    maxRatio: 0,
  });
  assert.deepEqual(await readdir(r2.modelDir), ['weights.bin']);
});
