import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkKind } from '../../src/api/index.js';
import { throwsAt } from './helpers.js';

describe('checkKind', () => {
  test('served kinds with their apiVersion', () => {
    assert.equal(
      checkKind({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' }).plural,
      'inferenceservices',
    );
    assert.equal(
      checkKind({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ClusterServingRuntime' }).namespaced,
      false,
    );
    assert.equal(checkKind({ apiVersion: 'v1', kind: 'Secret' }).kind, 'Secret');
  });

  test('BAD CALL - unknown kind names it and lists the served kinds', () => {
    const err = throwsAt(() => checkKind({ apiVersion: 'x/v1', kind: 'Foo' }), 'kind');
    assert.match(
      err.message,
      /^no kind "Foo" is served; inferd serves InferenceService \(serving\.kserve\.io\/v1beta1\), /,
    );
    assert.match(err.message, /ServingRuntime \(serving\.kserve\.io\/v1alpha1\)/);
  });

  test('BAD CALL - a near miss gets a suggestion; Istio kinds say why they are not needed', () => {
    throwsAt(
      () => checkKind({ apiVersion: 'v1', kind: 'Inferenceservice' }),
      'kind',
      /did you mean "InferenceService"\?/,
    );
    throwsAt(
      () => checkKind({ apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy' }),
      'kind',
      /no Istio mesh.*docs\/auth\.md/,
    );
  });

  test('BAD CALL - a known kind with the wrong apiVersion names both', () => {
    const err = throwsAt(
      () => checkKind({ apiVersion: 'serving.kserve.io/v1alpha2', kind: 'InferenceService' }),
      'apiVersion',
    );
    assert.equal(err.message, 'InferenceService must be serving.kserve.io/v1beta1, got serving.kserve.io/v1alpha2');
  });

  test('BAD CALL - a missing kind', () => {
    throwsAt(() => checkKind({ apiVersion: 'v1' }), 'kind', /required/);
  });
});
