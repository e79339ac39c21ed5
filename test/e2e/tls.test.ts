// Issue 13 item 7 on a real `inferd serve --demo --tls-cert --tls-key` with a certificate from a throwaway CA
// (openssl): V1 predict over HTTPS/1.1 (node https, curl) and HTTP/2 (node http2, curl --http2), gRPC
// ModelInfer over TLS with @grpc/grpc-js and Debian's python3-grpcio, kubectl through the kubeconfig that
// `inferd kubeconfig --ca-file` writes, the CLI with --ca-file and with a context's CA; a plain-HTTP or
// plaintext-gRPC client gets a prompt, clear failure; SIGHUP picks up a new certificate; bad files stop the start.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { parse as parseYaml } from 'yaml';
import { cliEntry, type Inferd, removeDir, startInferd } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';
import { inferenceClient, PROTO_FILE } from '../server/grpc-client.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const IRIS_BODY = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
const PREDICT = '/v1/models/sklearn-iris:predict';
const KUBECTL = process.env.KUBECTL || 'kubectl';

let dir: string;
let ca: Buffer;
let inferd: Inferd;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A CA and a server certificate it signs for 127.0.0.1, localhost and the demo's hosts; returns their paths. */
function makeCerts(prefix: string): { ca: string; cert: string; key: string } {
  const p = (n: string) => join(dir, `${prefix}-${n}`);
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${prefix} test CA`].concat([
      '-keyout',
      p('ca.key'),
      '-out',
      p('ca.crt'),
    ]),
  );
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', p('server.key')].concat([
      '-out',
      p('server.csr'),
    ]),
  );
  writeFileSync(p('ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:*.default.example.com\n');
  openssl(
    ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial'].concat([
      '-days',
      '1',
      '-extfile',
      p('ext'),
      '-out',
      p('server.crt'),
    ]),
  );
  return { ca: p('ca.crt'), cert: p('server.crt'), key: p('server.key') };
}

function httpsRequest(opts: {
  path: string;
  body?: string;
  ca?: Buffer;
  headers?: Record<string, string>;
}): Promise<{ status: number; text: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: inferd.port,
        path: opts.path,
        method: opts.body === undefined ? 'GET' : 'POST',
        headers: opts.headers,
        ca: opts.ca ?? ca,
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            alpn: (res.socket as import('node:tls').TLSSocket).alpnProtocol,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('https request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

function h2Request(path: string, body: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${inferd.port}`, { ca });
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': path, ...headers });
    let status = 0;
    let text = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
    });
    stream.setEncoding('utf8');
    stream.on('data', (c) => {
      text += c;
    });
    stream.on('end', () => {
      session.close();
      resolve({ status, text });
    });
    stream.on('error', reject);
    stream.setTimeout(15_000, () => stream.destroy(new Error('h2 request timed out')));
    stream.end(body);
  });
}

function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [cliEntry, ...args],
      { timeout: 60_000, env: { PATH: process.env.PATH, HOME: dir, ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

let certs: { ca: string; cert: string; key: string };
/** The files the server was started with (copies: the SIGHUP test replaces them). */
let served: { cert: string; key: string };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inferd-tls-'));
  certs = makeCerts('one');
  ca = readFileSync(certs.ca);
  served = { cert: join(dir, 'served.crt'), key: join(dir, 'served.key') };
  copyFileSync(certs.cert, served.cert);
  copyFileSync(certs.key, served.key);
  inferd = await startInferd({ args: ['--demo', '--tls-cert', served.cert, '--tls-key', served.key] });
  assert.match(inferd.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  // Ready when a prediction answers (bounded): the demo model loads in the background.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await httpsRequest({ path: PREDICT, body: IRIS_BODY }).catch((e: Error) => ({
      status: 0,
      text: e.message,
    }));
    if (r.status === 200) break;
    if (Date.now() > deadline) throw new Error(`the demo model never answered over TLS: ${r.status} ${r.text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
  if (dir) removeDir(dir);
});

test('V1 predict over HTTPS/1.1 (node https client): iris [1,1], by path and by Host', async () => {
  const r = await httpsRequest({ path: PREDICT, body: IRIS_BODY, headers: { 'content-type': 'application/json' } });
  // node's https client offers no ALPN: such a connection is HTTP/1.1
  assert.deepEqual([r.status, r.text, r.alpn], [200, '{"predictions":[1,1]}', false]);
  const byHost = await httpsRequest({
    path: PREDICT,
    body: IRIS_BODY,
    headers: { host: 'sklearn-iris.default.example.com' },
  });
  assert.deepEqual([byHost.status, byHost.text], [200, '{"predictions":[1,1]}']);
});

test('V1 and V2 predict over HTTP/2 with TLS (ALPN h2): the REST answers, by path and by :authority', async () => {
  const v1 = await h2Request(PREDICT, IRIS_BODY);
  assert.deepEqual(v1, { status: 200, text: '{"predictions":[1,1]}' });
  const byAuthority = await h2Request(PREDICT, IRIS_BODY, { ':authority': 'sklearn-iris.default.example.com' });
  assert.deepEqual(byAuthority, { status: 200, text: '{"predictions":[1,1]}' });
  const v2 = await h2Request(
    '/v2/models/sklearn-iris/infer',
    JSON.stringify({
      inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6] }],
    }),
    { 'content-type': 'application/json' },
  );
  assert.equal(v2.status, 200, v2.text);
  assert.deepEqual(JSON.parse(v2.text).outputs[0].data, [1, 1]);
});

test('curl with --cacert: HTTP/2 by default, HTTP/1.1 on request; without the CA it refuses the certificate', async () => {
  const url = `https://127.0.0.1:${inferd.port}${PREDICT}`;
  const base = ['-sS', '--max-time', '15', '--cacert', certs.ca, '-d', IRIS_BODY, '-w', ' %{http_version}'];
  assert.equal((await run('curl', [...base, url])).stdout, '{"predictions":[1,1]} 2');
  assert.equal((await run('curl', [...base, '--http1.1', url])).stdout, '{"predictions":[1,1]} 1.1');
  await assert.rejects(run('curl', ['-sS', '--max-time', '15', url]), /certificate/i);
});

