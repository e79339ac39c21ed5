// The web app's manifest helpers (src/ui/app/manifest.ts), run in node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fieldPathSegments,
  MASK,
  manifestFromForm,
  maskSecrets,
  unmask,
  v1Example,
  v2Example,
} from '../../src/ui/app/manifest.js';

const isvc = {
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'x', namespace: 'ns', managedFields: [{ manager: 'kubectl' }] },
  spec: {
    predictor: {
      containers: [
        {
          name: 'kserve-container',
          env: [
            { name: 'AWS_SECRET_ACCESS_KEY', value: 'hunter2' },
            { name: 'HF_TOKEN', value: 'hf_abc' },
            { name: 'MODEL_NAME', value: 'iris' },
            { name: 'PASSWORD_FROM', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          ],
        },
      ],
    },
  },
};

test('maskSecrets hides secret-looking env values and Secret data, keeps the rest, never changes the input', () => {
  const m = maskSecrets(isvc);
  const env = m.spec.predictor.containers[0]!.env;
  assert.equal(env[0]!.value, MASK);
  assert.equal(env[1]!.value, MASK);
  assert.equal(env[2]!.value, 'iris');
  assert.deepEqual(env[3]!.valueFrom, { secretKeyRef: { name: 's', key: 'k' } });
  assert.equal('managedFields' in m.metadata, false);
  assert.equal(isvc.spec.predictor.containers[0]!.env[0]!.value, 'hunter2', 'the original is untouched');
  const secret = maskSecrets({
    kind: 'Secret',
    metadata: { name: 's' },
    data: { a: 'aHVudGVyMg==' },
    stringData: { b: 'x' },
  });
  assert.deepEqual(secret.data, { a: MASK });
  assert.deepEqual(secret.stringData, { b: MASK });
});

test('unmask puts stored values back where an edit kept the mask (env matched by name, even reordered)', () => {
  const edited = maskSecrets(isvc);
  const env = edited.spec.predictor.containers[0]!.env;
  env.reverse();
  env.push({ name: 'NEW_TOKEN', value: MASK });
  const back = unmask(edited, isvc);
  const byName = Object.fromEntries(back.spec.predictor.containers[0]!.env.map((e) => [e.name, e.value]));
  assert.equal(byName.AWS_SECRET_ACCESS_KEY, 'hunter2');
  assert.equal(byName.HF_TOKEN, 'hf_abc');
  assert.equal(byName.NEW_TOKEN, MASK, 'a value with nothing stored stays as typed');
});

test('fieldPathSegments splits a 422 field path into keys and indexes', () => {
  assert.deepEqual(fieldPathSegments('spec.predictor.containers[0].env[12].name'), [
    'spec',
    'predictor',
    'containers',
    0,
    'env',
    12,
    'name',
  ]);
  assert.deepEqual(fieldPathSegments('metadata.name'), ['metadata', 'name']);
});

test('the short form builds a new-style InferenceService; examples come from V2 metadata', () => {
  assert.deepEqual(manifestFromForm({ name: ' iris ', namespace: 'ns', format: 'sklearn', storageUri: 'gs://b/m' }), {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'iris', namespace: 'ns' },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://b/m' } } },
  });
  const meta = { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }] };
  assert.deepEqual(JSON.parse(v2Example(meta)), {
    inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [0, 0, 0] }],
  });
  assert.deepEqual(JSON.parse(v1Example(meta)), { instances: [[0, 0, 0]] });
  assert.deepEqual(JSON.parse(v1Example({ inputs: [] })), { instances: [[0, 0, 0, 0]] });
});
