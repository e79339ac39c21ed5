// The replica lifecycle (what main.ts runs) with a test runtime: Loading → ready(port) | failed(reason),
// and its KServe-style flags.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { InferdError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { LoadOptions, RuntimeFactory } from '../../src/runtimes/model.js';
import { failureReason, type ReplicaMessage, startReplica } from '../../src/server/replica.js';
import { parseReplicaArgs } from '../../src/server/replica-args.js';
import { IrisTestModel, postJson } from './helpers.js';

function registryOf(...runtimes: RuntimeFactory[]) {
  return {
    forFormat: (name: string) => runtimes.find((r) => r.formats.includes(name.toLowerCase())),
    formats: () => runtimes.flatMap((r) => [...r.formats]),
  };
}

const config = (over: Partial<ReturnType<typeof parseReplicaArgs>> = {}) => ({
  ...parseReplicaArgs([
    '--model_name',
    'sklearn-iris',
    '--model_dir',
    '/models/iris',
    '--http_port',
    '0',
    '--grpc_port',
    '0',
  ]),
  ...over,
});

test('reports Loading, loads through the registry with PREDICT_PROBA, listens, reports ready with the port', async (t) => {
  const messages: ReplicaMessage[] = [];
  let loadOpts: LoadOptions | undefined;
  const runtime: RuntimeFactory = {
    name: 'test',
    formats: ['sklearn'],
    load: async (opts) => {
      loadOpts = opts;
      return new IrisTestModel(opts.name);
    },
  };
  const replica = await startReplica(config({ modelFormat: 'SKLearn' }), {
    registry: registryOf(runtime),
    env: { PREDICT_PROBA: 'true', HOME: '/root' },
    log: silentLogger,
    notify: async (m) => {
      messages.push(m);
    },
  });
  t.after(() => replica.close(100));
  assert.deepEqual(messages, [
    { type: 'state', state: 'Loading' },
    { type: 'ready', port: replica.port, grpcPort: replica.grpcPort },
  ]);
  assert.ok(typeof replica.grpcPort === 'number' && replica.grpcPort > 0 && replica.grpcPort !== replica.port);
  assert.deepEqual(loadOpts, {
    name: 'sklearn-iris',
    modelDir: '/models/iris',
    env: { PREDICT_PROBA: 'true' },
    log: silentLogger,
  });
  const agent = new http.Agent();
  t.after(() => agent.destroy());
  const r = await postJson(
    { port: replica.port, agent },
    '/v1/models/sklearn-iris:predict',
    '{"instances":[[6.8,2.8,4.8,1.4]]}',
  );
  assert.equal(r.body, '{"predictions":[1]}');
});

test('EXPECTED FAILURE - a load error is reported as failed with its reason, then rethrown', async () => {
  const cases: [RuntimeFactory['load'], string][] = [
    [
      async () => {
        throw new InferdError('UNSAFE_MODEL', 'pickle references os.system');
      },
      'UnsafeModel',
    ],
    [
      async () => {
        throw new InferdError('MODEL_LOAD_FAILED', 'no model file in /models/iris', { reason: 'ModelMissing' });
      },
      'ModelMissing',
    ],
    [
      async () => {
        throw new Error('boom');
      },
      'ModelLoadFailed',
    ],
  ];
  for (const [load, reason] of cases) {
    const messages: ReplicaMessage[] = [];
    await assert.rejects(
      startReplica(config(), {
        registry: registryOf({ name: 'test', formats: ['sklearn'], load }),
        env: {},
        log: silentLogger,
        notify: async (m) => {
          messages.push(m);
        },
      }),
    );
    assert.equal(messages.length, 2);
    assert.deepEqual(messages[1]!.type === 'failed' && messages[1]!.reason, reason);
  }
});

test('EXPECTED FAILURE - an unknown format is NoSupportingRuntime naming the served formats', async () => {
  const messages: ReplicaMessage[] = [];
  await assert.rejects(
    startReplica(config({ modelFormat: 'tensorflow' }), {
      registry: registryOf({ name: 'test', formats: ['sklearn'], load: async () => new IrisTestModel() }),
      env: {},
      log: silentLogger,
      notify: async (m) => {
        messages.push(m);
      },
    }),
  );
  assert.deepEqual(messages[1], {
    type: 'failed',
    reason: 'NoSupportingRuntime',
    message: 'no runtime serves model format "tensorflow"; this build serves: sklearn',
  });
});

test('failure reasons derive from the error code, or from Node error codes', () => {
  assert.equal(failureReason(new InferdError('STORAGE_FAILED', 'x')), 'StorageFailed');
  assert.equal(failureReason(Object.assign(new Error('x'), { code: 'ENOENT' })), 'ModelMissing');
  assert.equal(failureReason(Object.assign(new Error('x'), { code: 'EADDRINUSE' })), 'ListenFailed');
});

test('flags: KServe spelling, both --k v and --k=v, defaults, KServe-only flags ignored', () => {
  assert.deepEqual(parseReplicaArgs(['--model_name=iris', '--model_dir', '/m', '--grpc_port', '8081', '--workers=1']), {
    modelName: 'iris',
    modelDir: '/m',
    modelFormat: 'sklearn',
    httpPort: 8080,
    httpHost: '127.0.0.1',
    maxBodyBytes: 16 * 1024 * 1024,
    maxBinaryBodyBytes: 128 * 1024 * 1024,
    grpcPort: 8081,
    grpcMaxReceiveMessageBytes: 64 * 1024 * 1024,
    grpcMaxSendMessageBytes: 64 * 1024 * 1024,
    batcher: null,
    logger: null,
    namespace: 'default',
    requestTimeoutMs: null,
  });
  assert.equal(parseReplicaArgs(['--model_name=a', '--model_dir=b', '--enable_grpc=false']).grpcPort, null);
  const g = parseReplicaArgs([
    '--model_name=a',
    '--model_dir=b',
    '--grpc_port=0',
    '--grpc_max_receive_message_length=1024',
    '--grpc_max_send_message_length=2048',
  ]);
  assert.deepEqual([g.grpcPort, g.grpcMaxReceiveMessageBytes, g.grpcMaxSendMessageBytes], [0, 1024, 2048]);
  const c = parseReplicaArgs([
    '--model_name=iris',
    '--model_dir=/m',
    '--model_format=xgboost',
    '--http_port=0',
    '--http_host=0.0.0.0',
    '--max_body_bytes=1024',
  ]);
  assert.deepEqual([c.modelFormat, c.httpPort, c.httpHost, c.maxBodyBytes], ['xgboost', 0, '0.0.0.0', 1024]);
});

test('BAD CALL - flags: missing or invalid values are INVALID_CONFIG naming each flag', () => {
  assert.throws(() => parseReplicaArgs(['--http_port', 'x', '--max_body_bytes=-1']), {
    code: 'INVALID_CONFIG',
    message:
      "--model_name is required; --model_dir is required; --http_port: expected 0-65535, got 'x'; --max_body_bytes: expected a positive integer, got '-1'",
  });
  assert.throws(() => parseReplicaArgs(['--model_name', 'a', '--model_dir', 'b', '--bogus', '1']), {
    code: 'INVALID_CONFIG',
    message: /Unknown option '--bogus'/,
  });
});
