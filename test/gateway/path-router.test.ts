import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isRepositoryChange,
  modelNameFromPath,
  parseServingPath,
  pickByModelName,
} from '../../src/gateway/path-router.js';
import type { ServiceEndpoint } from '../../src/routing/endpoint-table.js';

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

const ep = (namespace: string, state: 'ready' | 'starting' | 'failed'): ServiceEndpoint => ({
  namespace,
  name: 'm',
  modelName: 'm',
  routes: [],
  port: state === 'ready' ? 1000 : undefined,
  revision: undefined,
  starting: state === 'starting',
});

test('a model name in several namespaces: the ready one, else the starting one, else default (issue 10, L5)', () => {
  const pick = (...eps: ServiceEndpoint[]) => pickByModelName(eps)?.namespace;
  assert.equal(pick(ep('team-a', 'failed'), ep('team-b', 'ready')), 'team-b'); // a failing one never hides it
  assert.equal(pick(ep('default', 'failed'), ep('team-b', 'ready')), 'team-b');
  assert.equal(pick(ep('team-a', 'failed'), ep('team-b', 'starting')), 'team-b');
  assert.equal(pick(ep('team-a', 'ready'), ep('default', 'ready')), 'default');
  assert.equal(pick(ep('team-a', 'failed'), ep('default', 'failed')), 'default');
  assert.equal(pick(ep('team-a', 'ready'), ep('team-b', 'ready')), undefined); // still a choice: 400
  assert.equal(pick(ep('team-a', 'failed'), ep('team-b', 'failed')), undefined);
  assert.equal(pick(ep('team-a', 'failed')), 'team-a');
});

test('repository load/unload paths are recognised, the index and other paths are not', () => {
  assert.equal(isRepositoryChange('/v2/repository/models/m/load'), true);
  assert.equal(isRepositoryChange('/v2/repository/models/m/unload?x=1'), true);
  assert.equal(isRepositoryChange('/v2/repository/index'), false);
  assert.equal(isRepositoryChange('/v2/models/m/infer'), false);
});