test('gRPC ModelInfer over TLS with @grpc/grpc-js credentials.createSsl(ca): by model name and by :authority', async (t) => {
  const target = `127.0.0.1:${inferd.port}`;
  const c = inferenceClient(target, {}, grpc.credentials.createSsl(ca));
  const byHost = inferenceClient(
    target,
    { 'grpc.default_authority': 'sklearn-iris.default.example.com' },
    grpc.credentials.createSsl(ca),
  );
  t.after(() => {
    c.close();
    byHost.close();
  });
  const infer = {
    model_name: 'sklearn-iris',
    inputs: [
      {
        name: 'input-0',
        datatype: 'FP32',
        shape: [2, 4],
        contents: { fp32_contents: [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6] },
      },
    ],
  };
  assert.deepEqual((await c.ModelInfer(infer)).outputs[0].contents.int64_contents, ['1', '1']);
  assert.deepEqual((await byHost.ModelInfer(infer)).outputs[0].contents.int64_contents, ['1', '1']);
  assert.equal((await c.ServerLive({})).live, true);
});

test('Debian python3-grpcio over TLS (ssl_channel_credentials with the CA): iris [1,1]', async (t) => {
  const hasTools =
    existsSync(PYTHON) &&
    (await run(PYTHON, ['-c', 'import grpc, grpc_tools']).then(
      () => true,
      () => false,
    ));
  if (!hasTools) {
    assert.notEqual(process.env.CI, 'true', 'python3-grpcio/python3-grpc-tools missing under CI=true');
    t.skip(
      'python3-grpcio and python3-grpc-tools are not installed (apt-get install python3-grpcio python3-grpc-tools)',
    );
    return;
  }
  const stubs = mkdtempSync(join(tmpdir(), 'inferd-pystubs-'));
  t.after(() => removeDir(stubs));
  await run(
    PYTHON,
    ['-m', 'grpc_tools.protoc', `-I${join(PROTO_FILE, '..')}`, `--python_out=${stubs}`].concat([
      `--grpc_python_out=${stubs}`,
      PROTO_FILE,
    ]),
  );
  const script = join(repoRoot, 'test', 'e2e', 'grpc-python-client.py');
  const { stdout } = await run(PYTHON, [script, stubs, `127.0.0.1:${inferd.port}`], {
    timeout: 60_000,
    env: { ...process.env, GRPC_CA_FILE: certs.ca },
  });
  assert.deepEqual(JSON.parse(stdout), {
    live: true,
    ready: true,
    typed: { id: 'py-1', int64: [1, 1] },
    raw: [1, 1],
    missing: 'NOT_FOUND',
    bad_shape: 'INVALID_ARGUMENT',
  });
});

test('a plain-HTTP client to the TLS port gets 400 naming https at once; a plaintext gRPC client fails fast', async () => {
  const started = Date.now();
  const r = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: inferd.port, path: PREDICT, method: 'POST', timeout: 10_000 },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('plain request hung')));
    req.on('error', reject);
    req.end(IRIS_BODY);
  });
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.text).error, /speaks TLS only.*https:\/\//);
  assert.ok(Date.now() - started < 5_000);
  const plain = inferenceClient(`127.0.0.1:${inferd.port}`);
  try {
    await assert.rejects(
      new Promise((resolve, reject) =>
        plain.raw.waitForReady(Date.now() + 5_000, (err) => (err ? reject(err) : resolve(undefined))),
      ).then(() => plain.ServerLive({})),
      (err: Error & { code?: number }) => {
        // never ready (deadline) or UNAVAILABLE: not a hang
        assert.ok(err.code === undefined || err.code === grpc.status.UNAVAILABLE, String(err));
        return true;
      },
    );
  } finally {
    plain.close();
  }
});

