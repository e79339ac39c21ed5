// Custom containers as local processes (issue 15, item 1): a real child process on the port inferd picks,
// Ready once it answers HTTP; the ways one fails (no such command, exits at once, never opens its port, a
// missing Secret) each give a reason and the last lines of its output; `inferd` resolves to this installation.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { test } from 'node:test';
import {
  ContainerReplica,
  type ContainerSpec,
  INFERD_CLI,
  resolveProgram,
  type SecretReader,
  withPortFlags,
} from '../../../src/controllers/replicas/container-replica.js';
import { LogBuffer } from '../../../src/controllers/replicas/log-buffer.js';
import type { ReplicaSpec } from '../../../src/controllers/replicas/replica.js';
import { InferdError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';

const NODE = process.execPath;
/** Answers every request with its env (names and the values of FOO and SECRET_TOKEN) and its argv. */
const ECHO_SERVER = `require('http').createServer((q, s) => s.end(JSON.stringify({ keys: Object.keys(process.env), foo: process.env.FOO, token: process.env.SECRET_TOKEN, argv: process.argv.slice(1) }))).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT))`;

function replicaOf(
  container: Partial<ContainerSpec> & { argv: string[] },
  opts: { loadTimeoutMs?: number; readSecret?: SecretReader; logs?: LogBuffer } = {},
): ContainerReplica {
  const spec: ReplicaSpec & { container: ContainerSpec } = {
    key: 'default/custom/custom-predictor-00001',
    revision: 'custom-predictor-00001',
    modelName: 'custom',
    modelDir: '',
    modelFormat: 'custom',
    env: {},
    ...(opts.loadTimeoutMs ? { loadTimeoutMs: opts.loadTimeoutMs } : {}),
    container: { component: 'predictor', env: {}, flags: {}, appendPortFlags: false, ...container },
  };
  return new ContainerReplica({
    spec,
    logs: opts.logs ?? new LogBuffer(undefined),
    log: silentLogger,
    // The server's own env holds a credential: it must not reach the container.
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_SECRET_ACCESS_KEY: 'server-secret' },
    readSecret: opts.readSecret,
  });
}

function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function failureOf(r: ContainerReplica): Promise<InferdError> {
  try {
    await r.whenSettled();
  } catch (err) {
    assert.ok(err instanceof InferdError);
    return err;
  }
  throw new Error('the replica became Ready');
}

test('a container is Ready once its PORT answers; it gets its manifest env and PORT, never the server env', async (t) => {
  const logs = new LogBuffer(undefined);
  const r = replicaOf({ argv: [NODE, '-e', ECHO_SERVER, '--', '--http_port=8080'], env: { FOO: 'bar' } }, { logs });
  t.after(() => r.stop(2_000));
  assert.equal(r.kind, 'container');
  r.start();
  await r.whenSettled();
  assert.equal(r.phase, 'Ready');
  assert.ok(r.port && r.port !== 8080);
  const res = await get(r.port);
  const seen = JSON.parse(res.body) as { keys: string[]; foo: string; argv: string[] };
  assert.equal(seen.foo, 'bar');
  assert.ok(seen.keys.includes('PORT'));
  assert.ok(!seen.keys.includes('AWS_SECRET_ACCESS_KEY'), 'the server credential leaked into the container');
  // KServe's --http_port=8080 points at the port inferd picked (8080 cannot be every replica's locally).
  assert.ok(seen.argv.includes(`--http_port=${r.port}`), seen.argv.join(' '));
  assert.ok(logs.tail().some((l) => l === `listening on ${r.port}`));
  await r.stop(2_000);
  assert.equal(r.phase, 'Exited');
});

test('a command that does not exist: CommandNotFound naming it', async () => {
  const r = replicaOf({ argv: ['inferd-no-such-command-xyz', '--flag'] });
  r.start();
  const err = await failureOf(r);
  assert.equal(err.details.reason, 'CommandNotFound');
  assert.match(err.message, /inferd-no-such-command-xyz not found on PATH/);
  assert.equal(r.phase, 'Exited');
});

test('a container that exits at once: ContainerExited with its exit code and last output', async () => {
  const r = replicaOf({ argv: [NODE, '-e', "console.error('boom: weights missing'); process.exit(3)"] });
  r.start();
  const err = await failureOf(r);
  assert.equal(err.details.reason, 'ContainerExited');
  assert.equal(err.details.exitCode, 3);
  assert.match(err.message, /exited \(code 3\) before it answered on its port; last output: boom: weights missing/);
});

test('a container that never opens its port: failed at the load timeout, killed, the message says so', async () => {
  const r = replicaOf(
    { argv: [NODE, '-e', "console.log('warming up'); setInterval(() => {}, 1000)"] },
    { loadTimeoutMs: 800 },
  );
  r.start();
  const err = await failureOf(r);
  assert.equal(err.details.reason, 'ModelLoadTimeout');
  assert.match(err.message, /never answered HTTP on its port/);
  await r.stop(2_000); // resolves once the killed process is gone
  assert.match(r.failure?.message ?? '', /last output: warming up/);
  assert.equal(r.phase, 'Exited');
});

test('env from a secretKeyRef: read when it starts; a missing Secret fails naming the secret and key', async (t) => {
  const secrets = new Map<string, string>();
  const readSecret: SecretReader = (ns, name, key) => secrets.get(`${ns}/${name}/${key}`);
  const container = {
    argv: [NODE, '-e', ECHO_SERVER],
    namespace: 'team-a',
    secretEnv: [{ env: 'SECRET_TOKEN', secret: 'api', key: 'token' }],
  };
  const missing = replicaOf(container, { readSecret });
  missing.start();
  const err = await failureOf(missing);
  assert.equal(err.details.reason, 'SecretNotFound');
  assert.match(err.message, /key "token" of secret "api" not found in namespace "team-a"/);

  secrets.set('team-a/api/token', 's3cr3t');
  const r = replicaOf(container, { readSecret });
  t.after(() => r.stop(2_000));
  r.start();
  await r.whenSettled();
  assert.equal((JSON.parse((await get(r.port as number)).body) as { token: string }).token, 's3cr3t');
});

test('`inferd` resolves to this installation; --http_port/--grpc_port are set or replaced', () => {
  const resolved = resolveProgram(['inferd', 'run', 'model.js'], '');
  assert.ok('argv' in resolved);
  assert.deepEqual(resolved.argv, [process.execPath, INFERD_CLI, 'run', 'model.js']);
  assert.equal(resolved.inferd, true);
  assert.ok(existsSync(INFERD_CLI), INFERD_CLI);
  assert.ok('problem' in resolveProgram(['/no/such/program'], '/usr/bin'));
  assert.deepEqual(withPortFlags(['x', '--http_port', '8080', '--grpc_port=8081'], 9000, 9001, true), [
    'x',
    '--http_port',
    '9000',
    '--grpc_port=9001',
  ]);
  assert.deepEqual(withPortFlags(['x', 'a'], 9000, 9001, true), ['x', 'a', '--http_port=9000', '--grpc_port=9001']);
  assert.deepEqual(withPortFlags(['x', 'a'], 9000, 9001, false), ['x', 'a']);
  // A transformer gets --http_port appended; a --grpc_port is only replaced, never added to an unknown program.
  assert.deepEqual(withPortFlags(['x', '--grpc_port=8081'], 9000, 9001, true, false), [
    'x',
    '--grpc_port=9001',
    '--http_port=9000',
  ]);
});
