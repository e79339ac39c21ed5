// issue 10 M7: SSRF through storageUri. Metadata/link-local addresses and inferd's own port are refused (by
// address, after DNS, and on every redirect hop); loopback model servers stay allowed; network errors read the
// same whether a port is closed, open-but-silent or speaking something else.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { test } from 'node:test';
import { normalizeAddress, refusal } from '../../src/storage/egress.js';
import { initializeModel } from '../../src/storage/initializer.js';
import { refusedPort, startServer, storageFailure, tempDir } from './helpers.js';

test('egress: metadata and link-local addresses are refused in every spelling; loopback is allowed', () => {
  for (const a of [
    '169.254.169.254',
    '169.254.0.1',
    '100.100.100.200',
    'fe80::1',
    'fd00:ec2::254',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    '[fe80::1%eth0]',
  ]) {
    assert.match(refusal(a, 80) ?? '', /link-local or cloud metadata/, a);
  }
  for (const a of ['127.0.0.1', '::1', '10.0.0.1', '192.168.1.2', '8.8.8.8', '::ffff:127.0.0.1']) {
    assert.equal(refusal(a, 80), undefined, a);
  }
  assert.equal(refusal('169.254.169.254', 80, { allowInternal: true }), undefined, 'the opt-out');
  assert.deepEqual(normalizeAddress('::ffff:a9fe:a9fe'), { address: '169.254.169.254', family: 'ipv4' });
});

test("egress: inferd's own port is refused on loopback and unspecified addresses, other ports are not", () => {
  const policy = { ownPorts: () => [8080] };
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '0.0.0.0', '::', '::ffff:127.0.0.1']) {
    assert.match(refusal(a, 8080, policy) ?? '', /inferd's own listening address/, a);
  }
  assert.equal(refusal('127.0.0.1', 8081, policy), undefined);
  assert.equal(refusal('203.0.113.9', 8080, policy), undefined, 'another machine on the same port');
  // a redirect hop that started on a non-loopback server may not come back to loopback
  assert.match(refusal('127.0.0.1', 9000, { denyLoopback: true }) ?? '', /may not lead to this machine's loopback/);
  assert.equal(refusal('10.1.2.3', 9000, { denyLoopback: true }), undefined);
});

test('EXPECTED FAILURE - egress: storageUri at a metadata address is refused without connecting', async (t) => {
  const cacheDir = await tempDir(t);
  for (const uri of [
    'http://169.254.169.254/latest/meta-data/model.joblib',
    'http://2852039166/latest/model.joblib', // 169.254.169.254 as one decimal number
    'http://[::ffff:169.254.169.254]/model.joblib',
    'http://[fe80::1]/model.joblib',
    'http://100.100.100.200/model.joblib',
  ]) {
    const started = performance.now();
    await assert.rejects(
      initializeModel({ storageUri: uri, cacheDir, retries: 0 }),
      storageFailure('StorageAddressRefused', /link-local or cloud metadata address/),
    );
    // 3 s (was 1 s) for a loaded machine; a connection attempt to these would hang for the 30 s storage timeout.
    assert.ok(performance.now() - started < 3_000, `${uri} refused at once`);
  }
  // s3 endpoints go through the same check
  await assert.rejects(
    initializeModel({
      storageUri: 's3://bucket/model',
      cacheDir,
      retries: 0,
      credentials: { s3: { endpoint: 'http://169.254.169.254', anonymous: true } },
    }),
    storageFailure('StorageAddressRefused'),
  );
});

