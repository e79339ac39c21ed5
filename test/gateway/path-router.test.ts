import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelNameFromPath, parseServingPath } from '../../src/gateway/path-router.js';

test('finds the model name in V1 and V2 paths', () => {
  assert.equal(modelNameFromPath('/v1/models/sklearn-iris:predict'), 'sklearn-iris');
  assert.equal(modelNameFromPath('/v1/models/sklearn-iris'), 'sklearn-iris');
  assert.equal(modelNameFromPath('/v1/models/sklearn-iris:explain?x=1'), 'sklearn-iris');
  assert.equal(modelNameFromPath('/v2/models/sklearn-iris/infer'), 'sklearn-iris');
  assert.equal(modelNameFromPath('/v2/models/sklearn-iris/versions/1/infer'), 'sklearn-iris');
  assert.equal(modelNameFromPath('/v2/models/sklearn-iris'), 'sklearn-iris');
});

test('paths without a model name give undefined', () => {
  for (const p of ['/', '/v1/models', '/v1/models/', '/v2', '/v2/health/ready', '/metrics', '/v2/models/']) {
    assert.equal(modelNameFromPath(p), undefined, p);
  }
});

test('parses the /serving/{ns}/{name}/ path template', () => {
  assert.deepEqual(parseServingPath('/serving/kserve-test/sklearn-iris/v1/models/sklearn-iris:predict'), {
    namespace: 'kserve-test',
    name: 'sklearn-iris',
    path: '/v1/models/sklearn-iris:predict',
  });
  assert.equal(parseServingPath('/serving/only'), undefined);
  assert.equal(parseServingPath('/v1/models/x'), undefined);
});

test('repository extension paths name their model', () => {
  assert.equal(modelNameFromPath('/v2/repository/models/sklearn-iris/load'), 'sklearn-iris');
  assert.equal(modelNameFromPath('/v2/repository/models/a%20b/unload'), 'a b');
  assert.equal(modelNameFromPath('/v2/repository/index'), undefined);
});
