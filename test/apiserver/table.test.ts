import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KINDS } from '../../src/api/types.js';
import { tableVersion, toTable } from '../../src/apiserver/table.js';
import { call, openWatch, startApi } from './harness.js';

const KUBECTL_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const kind = (k: string) => KINDS.find((x) => x.kind === k)!;
const NOW = Date.parse('2026-01-01T00:10:00Z');

const isvc = {
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'sklearn-iris', namespace: 'kserve-test', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://b/m' } } },
  status: {
    url: 'http://sklearn-iris.kserve-test.example.com',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:05Z' }],
    components: {
      predictor: {
        traffic: [
          { revisionName: 'sklearn-iris-predictor-00002', percent: 10, latestRevision: true, tag: 'latest' },
          { revisionName: 'sklearn-iris-predictor-00001', percent: 90, latestRevision: false, tag: 'prev' },
        ],
      },
    },
  },
};

test('tableVersion: kubectl get asks for v1 first; plain JSON first means objects', () => {
  assert.equal(tableVersion(KUBECTL_ACCEPT), 'v1');
  assert.equal(tableVersion('application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json'), 'v1beta1');
  assert.equal(tableVersion('application/json'), undefined);
  assert.equal(tableVersion('application/json, application/json;as=Table;v=v1;g=meta.k8s.io'), undefined);
  assert.equal(tableVersion(undefined), undefined);
  assert.equal(tableVersion('application/json;as=Table;v=v2;g=meta.k8s.io'), undefined);
});

test("InferenceService rows carry KServe's printer columns, all shown by default", () => {
  const table = toTable(kind('InferenceService'), [isvc as never], {
    version: 'v1',
    includeObject: 'Metadata',
    nowMs: NOW,
  });
  assert.deepEqual(
    table.columnDefinitions.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['URL', 'string', 0],
      ['Ready', 'string', 0],
      ['Prev', 'integer', 0],
      ['Latest', 'integer', 0],
      ['PrevRolledoutRevision', 'string', 0],
      ['LatestReadyRevision', 'string', 0],
      ['Age', 'date', 0],
    ],
  );
  assert.deepEqual(table.rows[0]!.cells, [
    'sklearn-iris',
    'http://sklearn-iris.kserve-test.example.com',
    'True',
    90,
    10,
    'sklearn-iris-predictor-00001',
    'sklearn-iris-predictor-00002',
    '10m',
  ]);
  // Metadata (the default): enough for kubectl's NAMESPACE column with -A.
  assert.deepEqual(table.rows[0]!.object, {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: isvc.metadata,
  });
});

test('missing values are null cells; ServingRuntime columns print the first match; core kinds use kubectl columns', () => {
  const fresh = { ...isvc, status: undefined };
  const row = toTable(kind('InferenceService'), [fresh as never], { version: 'v1', includeObject: 'None', nowMs: NOW })
    .rows[0]!;
  assert.deepEqual(row.cells, ['sklearn-iris', null, null, null, null, null, null, '10m']);
  assert.equal('object' in row, false);

  const rt = {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ClusterServingRuntime',
    metadata: { name: 'kserve-sklearnserver', creationTimestamp: '2026-01-01T00:09:00Z' },
    spec: {
      supportedModelFormats: [{ name: 'sklearn' }, { name: 'xgboost' }],
      containers: [{ name: 'kserve-container' }],
    },
  };
  const rtTable = toTable(kind('ClusterServingRuntime'), [rt as never], {
    version: 'v1',
    includeObject: 'Object',
    nowMs: NOW,
  });
  assert.deepEqual(
    rtTable.columnDefinitions.map((c) => c.name),
    ['Name', 'Disabled', 'ModelType', 'Containers', 'Age'],
  );
  assert.deepEqual(rtTable.rows[0]!.cells, ['kserve-sklearnserver', null, 'sklearn', 'kserve-container', '60s']);
  assert.deepEqual(rtTable.rows[0]!.object, rt);

  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3' }, data: { a: 'Yg==', b: 'Yw==' } };
  const sTable = toTable(kind('Secret'), [secret as never], { version: 'v1beta1', includeObject: 'None', nowMs: NOW });
  assert.equal(sTable.apiVersion, 'meta.k8s.io/v1beta1');
  assert.deepEqual(
    sTable.columnDefinitions.map((c) => c.name),
    ['Name', 'Type', 'Data', 'Age'],
  );
  assert.deepEqual(sTable.rows[0]!.cells, ['s3', 'Opaque', 2, '<unknown>']);
  const ns = toTable(kind('Namespace'), [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-x' } }], {
    version: 'v1',
    includeObject: 'None',
    nowMs: NOW,
  });
  assert.deepEqual(ns.rows[0]!.cells, ['team-x', 'Active', '<unknown>']);
});

test('GET list, GET one and watch answer Tables when kubectl asks for them', async (t) => {
  const h = await startApi(t);
  const path = '/apis/serving.kserve.io/v1beta1/namespaces/kserve-test/inferenceservices';
  const created = await call(h, 'POST', path, { ...isvc, status: undefined });
  assert.equal(created.status, 201, created.text);
  const get = (p: string) =>
    fetch(`${h.base}${p}`, { headers: { accept: KUBECTL_ACCEPT }, signal: AbortSignal.timeout(10_000) }).then(
      // biome-ignore lint/suspicious/noExplicitAny: Table bodies are inspected freely
      (r) => r.json() as Promise<any>,
    );
  const list = await get(path);
  assert.equal(list.kind, 'Table');
  assert.equal(list.apiVersion, 'meta.k8s.io/v1');
  assert.ok(list.metadata.resourceVersion);
  assert.equal(list.rows.length, 1);
  assert.equal(list.rows[0].cells[0], 'sklearn-iris');
  const one = await get(`${path}/sklearn-iris?includeObject=Object`);
  assert.equal(one.rows[0].object.kind, 'InferenceService');
  // Without the Table Accept the object itself comes back, as before.
  assert.equal((await call(h, 'GET', `${path}/sklearn-iris`)).json.kind, 'InferenceService');

  const watch = openWatch(t, h, `${path}?watch=true&resourceVersion=0`, { accept: KUBECTL_ACCEPT });
  const [ev] = await watch.waitFor(1);
  assert.equal(ev.type, 'ADDED');
  assert.equal(ev.object.kind, 'Table');
  assert.equal(ev.object.rows[0].cells[0], 'sklearn-iris');
  watch.close();
});