test('kubectl over TLS with the kubeconfig from `inferd kubeconfig --ca-file` (certificate-authority-data)', async (t) => {
  const has = await run(KUBECTL, ['version', '--client']).then(
    () => true,
    () => false,
  );
  if (!has) {
    assert.notEqual(process.env.CI, 'true', 'kubectl missing under CI=true');
    t.skip('kubectl is not on the PATH');
    return;
  }
  const kc = join(dir, 'kubeconfig');
  // A token: kubectl prompts for a username over https when the user entry has no credentials at all.
  const wrote = await cli([
    'kubeconfig',
    '--server',
    inferd.url,
    '--ca-file',
    certs.ca,
    '--token',
    'any',
    '--write',
    kc,
  ]);
  assert.equal(wrote.code, 0, wrote.stderr);
  const doc = parseYaml(readFileSync(kc, 'utf8'));
  assert.equal(Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), ca.toString());
  const { stdout } = await run(KUBECTL, ['get', 'isvc', '-n', 'default', '-o', 'name'], {
    env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kc },
    timeout: 60_000,
  });
  assert.equal(stdout.trim(), 'inferenceservice.serving.kserve.io/sklearn-iris');
});

test('the CLI over TLS: --ca-file, INFERD_CA_FILE, a context with certificate-authority; untrusted → a clear error', async () => {
  const get = ['get', 'isvc', 'sklearn-iris', '-o', 'name'];
  const want = 'inferenceservice.serving.kserve.io/sklearn-iris';
  const withFlag = await cli([...get, '--server', inferd.url, '--ca-file', certs.ca]);
  assert.equal(withFlag.stdout.trim(), want, withFlag.stderr);
  const withEnv = await cli([...get, '--server', inferd.url], { INFERD_CA_FILE: certs.ca });
  assert.equal(withEnv.stdout.trim(), want, withEnv.stderr);
  const config = join(dir, 'inferd-config');
  writeFileSync(
    config,
    `current-context: tls\ncontexts:\n- name: tls\n  server: ${inferd.url}\n  token: any\n  certificate-authority: ${certs.ca}\n` +
      `- name: tls-data\n  server: ${inferd.url}\n  certificate-authority-data: ${ca.toString('base64')}\n`,
  );
  const withContext = await cli(get, { INFERD_CONFIG: config });
  assert.equal(withContext.stdout.trim(), want, withContext.stderr);
  const withData = await cli([...get, '--context', 'tls-data'], { INFERD_CONFIG: config });
  assert.equal(withData.stdout.trim(), want, withData.stderr);
  const untrusted = await cli([...get, '--server', inferd.url]);
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.stderr, /certificate is signed by an unknown CA.*--ca-file/);
});

test('SIGHUP reloads the certificate files: new connections get the new certificate', async () => {
  const next = makeCerts('two');
  copyFileSync(next.cert, served.cert);
  copyFileSync(next.key, served.key);
  inferd.proc.kill('SIGHUP');
  const nextCa = readFileSync(next.ca);
  const deadline = Date.now() + 10_000;
  let last = '';
  for (;;) {
    const r = await httpsRequest({ path: PREDICT, body: IRIS_BODY, ca: nextCa }).catch((e: Error) => ({
      status: 0,
      text: e.message,
    }));
    if (r.status === 200) break;
    last = r.text;
    if (Date.now() > deadline) assert.fail(`the new certificate was not served after SIGHUP: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await assert.rejects(httpsRequest({ path: PREDICT, body: IRIS_BODY, ca }), /certificate|self.signed|issuer/i);
  assert.equal(inferd.proc.exitCode, null, 'the server kept running');
});

test('start-up refuses a missing, non-PEM or mismatched certificate/key with a message naming the file', async () => {
  const other = makeCerts('three');
  const cases: [string[], RegExp][] = [
    [
      ['--tls-cert', join(dir, 'nope.crt'), '--tls-key', certs.key],
      /--tls-cert .*nope\.crt: cannot read it \(no such file\)/,
    ],
    [['--tls-cert', certs.key, '--tls-key', certs.key], /--tls-cert .*one-server\.key: not a PEM certificate/],
    [['--tls-cert', certs.cert, '--tls-key', certs.cert], /--tls-key .*one-server\.crt: no PEM private key/],
    [
      ['--tls-cert', certs.cert, '--tls-key', other.key],
      /--tls-key .*three-server\.key does not belong to the certificate/,
    ],
    [['--tls-cert', certs.cert], /--tls-cert: needs --tls-key FILE too/],
  ];
  for (const [args, want] of cases) {
    const state = mkdtempSync(join(tmpdir(), 'inferd-tls-bad-'));
    const r = await cli(['serve', '--port', '0', '--state', state, ...args]);
    removeDir(state);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stdout, /listening/);
  }
});
