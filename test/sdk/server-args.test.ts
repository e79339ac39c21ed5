// KServe's model-server flags for SDK servers, checked once; PORT and PREDICTOR_HOST from env as KServe's
// containers get them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSdkServerArgs } from '../../src/index.js';

test('reads KServe spelling, ignores the flags with no meaning here, takes PORT/PREDICTOR_HOST from env', () => {
  const c = parseSdkServerArgs(
    ['--model_name', 'mnist', '--http_port=9000', '--grpc_port', '0', '--workers', '4', '--protocol', 'grpc-v2'],
    { PREDICTOR_HOST: 'mnist-predictor:80' },
  );
  assert.equal(c.modelName, 'mnist');
  assert.equal(c.httpPort, 9000);
  assert.equal(c.grpcPort, 0);
  assert.equal(c.httpHost, '127.0.0.1');
  assert.equal(c.predictorHost, 'mnist-predictor:80');
  assert.equal(c.protocol, 'grpc-v2');
  assert.equal(parseSdkServerArgs([], { PORT: '8181' }).httpPort, 8181);
  assert.equal(parseSdkServerArgs(['--enable_grpc', 'false']).grpcPort, null);
  assert.equal(parseSdkServerArgs(['--predictor_request_timeout_seconds', '1.5']).predictorTimeoutMs, 1500);
});

test('BAD CALL - every problem is named in one INVALID_CONFIG', () => {
  assert.throws(
    () =>
      parseSdkServerArgs([
        '--http_port',
        'x',
        '--protocol',
        'v3',
        '--predictor_host',
        'http://p:80',
        '--enable_grpc',
        'maybe',
      ]),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'INVALID_CONFIG');
      assert.match(err.message, /--http_port: expected 0-65535, got 'x'/);
      assert.match(err.message, /--protocol: expected v1, v2, grpc-v2, got 'v3'/);
      assert.match(err.message, /--predictor_host: expected host:port without a scheme/);
      assert.match(err.message, /--enable_grpc: expected true or false/);
      return true;
    },
  );
  assert.throws(() => parseSdkServerArgs(['--model_dirr', 'x']), { code: 'INVALID_CONFIG' });
});
