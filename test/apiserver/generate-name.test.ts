// metadata.generateName on create, for every kind, with inferd's real admission: KServe's SDK creates its
// credentials Secret with generate_name="kserve-secret-" and reads the name back from the created object.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admit } from '../../src/api/admission.js';
import { ctx, SERVED_SOON } from '../api/helpers.js';
import { call, startApi } from './harness.js';

const ISVCS = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const SECRETS = '/api/v1/namespaces/default/secrets';
const SAS = '/api/v1/namespaces/default/serviceaccounts';
const RUNTIMES = '/apis/serving.kserve.io/v1alpha1/namespaces/default/servingruntimes';

const withAdmission = (t: Parameters<typeof startApi>[0]) =>
  startApi(t, { admit: (obj, op, old) => admit(obj, op, old, ctx(SERVED_SOON)) });

const predictor = { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://bucket/iris' } };

test('generateName gives every kind a name: the prefix and 5 random [a-z0-9], returned and stored', async (t) => {
  const h = await withAdmission(t);
  const bodies: Array<[string, Record<string, unknown>]> = [
    [SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { generateName: 'kserve-secret-' }, stringData: {} }],
    [SAS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { generateName: 'sa-' } }],
    [
      ISVCS,
      {
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        metadata: { generateName: 'iris-' },
        spec: { predictor },
      },
    ],
    [
      RUNTIMES,
      {
        apiVersion: 'serving.kserve.io/v1alpha1',
        kind: 'ServingRuntime',
        metadata: { generateName: 'rt-' },
        spec: { supportedModelFormats: [{ name: 'sklearn' }], containers: [{ name: 'kserve-container', image: 'x' }] },
      },
    ],
    ['/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { generateName: 'team-' } }],
  ];
  for (const [path, body] of bodies) {
    const prefix = (body.metadata as { generateName: string }).generateName;
    const created = await call(h, 'POST', path, body);
    assert.equal(created.status, 201, `${path}: ${created.text}`);
    const name = created.json.metadata.name as string;
    assert.match(name, new RegExp(`^${prefix}[a-z0-9]{5}$`), path);
    assert.equal(created.json.metadata.generateName, prefix);
    const got = await call(h, 'GET', `${path}/${name}`);
    assert.equal(got.status, 200, `${path}/${name}`);
  }
});

test('a generated name that collides is retried; a given name wins over generateName', async (t) => {
  const h = await withAdmission(t);
  const secret = (meta: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: meta });
  const random = Math.random;
  t.after(() => {
    Math.random = random;
  });
  // the same "random" sequence twice: the second create first draws the name the first one took
  const draws = () => {
    let i = 0;
    return () => (i++ < 5 ? 0 : 0.5);
  };
  Math.random = draws();
  const first = await call(h, 'POST', SECRETS, secret({ generateName: 's-' }));
  Math.random = draws();
  const second = await call(h, 'POST', SECRETS, secret({ generateName: 's-' }));
  Math.random = random;
  assert.equal(first.status, 201, first.text);
  assert.equal(second.status, 201, second.text);
  assert.notEqual(first.json.metadata.name, second.json.metadata.name);

  const named = await call(h, 'POST', SECRETS, secret({ name: 'fixed', generateName: 's-' }));
  assert.equal(named.status, 201, named.text);
  assert.equal(named.json.metadata.name, 'fixed');
});

test('BAD CALL - neither name nor generateName is 422 naming metadata.name', async (t) => {
  const h = await withAdmission(t);
  const res = await call(h, 'POST', SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: {} });
  assert.equal(res.status, 422, res.text);
  assert.equal(res.json.kind, 'Status');
  assert.match(res.text, /metadata\.name/);
});
