// The controller ↔ replica contract: what the controllers encode (replica-protocol.ts) is what the replica
// parses (server/replica-args.ts), for every flag the controllers send.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PredictorSpec } from '../src/api/types.js';
import {
  bodyLimitReplicaArgs,
  MODEL_HOST_ARGS,
  modelReplicaArgs,
  predictorReplicaArgs,
  REPLICA_MAX_BODY_BYTES,
  servedModelName,
} from '../src/replica-protocol.js';
import { DEFAULT_MAX_BODY_BYTES } from '../src/server/model-server.js';
import { parseReplicaArgs, REPLICA_DEFAULTS } from '../src/server/replica-args.js';

const MODEL = { modelName: 'iris', modelDir: '/models/iris', modelFormat: 'xgboost' };

test('round trip: every flag the controllers encode parses back to the config they meant', () => {
  const predictor: PredictorSpec = {
    model: { modelFormat: { name: 'xgboost' }, args: ['--model_name=renamed'] },
    batcher: { maxBatchSize: 16, maxLatency: 250, timeout: 3 },
    logger: { url: 'http://sink.example:8080/events', mode: 'response' },
    timeout: 30,
  };
  const argv = [
    ...modelReplicaArgs(MODEL),
    ...predictorReplicaArgs(predictor, 'team-a'),
    ...bodyLimitReplicaArgs(64 * 1024 * 1024),
  ];
  const c = parseReplicaArgs(argv);
  // the predictor's own --model_name comes last and wins, as KServe's argparse keeps the last
  assert.equal(c.modelName, 'renamed');
  assert.equal(c.modelName, servedModelName({ metadata: { name: 'iris' }, spec: { predictor } }));
  assert.equal(c.modelDir, MODEL.modelDir);
  assert.equal(c.modelFormat, MODEL.modelFormat);
  assert.equal(c.httpPort, 0, 'a free port');
  assert.equal(c.grpcPort, 0, 'a free gRPC port');
  assert.equal(c.httpHost, '127.0.0.1', 'loopback');
  assert.deepEqual(c.batcher, { maxBatchSize: 16, maxLatencyMs: 250, timeoutMs: 3_000 });
  assert.deepEqual(c.logger, { url: 'http://sink.example:8080/events', mode: 'response' });
  assert.equal(c.namespace, 'team-a');
  assert.equal(c.requestTimeoutMs, 30_000);
  assert.equal(c.maxBodyBytes, 64 * 1024 * 1024);
});

test('round trip: a bare predictor encodes no extra flags and parses to the replica defaults', () => {
  assert.deepEqual(predictorReplicaArgs({ model: { modelFormat: { name: 'sklearn' } } }), []);
  assert.deepEqual(bodyLimitReplicaArgs(undefined), []);
  assert.deepEqual(bodyLimitReplicaArgs(REPLICA_MAX_BODY_BYTES), [], 'at the default the flag is left out');
  const c = parseReplicaArgs(modelReplicaArgs(MODEL));
  assert.equal(c.modelName, 'iris');
  assert.equal(c.batcher, null);
  assert.equal(c.logger, null);
  assert.equal(c.requestTimeoutMs, null);
  assert.equal(c.namespace, 'default');
  assert.equal(c.maxBodyBytes, REPLICA_DEFAULTS.maxBodyBytes);
  assert.equal(servedModelName({ metadata: { name: 'iris' } }), 'iris');
});

test('round trip: a batcher with only defaults, and a logger without a mode', () => {
  const c = parseReplicaArgs([
    ...modelReplicaArgs(MODEL),
    ...predictorReplicaArgs({ batcher: {}, logger: { url: 'https://sink.example/' } }),
  ]);
  assert.ok(c.batcher, 'batcher on');
  assert.deepEqual(c.logger, { url: 'https://sink.example/', mode: 'all' });
  assert.equal(c.namespace, 'default');
});

test('the encoder and the replica agree on the default body limit', () => {
  assert.equal(REPLICA_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES);
  assert.equal(REPLICA_MAX_BODY_BYTES, REPLICA_DEFAULTS.maxBodyBytes);
});

test("a model host's flags parse as a replica's without a model (server/main.ts --model_host)", () => {
  assert.equal(MODEL_HOST_ARGS[0], '--model_host');
  const c = parseReplicaArgs(['--model_name', 'model-host', '--model_dir', '-', ...MODEL_HOST_ARGS.slice(1)]);
  assert.equal(c.httpPort, 0);
  assert.equal(c.grpcPort, 0);
});
