import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName, type Resource } from '../../src/api/types.js';
import { jsonEqual } from '../../src/store/deep-equal.js';
import { generateName, labelProblem, subdomainProblem } from '../../src/store/names.js';
import { planDelete, planStatusUpdate, planUpdate, prepareCreate } from '../../src/store/object-rules.js';
import { rfc3339 } from '../../src/store/timestamps.js';

const ISVC = kindByName('InferenceService')!;
const SECRET = kindByName('Secret')!;
const stamp = { uid: 'u1', resourceVersion: '5', creationTimestamp: '2026-01-01T00:00:00Z' };
const obj = (spec: unknown, extra: Partial<Resource> = {}): Resource => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'x', namespace: 'default' },
  spec,
  ...extra,
});

test('jsonEqual ignores key order and undefined members but not array order', () => {
  assert.ok(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }));
  assert.ok(jsonEqual({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(!jsonEqual([1, 2], [2, 1]));
  assert.ok(!jsonEqual({ a: null }, { a: 0 }));
  assert.ok(!jsonEqual({ a: [] }, { a: {} }));
});

test('rfc3339 drops milliseconds', () => {
  assert.equal(rfc3339(Date.parse('2026-11-24T05:32:28.999Z')), '2026-11-24T05:32:28Z');
});

test('name rules follow DNS-1123 subdomain (objects) and label (namespaces)', () => {
  assert.equal(subdomainProblem('sklearn-iris.v1'), undefined);
  assert.match(subdomainProblem('Iris') ?? '', /RFC 1123 subdomain/);
  assert.match(subdomainProblem('-x') ?? '', /RFC 1123/);
  assert.match(labelProblem('a.b') ?? '', /RFC 1123 label/);
  assert.match(labelProblem('x'.repeat(64)) ?? '', /63/);
  assert.match(
    generateName('iris-', () => 0),
    /^iris-bbbbb$/,
  );
});

test('prepareCreate orders keys like Kubernetes and sets generation only for kinds with status', () => {
  const created = prepareCreate(obj({ predictor: {} }, { status: { url: 'x' } }), ISVC, stamp);
  assert.deepEqual(created, {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name: 'x',
      namespace: 'default',
      uid: 'u1',
      resourceVersion: '5',
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
    spec: { predictor: {} },
  });
  const secret = prepareCreate(
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'd' } },
    SECRET,
    stamp,
  );
  assert.equal(secret.metadata.generation, undefined);
});

test('prepareCreate rejects non-string labels at their path', () => {
  const bad = obj({}, { metadata: { name: 'x', namespace: 'default', labels: { a: 1 as unknown as string } } });
  assert.throws(() => prepareCreate(bad, ISVC, stamp), {
    code: 'INVALID_MANIFEST',
    details: { path: 'metadata.labels.a' },
  });
});

test('planUpdate: label change is a change without a generation bump; identical input is a no-op', () => {
  const stored = prepareCreate(obj({ predictor: { a: 1 } }), ISVC, stamp);
  const relabel = planUpdate(stored, { ...stored, metadata: { ...stored.metadata, labels: { x: 'y' } } }, ISVC);
  assert.equal(relabel.changed, true);
  assert.equal(relabel.next.metadata.generation, 1);
  const same = planUpdate(stored, structuredClone(stored), ISVC);
  assert.equal(same.changed, false);
  const respec = planUpdate(stored, obj({ predictor: { a: 2 } }), ISVC);
  assert.equal(respec.next.metadata.generation, 2);
  assert.equal(respec.next.metadata.uid, 'u1');
});

test('planStatusUpdate changes only status', () => {
  const stored = prepareCreate(obj({ predictor: {} }), ISVC, stamp);
  const plan = planStatusUpdate(stored, { ...stored, spec: 'ignored', metadata: { name: 'y' }, status: { url: 'u' } });
  assert.equal(plan.changed, true);
  assert.deepEqual(plan.next, { ...stored, status: { url: 'u' } });
  assert.equal(planStatusUpdate(plan.next, plan.next).changed, false);
});

test('planDelete: remove without finalizers, mark once with them (deletionTimestamp, grace 0, generation + 1), then keep', () => {
  const now = '2026-12-06T17:00:00Z';
  const plain = prepareCreate(obj({ a: 1 }), ISVC, stamp);
  assert.deepEqual(planDelete(plain, now), { action: 'remove' });
  const held = prepareCreate(
    obj({ a: 1 }, { metadata: { name: 'x', namespace: 'default', finalizers: ['a.io/f'] } }),
    ISVC,
    stamp,
  );
  const plan = planDelete(held, now);
  assert.equal(plan.action, 'mark');
  const next = plan.action === 'mark' ? plan.next : held;
  assert.equal(next.metadata.deletionTimestamp, now);
  assert.equal(next.metadata.deletionGracePeriodSeconds, 0);
  assert.equal(next.metadata.generation, 2);
  assert.equal(held.metadata.deletionTimestamp, undefined, 'the stored object is not modified');
  // Kubernetes' key order: deletion fields after creationTimestamp, finalizers after them.
  assert.deepEqual(Object.keys(next.metadata), [
    'name',
    'namespace',
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
    'finalizers',
  ]);
  assert.deepEqual(planDelete(next, '2026-12-06T18:00:00Z'), { action: 'keep' });
  // planUpdate keeps the deletion and flags the removal when the last finalizer goes.
  const cleared = planUpdate(next, { ...next, metadata: { ...next.metadata, finalizers: [] } }, ISVC);
  assert.equal(cleared.remove, true);
  assert.equal(cleared.next.metadata.deletionTimestamp, now);
  assert.equal(planUpdate(next, next, ISVC).remove, false);
});
