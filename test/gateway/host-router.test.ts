import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceCandidatesForHost } from '../../src/gateway/host-router.js';

test('routes KServe external and cluster-local hosts, with or without port', () => {
  const want = [{ namespace: 'default', name: 'sklearn-iris' }];
  assert.deepEqual(serviceCandidatesForHost('sklearn-iris.default.example.com', 'example.com'), want);
  assert.deepEqual(serviceCandidatesForHost('sklearn-iris.default.example.com:8080', 'example.com'), want);
  assert.deepEqual(serviceCandidatesForHost('sklearn-iris.default.svc.cluster.local', 'example.com'), want);
  assert.deepEqual(serviceCandidatesForHost('SKLEARN-IRIS.default.svc.cluster.local:80', 'example.com'), want);
  assert.deepEqual(serviceCandidatesForHost('sklearn-iris.default.svc', 'example.com'), want);
});

test('a -predictor host names the service both ways, literal name first', () => {
  assert.deepEqual(serviceCandidatesForHost('sklearn-iris-predictor.kserve-test.example.com', 'example.com'), [
    { namespace: 'kserve-test', name: 'sklearn-iris-predictor' },
    { namespace: 'kserve-test', name: 'sklearn-iris' },
  ]);
  assert.deepEqual(
    serviceCandidatesForHost('sklearn-iris-predictor-default.default.svc.cluster.local', 'example.com')[1],
    {
      namespace: 'default',
      name: 'sklearn-iris',
    },
  );
});

test('hosts that name no service give no candidates', () => {
  for (const h of ['localhost:8080', '127.0.0.1', 'example.com', 'a.b.c.example.com', '', undefined, '[::1]:8080']) {
    assert.deepEqual(serviceCandidatesForHost(h, 'example.com'), [], String(h));
  }
});

test('a configured domain replaces example.com', () => {
  assert.deepEqual(serviceCandidatesForHost('m.team.models.internal', 'models.internal'), [
    { namespace: 'team', name: 'm' },
  ]);
  assert.deepEqual(serviceCandidatesForHost('m.team.example.com', 'models.internal'), []);
});

test('tag hosts (latest-/prev-{name}-predictor) name the tag of {name} after the literal names', () => {
  assert.deepEqual(serviceCandidatesForHost('latest-iris-predictor.default.example.com', 'example.com'), [
    { namespace: 'default', name: 'latest-iris-predictor' },
    { namespace: 'default', name: 'latest-iris' },
    // A two-tier service's predictor endpoint is `{name}-predictor`: its own tag before the service's.
    { namespace: 'default', name: 'iris-predictor', tag: 'latest' },
    { namespace: 'default', name: 'iris', tag: 'latest' },
  ]);
  assert.deepEqual(serviceCandidatesForHost('prev-iris-predictor-default.team.svc.cluster.local', 'example.com')[3], {
    namespace: 'team',
    name: 'iris',
    tag: 'prev',
  });
  assert.equal(serviceCandidatesForHost('latest-predictor.default.example.com', 'example.com').length, 2);
  assert.equal(serviceCandidatesForHost('latest-iris.default.example.com', 'example.com').length, 1);
});

test('transformer tag hosts (latest-/prev-{name}-transformer) name the tag of {name}, where the transformer is', () => {
  assert.deepEqual(serviceCandidatesForHost('prev-iris-transformer.default.example.com', 'example.com'), [
    { namespace: 'default', name: 'prev-iris-transformer' },
    { namespace: 'default', name: 'prev-iris' },
    { namespace: 'default', name: 'iris', tag: 'prev' },
  ]);
  assert.deepEqual(serviceCandidatesForHost('latest-iris-explainer.default.example.com', 'example.com').slice(2), [
    { namespace: 'default', name: 'iris-explainer', tag: 'latest' },
    { namespace: 'default', name: 'iris', tag: 'latest' },
  ]);
});