test("EXPECTED FAILURE - egress: inferd's own port is refused, directly and through a redirect", async (t) => {
  const cacheDir = await tempDir(t);
  // stands in for inferd's gateway/control API: it would answer with a Secret
  const own = await startServer((_req, res) => void res.writeHead(200).end('{"kind":"Secret","data":{}}'));
  t.after(() => own.close());
  const egress = { ownPorts: () => [own.port] };
  await assert.rejects(
    initializeModel({ storageUri: `${own.url}/api/v1/namespaces/default/secrets/s3`, cacheDir, egress }),
    storageFailure('StorageAddressRefused', /inferd's own listening address/),
  );
  await assert.rejects(
    initializeModel({ storageUri: `http://localhost:${own.port}/x/model.joblib`, cacheDir, egress }),
    storageFailure('StorageAddressRefused', /resolves to a refused address/),
  );
  const bouncer = await startServer((_req, res) => {
    res.writeHead(302, { location: `${own.url}/api/v1/namespaces/default/secrets/s3/model.json` }).end();
  });
  t.after(() => bouncer.close());
  await assert.rejects(
    initializeModel({ storageUri: `${bouncer.url}/model.joblib`, cacheDir, egress }),
    storageFailure('StorageAddressRefused', /inferd's own listening address/),
  );
  assert.equal(own.requests.length, 0, 'not one request reached the own port');
  // a redirect to the metadata address is refused as well; to a non-http scheme too
  const meta = await startServer((req, res) => {
    const to = req.url?.startsWith('/file') ? 'file:///etc/passwd' : 'http://169.254.169.254/latest/model.joblib';
    res.writeHead(302, { location: to }).end();
  });
  t.after(() => meta.close());
  await assert.rejects(
    initializeModel({ storageUri: `${meta.url}/model.joblib`, cacheDir, egress, retries: 0 }),
    storageFailure('StorageAddressRefused'),
  );
  await assert.rejects(
    initializeModel({ storageUri: `${meta.url}/file/model.joblib`, cacheDir, egress }),
    storageFailure('StorageRequestFailed', /unsupported scheme file:/),
  );
  // loopback model servers on other ports stay allowed (laptops, tests)
  const model = await startServer((_req, res) => void res.writeHead(200).end('model bytes'));
  t.after(() => model.close());
  const r = await initializeModel({ storageUri: `${model.url}/model.joblib`, cacheDir, egress });
  assert.equal(r.cached, false);
  // and the opt-out lets the own port through
  await initializeModel({
    storageUri: `${own.url}/ok/model.json`,
    cacheDir,
    egress: { ...egress, allowInternal: true },
  });
  assert.equal(own.requests.length, 1);
});

async function tcpServer(
  onConnection: (s: import('node:net').Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const srv: TcpServer = createTcpServer(onConnection);
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const sockets = new Set<import('node:net').Socket>();
  srv.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    port: (srv.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        srv.close(() => ok());
      }),
  };
}

test('EXPECTED FAILURE - egress: closed, resetting, silent and non-HTTP ports give the same message', async (t) => {
  const cacheDir = await tempDir(t);
  const closed = await refusedPort();
  const reset = await tcpServer((s) => s.resetAndDestroy());
  const silent = await tcpServer(() => {}); // accepts, never answers (like a filtered port after connect)
  const ssh = await tcpServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
  t.after(() => Promise.all([reset.close(), silent.close(), ssh.close()]).then(() => {}));
  const messages: string[] = [];
  for (const port of [closed, reset.port, silent.port, ssh.port]) {
    const err = await initializeModel({
      storageUri: `http://127.0.0.1:${port}/m/model.joblib`,
      cacheDir,
      retries: 0,
      idleTimeoutMs: 300,
    }).then(
      () => undefined,
      (e: unknown) => e as Error & { details?: Record<string, unknown> },
    );
    assert.ok(err, `port ${port} must fail`);
    assert.ok(
      storageFailure('StorageUnreachable', /^could not fetch http:\/\/127\.0\.0\.1:\d+\/m\/model\.joblib/)(err),
    );
    assert.doesNotMatch(err.message, /ECONN|EPIPE|ETIMEDOUT|HPE_|socket hang up|parse/i);
    messages.push(err.message.replaceAll(String(port), 'PORT'));
  }
  assert.equal(new Set(messages).size, 1, `one message for all: ${messages.join(' | ')}`);
});
