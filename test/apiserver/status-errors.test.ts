import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../../src/api/types.js';
import { statusFromError } from '../../src/apiserver/status-errors.js';
import { InferdError } from '../../src/errors.js';
import { conflict, expired, notFound } from '../../src/store/resource-errors.js';

const ISVC = kindByName('InferenceService')!;

test('NotFound matches the Kubernetes Status body byte for byte', () => {
  assert.equal(
    JSON.stringify(statusFromError(notFound(ISVC, 'x'))),
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"inferenceservices.serving.kserve.io \\"x\\" not found","reason":"NotFound","details":{"name":"x","group":"serving.kserve.io","kind":"inferenceservices"},"code":404}',
  );
});

test('Conflict is 409 and Expired is 410', () => {
  const c = statusFromError(conflict(ISVC, 'x'));
  assert.equal(c.code, 409);
  assert.equal(c.reason, 'Conflict');
  const e = statusFromError(expired('3', '10'));
  assert.equal(e.code, 410);
  assert.equal(e.reason, 'Expired');
});

test('INVALID_MANIFEST becomes 422 Invalid with causes from details.path', () => {
  const err = new InferdError('INVALID_MANIFEST', 'spec.predictor: Required value', { path: 'spec.predictor' });
  const s = statusFromError(err, { kind: ISVC, name: 'iris' });
  assert.equal(s.code, 422);
  assert.equal(s.reason, 'Invalid');
  assert.equal(s.message, 'InferenceService.serving.kserve.io "iris" is invalid: spec.predictor: Required value');
  assert.deepEqual(s.details, {
    name: 'iris',
    group: 'serving.kserve.io',
    kind: 'InferenceService',
    causes: [{ reason: 'FieldValueInvalid', message: 'Required value', field: 'spec.predictor' }],
  });
});

test('several causes are listed in brackets', () => {
  const err = new InferdError('INVALID_MANIFEST', 'two problems', {
    causes: [
      { path: 'a', message: 'bad' },
      { path: 'b', message: 'worse' },
    ],
  });
  const s = statusFromError(err, { kind: ISVC, name: 'x' });
  assert.match(s.message, /is invalid: \[a: bad, b: worse\]$/);
  assert.equal(s.details?.causes?.length, 2);
});

test('unknown throwables become 500 InternalError', () => {
  const s = statusFromError(new Error('boom'));
  assert.equal(s.code, 500);
  assert.equal(s.reason, 'InternalError');
  assert.equal(s.message, 'boom');
});
