import assert from 'node:assert/strict';
import { test } from 'node:test';
import { annotationPolicy, serviceRequiresAuth } from '../../src/auth/service-policy.js';

test("KServe's and ODH's enable-auth annotations; KServe's wins; other values say nothing", () => {
  assert.equal(annotationPolicy(undefined), undefined);
  assert.equal(annotationPolicy({ 'serving.kserve.io/enable-auth': 'true' }), true);
  assert.equal(annotationPolicy({ 'serving.kserve.io/enable-auth': 'False' }), false);
  assert.equal(annotationPolicy({ 'security.opendatahub.io/enable-auth': 'true' }), true);
  assert.equal(
    annotationPolicy({ 'serving.kserve.io/enable-auth': 'false', 'security.opendatahub.io/enable-auth': 'true' }),
    false,
  );
  assert.equal(annotationPolicy({ 'serving.kserve.io/enable-auth': 'yes' }), undefined);
});

test('the annotation decides when present, the server switch otherwise', () => {
  assert.equal(serviceRequiresAuth(false, undefined), false);
  assert.equal(serviceRequiresAuth(true, undefined), true);
  assert.equal(serviceRequiresAuth(false, true), true);
  assert.equal(serviceRequiresAuth(true, false), false);
});
