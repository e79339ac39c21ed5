// What the operator does not run yet is a condition on the service, never a service served without it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import { unsupportedParts } from '../../src/operator/operator.js';

const isvc = (spec: Record<string, unknown>): InferenceService =>
  ({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'm', namespace: 'ns' },
    spec,
  }) as unknown as InferenceService;

test('a predictor with a model format and storageUri is run: no problem', () => {
  assert.deepEqual(
    unsupportedParts(isvc({ predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://b/m' } } })),
    [],
  );
});

test('a transformer, an explainer and custom predictor containers each give ComponentNotSupported naming the field', () => {
  const problems = unsupportedParts(
    isvc({
      predictor: { containers: [{ name: 'kserve-container', image: 'me/model:1' }] },
      transformer: { containers: [{ name: 'kserve-container', image: 'me/transformer:1' }] },
      explainer: { containers: [{ name: 'kserve-container', image: 'me/explainer:1' }] },
    }),
  );
  assert.deepEqual(
    problems.map((p) => p.reason),
    ['ComponentNotSupported', 'ComponentNotSupported', 'ComponentNotSupported'],
  );
  assert.match(problems[0]!.message, /^spec\.transformer: /);
  assert.match(problems[1]!.message, /^spec\.explainer: /);
  assert.match(problems[2]!.message, /^spec\.predictor\.containers: /);
});
