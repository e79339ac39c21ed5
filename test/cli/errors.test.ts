import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { captureIo } from './fake-control-api.js';

async function cli(argv: string[], env: Record<string, string> = {}) {
  const c = captureIo({ env });
  const code = await main(argv, c.io);
  return { code, stdout: c.out(), stderr: c.err() };
}

/** A URL on 127.0.0.1 where nothing listens: bind port 0, note it, close it. */
async function closedPortUrl(): Promise<string> {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

test('connection refused names the server and suggests inferd serve', async () => {
  const url = await closedPortUrl();
  for (const argv of [
    ['get', 'isvc'],
    ['delete', 'isvc', 'x'],
    ['wait', '--for=condition=Ready', 'isvc/x'],
  ]) {
    const res = await cli([...argv, '--server', url]);
    assert.equal(res.code, 1, argv.join(' '));
    assert.equal(res.stderr, `error: cannot reach inferd at ${url} (connection refused): is 'inferd serve' running?\n`);
  }
  const fromEnv = await cli(['get', 'isvc'], { INFERD_SERVER: url });
  assert.match(fromEnv.stderr, new RegExp(`cannot reach inferd at ${url}`));
});

test('apply stops at the first connection failure instead of repeating it per document', async () => {
  const url = await closedPortUrl();
  const doc =
    'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: b\n';
  const c = captureIo({ stdin: doc });
  const code = await main(['apply', '-f', '-', '--server', url], c.io);
  assert.equal(code, 1);
  assert.equal(c.err().split('\n').filter(Boolean).length, 1);
});

test('unknown commands and flags: kubectl messages, a suggestion, exit 1', async () => {
  const res = await cli(['gte', 'isvc']);
  assert.equal(res.code, 1);
  assert.equal(
    res.stderr,
    'error: unknown command "gte" for "inferd"\n\nDid you mean this?\n\tget\n\nRun \'inferd --help\' for usage.\n',
  );
  const flag = await cli(['get', 'isvc', '--frobnicate']);
  assert.equal(flag.code, 1);
  assert.equal(flag.stderr, "error: unknown flag: --frobnicate\nSee 'inferd get --help' for usage.\n");
});

test('--help lists every command; <command> --help shows its usage without contacting a server', async () => {
  const top = await cli(['--help']);
  assert.equal(top.code, 0);
  for (const cmd of ['serve', 'apply', 'get', 'describe', 'delete', 'wait', 'logs', 'version']) {
    assert.match(top.stdout, new RegExp(`^ {2}${cmd}\\s`, 'm'));
  }
  const get = await cli(['get', '--help', '--server', 'http://127.0.0.1:1']);
  assert.equal(get.code, 0);
  assert.match(get.stdout, /^Usage:\n {2}inferd get /m);
  const help = await cli(['help', 'wait']);
  assert.match(help.stdout, /--for=condition/);
  assert.equal((await cli([])).code, 0);
});

test('version --client prints the package version', async () => {
  const res = await cli(['version', '--client']);
  assert.equal(res.code, 0);
  assert.match(res.stdout, /^Client Version: v\d+\.\d+\.\d+/);
});

test("--token is sent as a bearer token; a 401 says to log in, with the server's reason", async (t) => {
  let seen: string | undefined;
  const srv = http.createServer((req, res) => {
    seen = req.headers.authorization;
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="inferd"' });
    res.end(JSON.stringify({ error: 'invalid token' }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const res = await cli(['get', 'isvc', '--server', url, '--token', 's3cr3t']);
  assert.equal(seen, 'Bearer s3cr3t');
  assert.equal(res.code, 1);
  assert.equal(res.stderr, 'error: You must be logged in to the server (Unauthorized): invalid token\n');
  await cli(['get', 'isvc', '--server', url], { INFERD_TOKEN: 'from-env' });
  assert.equal(seen, 'Bearer from-env');
});

test('a server error without a Status body still gets a kubectl-style line', async (t) => {
  const srv = http.createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('boom');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const res = await cli(['get', 'isvc', 'x', '--server', url]);
  assert.equal(res.code, 1);
  assert.equal(res.stderr, 'Error from server (InternalError): the server responded with status 500: boom\n');
});
