// The replica's lazily loaded gRPC server (grpc/lazy.ts): the port is bound at start, @grpc/grpc-js is
// loaded by the first connection (whose bytes arrive before grpc-js does), and a replica's modules do not
// pull grpc-js in at all.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { silentLogger } from '../../src/log.js';
import { listenLazyGrpc } from '../../src/server/grpc/lazy.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { ModelRepository } from '../../src/server/model-repository.js';
import { repoRoot } from '../helpers/paths.js';
import { inferenceClient } from './grpc-client.js';
import { IrisTestModel } from './helpers.js';

test('lazy gRPC: bound at once, grpc-js loaded by the first call, calls answered, shutdown frees the port', async () => {
  const models = new ModelRepository();
  models.add(new IrisTestModel());
  const server = await listenLazyGrpc(
    { models, log: silentLogger, metrics: new ServerMetrics(), version: '1.2.3' },
    '127.0.0.1',
    0,
  );
  assert.ok(server.port > 0);
  assert.equal(server.loaded, false);
  const client = inferenceClient(`127.0.0.1:${server.port}`);
  try {
    // Two calls at once: both connections' first bytes wait for the one load.
    const [live, md] = await Promise.all([client.ServerLive({}), client.ServerMetadata({})]);
    assert.deepEqual(live, { live: true });
    assert.equal(md.version, '1.2.3');
    assert.equal(server.loaded, true);
    const res = await client.ModelInfer({
      model_name: 'sklearn-iris',
      inputs: [
        {
          name: 'x',
          datatype: 'FP32',
          shape: [2, 4],
          contents: { fp32_contents: [6.8, 2.8, 4.8, 1.4, 6, 3.4, 4.5, 1.6] },
        },
      ],
    });
    assert.deepEqual(res.outputs[0].contents.int64_contents, ['1', '1']);
  } finally {
    client.close();
    await server.shutdown(1_000);
  }
  await assert.rejects(
    new Promise((resolve, reject) => {
      const s = net.connect(server.port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    }),
    /ECONNREFUSED/,
  );
});

test('lazy gRPC: shutdown before any call never loads grpc-js', async () => {
  const server = await listenLazyGrpc(
    { models: new ModelRepository(), log: silentLogger, metrics: new ServerMetrics(), version: '0' },
    '127.0.0.1',
    0,
  );
  await server.shutdown(100);
  assert.equal(server.loaded, false);
});

test("a replica's modules (replica.ts, the runtime registry) do not load @grpc/grpc-js", async () => {
  const dist = join(repoRoot, 'dist', 'src');
  const script = `
    await import(${JSON.stringify(join(dist, 'server', 'replica.js'))});
    await import(${JSON.stringify(join(dist, 'server', 'replica-args.js'))});
    await import(${JSON.stringify(join(dist, 'runtimes', 'registry.js'))});
    const { createRequire } = await import('node:module');
    const cache = createRequire(import.meta.url).cache;
    console.log(JSON.stringify(Object.keys(cache).filter((k) => k.includes('@grpc'))));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    timeout: 30_000,
  });
  assert.deepEqual(JSON.parse(stdout), []);
});
