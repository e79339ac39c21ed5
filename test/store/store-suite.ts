// The Store conformance suite: Kubernetes semantics every backend must keep (CRUD, generation, optimistic
// concurrency, status subresource, no-op updates, watch order and resume, namespaces). The SQLite store runs it
// in sqlite-store.test.ts; a Kubernetes-API backend can run the same cases.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '../../src/api/types.js';
import type { Store, WatchEvent } from '../../src/store/store.js';

type TestContext = Parameters<NonNullable<Parameters<typeof test>[0]>>[0];

export interface StoreSuiteOptions {
  name: string;
  /** A fresh, empty store (apart from the initial namespaces); close it in `t.after`. */
  open: (t: TestContext) => Store;
}

export const isvc = (
  name: string,
  namespace = 'default',
  spec: unknown = { predictor: { sklearn: { storageUri: 'gs://m' } } },
): Resource => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name, namespace },
  spec,
});

const key = (name: string, namespace = 'default') => ({ kind: 'InferenceService', namespace, name });

const RFC3339_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

export function runStoreSuite({ name, open }: StoreSuiteOptions): void {
  test(`${name}: create stamps uid, resourceVersion, generation 1 and creationTimestamp`, (t) => {
    const store = open(t);
    const created = store.create(isvc('iris'));
    assert.match(created.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.match(created.metadata.resourceVersion ?? '', /^\d+$/);
    assert.equal(created.metadata.generation, 1);
    assert.match(created.metadata.creationTimestamp ?? '', RFC3339_SECONDS);
    assert.deepEqual(store.get(key('iris')), created);
    assert.deepEqual(Object.keys(created), ['apiVersion', 'kind', 'metadata', 'spec']);
  });

  test(`${name}: create of an existing name fails with ALREADY_EXISTS and Kubernetes' message`, (t) => {
    const store = open(t);
    store.create(isvc('iris'));
    assert.throws(() => store.create(isvc('iris')), {
      code: 'ALREADY_EXISTS',
      message: 'inferenceservices.serving.kserve.io "iris" already exists',
    });
  });

  test(`${name}: create ignores client-set server metadata and status`, (t) => {
    const store = open(t);
    const obj = isvc('iris');
    obj.metadata = { ...obj.metadata, uid: 'mine', resourceVersion: '999', generation: 7, creationTimestamp: 'x' };
    obj.status = { url: 'http://fake' };
    const created = store.create(obj);
    assert.notEqual(created.metadata.uid, 'mine');
    assert.equal(created.metadata.generation, 1);
    assert.notEqual(created.metadata.resourceVersion, '999');
    assert.equal(created.status, undefined);
  });

  test(`${name}: resourceVersions increase across kinds and namespaces`, (t) => {
    const store = open(t);
    const a = store.create(isvc('a'));
    const b = store.create<Resource>({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'kserve-test' },
    });
    const c = store.create(isvc('c', 'kserve-test'));
    const rvs = [a, b, c].map((o) => Number(o.metadata.resourceVersion));
    assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, `not increasing: ${rvs}`);
    assert.equal(store.list({ kind: 'InferenceService' }).resourceVersion, String(rvs[2]));
  });

  test(`${name}: rejects a namespaced kind without namespace and a cluster kind with one`, (t) => {
    const store = open(t);
    assert.throws(() => store.create<Resource>({ ...isvc('x'), metadata: { name: 'x' } }), {
      code: 'INVALID_MANIFEST',
      details: { path: 'metadata.namespace' },
    });
    const csr = {
      apiVersion: 'serving.kserve.io/v1alpha1',
      kind: 'ClusterServingRuntime',
      metadata: { name: 'rt', namespace: 'default' },
      spec: { supportedModelFormats: [], containers: [] },
    };
    assert.throws(() => store.create(csr), { code: 'INVALID_MANIFEST', details: { path: 'metadata.namespace' } });
    const ok = store.create<Resource>({ ...csr, metadata: { name: 'rt' } });
    assert.equal(ok.metadata.namespace, undefined);
    assert.ok(store.get({ kind: 'ClusterServingRuntime', name: 'rt' }));
  });

  test(`${name}: rejects invalid names and unknown kinds at their paths`, (t) => {
    const store = open(t);
    assert.throws(() => store.create(isvc('Bad_Name')), {
      code: 'INVALID_MANIFEST',
      details: { path: 'metadata.name' },
    });
    assert.throws(() => store.create<Resource>({ ...isvc('x'), metadata: { name: '', namespace: 'default' } }), {
      code: 'INVALID_MANIFEST',
      details: { path: 'metadata.name' },
    });
    assert.throws(() => store.create<Resource>({ ...isvc('x'), kind: 'Pod' }), {
      code: 'INVALID_MANIFEST',
      details: { path: 'kind' },
    });
    assert.throws(() => store.create<Resource>({ ...isvc('x'), apiVersion: 'serving.kserve.io/v1alpha1' }), {
      code: 'INVALID_MANIFEST',
      details: { path: 'apiVersion' },
    });
    assert.throws(() => store.list({ kind: 'Pod' }), { code: 'RESOURCE_NOT_FOUND' });
  });

  test(`${name}: generateName expands to a unique name`, (t) => {
    const store = open(t);
    const obj = isvc('');
    obj.metadata = { namespace: 'default', generateName: 'iris-' } as unknown as Resource['metadata'];
    const a = store.create(obj);
    const b = store.create(obj);
    assert.match(a.metadata.name, /^iris-[a-z0-9]{5}$/);
    assert.notEqual(a.metadata.name, b.metadata.name);
  });

  test(`${name}: update bumps generation only when spec changes`, (t) => {
    const store = open(t);
    const created = store.create(isvc('iris'));
    const labelled = store.update({ ...created, metadata: { ...created.metadata, labels: { team: 'a' } } });
    assert.equal(labelled.metadata.generation, 1);
    assert.notEqual(labelled.metadata.resourceVersion, created.metadata.resourceVersion);
    assert.deepEqual(labelled.metadata.labels, { team: 'a' });
    const respec = store.update({ ...labelled, spec: { predictor: { sklearn: { storageUri: 'gs://other' } } } });
    assert.equal(respec.metadata.generation, 2);
    assert.equal(respec.metadata.uid, created.metadata.uid);
    assert.equal(respec.metadata.creationTimestamp, created.metadata.creationTimestamp);
  });

  test(`${name}: spec comparison ignores key order`, (t) => {
    const store = open(t);
    const created = store.create(isvc('iris', 'default', { predictor: { minReplicas: 0, maxReplicas: 2 } }));
    const same = store.update({ ...created, spec: { predictor: { maxReplicas: 2, minReplicas: 0 } } });
    assert.equal(same.metadata.generation, 1);
    assert.equal(same.metadata.resourceVersion, created.metadata.resourceVersion);
  });

  test(`${name}: update with a stale resourceVersion fails with CONFLICT and Kubernetes' message`, (t) => {
    const store = open(t);
    const v1 = store.create(isvc('x'));
    store.update({ ...v1, metadata: { ...v1.metadata, labels: { a: 'b' } } });
    assert.throws(() => store.update({ ...v1, spec: { predictor: {} } }), {
      code: 'CONFLICT',
      message:
        'Operation cannot be fulfilled on inferenceservices.serving.kserve.io "x": the object has been modified; ' +
        'please apply your changes to the latest version and try again',
    });
    assert.throws(() => store.updateStatus({ ...v1, status: { url: 'u' } }), { code: 'CONFLICT' });
  });

  test(`${name}: update without resourceVersion is unconditional`, (t) => {
    const store = open(t);
    store.create(isvc('x'));
    const updated = store.update(isvc('x', 'default', { predictor: { minReplicas: 1 } }));
    assert.equal(updated.metadata.generation, 2);
  });

  test(`${name}: update and delete of a missing object fail with RESOURCE_NOT_FOUND`, (t) => {
    const store = open(t);
    assert.throws(() => store.update(isvc('nope')), {
      code: 'RESOURCE_NOT_FOUND',
      message: 'inferenceservices.serving.kserve.io "nope" not found',
    });
    assert.throws(() => store.delete(key('nope')), { code: 'RESOURCE_NOT_FOUND' });
    assert.throws(() => store.delete({ kind: 'Secret', namespace: 'default', name: 'nope' }), {
      message: 'secrets "nope" not found',
    });
    assert.equal(store.get(key('nope')), undefined);
  });

  test(`${name}: update keeps status; updateStatus changes only status and never generation`, (t) => {
    const store = open(t);
    const created = store.create(isvc('x'));
    const withStatus = store.updateStatus({ ...created, status: { url: 'http://x', observedGeneration: 1 } });
    assert.deepEqual(withStatus.status, { url: 'http://x', observedGeneration: 1 });
    assert.equal(withStatus.metadata.generation, 1);
    const sneaky = store.updateStatus({ ...withStatus, spec: { predictor: {} }, status: { url: 'http://y' } });
    assert.deepEqual(sneaky.spec, created.spec);
    assert.deepEqual(sneaky.status, { url: 'http://y' });
    const replaced = store.update({ ...sneaky, spec: { predictor: { minReplicas: 3 } }, status: { url: 'ignored' } });
    assert.deepEqual(replaced.status, { url: 'http://y' });
    assert.equal(replaced.metadata.generation, 2);
    assert.deepEqual(Object.keys(replaced), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  });

  test(`${name}: no-op updates keep the resourceVersion and emit no event`, (t) => {
    const store = open(t);
    const created = store.create(isvc('x'));
    const withStatus = store.updateStatus({ ...created, status: { url: 'u' } });
    const events: WatchEvent[] = [];
    const w = store.watch({ kind: 'InferenceService', resourceVersion: withStatus.metadata.resourceVersion }, (e) =>
      events.push(e),
    );
    t.after(() => w.close());
    const same = store.update(structuredClone(withStatus));
    const sameStatus = store.updateStatus(structuredClone(withStatus));
    assert.equal(same.metadata.resourceVersion, withStatus.metadata.resourceVersion);
    assert.equal(sameStatus.metadata.resourceVersion, withStatus.metadata.resourceVersion);
    assert.deepEqual(events, []);
  });

  test(`${name}: delete returns the last state and removes the object`, (t) => {
    const store = open(t);
    const created = store.create(isvc('x'));
    const withStatus = store.updateStatus({ ...created, status: { url: 'u' } });
    const deleted = store.delete(key('x'));
    assert.deepEqual(deleted.status, withStatus.status);
    assert.equal(deleted.metadata.uid, created.metadata.uid);
    assert.equal(store.get(key('x')), undefined);
    const again = store.create(isvc('x'));
    assert.notEqual(again.metadata.uid, created.metadata.uid);
  });

  const withFinalizers = (n: string, finalizers: string[]): Resource => {
    const obj = isvc(n);
    obj.metadata.finalizers = finalizers;
    return obj;
  };

  test(`${name}: delete of an object with finalizers marks it deleting, keeps it and emits MODIFIED (L7)`, (t) => {
    const store = open(t);
    const created = store.create(withFinalizers('x', ['example.com/cleanup']));
    const events: WatchEvent[] = [];
    const w = store.watch({ kind: 'InferenceService', resourceVersion: created.metadata.resourceVersion }, (e) =>
      events.push(e),
    );
    t.after(() => w.close());
    const marked = store.delete(key('x'));
    assert.match(marked.metadata.deletionTimestamp ?? '', RFC3339_SECONDS);
    assert.equal(marked.metadata.deletionGracePeriodSeconds, 0);
    assert.equal(marked.metadata.generation, 2, 'markAsDeleting bumps generation');
    assert.deepEqual(marked.metadata.finalizers, ['example.com/cleanup']);
    assert.ok(Number(marked.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    assert.deepEqual(store.get(key('x')), marked);
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.object.metadata.deletionTimestamp !== undefined}`),
      ['MODIFIED true'],
    );
    // A second delete changes nothing: same object, same resourceVersion, no event.
    const again = store.delete(key('x'));
    assert.deepEqual(again, marked);
    assert.equal(events.length, 1);
  });

  test(`${name}: no new finalizers on an object being deleted; updates keep its deletionTimestamp (L7)`, (t) => {
    const store = open(t);
    store.create(withFinalizers('x', ['a.io/one', 'a.io/two']));
    const marked = store.delete(key('x'));
    const adding = structuredClone(marked);
    adding.metadata.finalizers = ['a.io/one', 'a.io/two', 'a.io/three'];
    assert.throws(() => store.update(adding), {
      code: 'INVALID_MANIFEST',
      message:
        'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, ' +
        'found new finalizers []string{"a.io/three"}',
    });
    // A client that drops deletionTimestamp (or sends another one) cannot undo or move the deletion.
    const relabel = structuredClone(marked);
    relabel.metadata.labels = { l: 'v' };
    delete relabel.metadata.deletionTimestamp;
    delete relabel.metadata.deletionGracePeriodSeconds;
    const relabelled = store.update(relabel);
    assert.equal(relabelled.metadata.deletionTimestamp, marked.metadata.deletionTimestamp);
    assert.equal(relabelled.metadata.deletionGracePeriodSeconds, 0);
    // Removing one of two finalizers keeps the object.
    const one = structuredClone(relabelled);
    one.metadata.finalizers = ['a.io/two'];
    assert.deepEqual(store.update(one).metadata.finalizers, ['a.io/two']);
    assert.ok(store.get(key('x')));
  });

  test(`${name}: an update removing the last finalizer of an object being deleted removes it (L7)`, (t) => {
    const store = open(t);
    store.create(withFinalizers('x', ['a.io/one']));
    const marked = store.delete(key('x'));
    const events: WatchEvent[] = [];
    const w = store.watch({ kind: 'InferenceService', resourceVersion: marked.metadata.resourceVersion }, (e) =>
      events.push(e),
    );
    t.after(() => w.close());
    const last = structuredClone(marked);
    last.metadata.finalizers = [];
    const answer = store.update(last);
    assert.equal(answer.metadata.finalizers, undefined, 'an empty list is dropped, as Kubernetes omits it');
    assert.equal(store.get(key('x')), undefined);
    assert.deepEqual(
      events.map((e) => e.type),
      ['MODIFIED', 'DELETED'],
    );
    assert.equal(events[1]?.object.metadata.uid, marked.metadata.uid);
    // The name is free again.
    assert.notEqual(store.create(isvc('x')).metadata.uid, marked.metadata.uid);
  });

  test(`${name}: finalizers are checked; objects without them, or not being deleted, behave as before (L7)`, (t) => {
    const store = open(t);
    assert.throws(() => store.create(withFinalizers('bad', ['a b'])), {
      code: 'INVALID_MANIFEST',
      message: /^metadata\.finalizers\[0\]: Invalid value: "a b"/,
    });
    const obj = withFinalizers('x', []);
    obj.metadata.deletionGracePeriodSeconds = 5;
    const created = store.create(obj);
    assert.equal(created.metadata.finalizers, undefined);
    assert.equal(created.metadata.deletionGracePeriodSeconds, undefined);
    // Adding finalizers to an object that is not being deleted is an ordinary update.
    const add = structuredClone(created);
    add.metadata.finalizers = ['a.io/one'];
    assert.deepEqual(store.update(add).metadata.finalizers, ['a.io/one']);
    const remove = structuredClone(store.get(key('x')) as Resource);
    delete remove.metadata.finalizers;
    store.update(remove);
    assert.ok(store.get(key('x')), 'removing finalizers does not delete an object that is not being deleted');
    store.delete(key('x'));
    assert.equal(store.get(key('x')), undefined);
  });

  test(`${name}: a Namespace's finalizers hold it; removing the last one deletes it and its objects (L7)`, (t) => {
    const store = open(t);
    const nsKey = { kind: 'Namespace', name: 'team-f' };
    store.create<Resource>({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-f', finalizers: ['a.io/x'] },
    });
    store.create(withFinalizers('held', ['a.io/y']));
    store.create({
      ...isvc('inner', 'team-f'),
      metadata: { name: 'inner', namespace: 'team-f', finalizers: ['a.io/z'] },
    });
    const marked = store.delete(nsKey);
    assert.ok(marked.metadata.deletionTimestamp);
    assert.ok(store.get(key('inner', 'team-f')), 'the cascade waits for the Namespace itself');
    const last = structuredClone(marked);
    delete last.metadata.finalizers;
    store.update(last);
    assert.equal(store.get(nsKey), undefined);
    assert.equal(store.get(key('inner', 'team-f')), undefined, 'the cascade does not wait for object finalizers');
    assert.ok(store.get(key('held')), 'other namespaces are untouched');
  });

  test(`${name}: list filters by namespace and labels, sorted by namespace then name`, (t) => {
    const store = open(t);
    store.create<Resource>({ ...isvc('b'), metadata: { name: 'b', namespace: 'default', labels: { app: 'x' } } });
    store.create<Resource>({ ...isvc('a'), metadata: { name: 'a', namespace: 'default', labels: { app: 'y' } } });
    store.create<Resource>({ ...isvc('c'), metadata: { name: 'c', namespace: 'kserve-test', labels: { app: 'x' } } });
    const names = (opts: object) =>
      store.list({ kind: 'InferenceService', ...opts }).items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    assert.deepEqual(names({}), ['default/a', 'default/b', 'kserve-test/c']);
    assert.deepEqual(names({ namespace: 'default' }), ['default/a', 'default/b']);
    assert.deepEqual(names({ labelSelector: { app: 'x' } }), ['default/b', 'kserve-test/c']);
    assert.deepEqual(names({ namespace: 'nowhere' }), []);
  });

  test(`${name}: default and kserve-test namespaces exist; a new namespace is created on first use`, (t) => {
    const store = open(t);
    const nsNames = () => store.list({ kind: 'Namespace' }).items.map((n) => n.metadata.name);
    assert.deepEqual(nsNames(), ['default', 'kserve-test']);
    const ns = store.get({ kind: 'Namespace', name: 'default' });
    assert.deepEqual(ns?.status, { phase: 'Active' });
    store.create(isvc('x', 'team-a'));
    assert.deepEqual(nsNames(), ['default', 'kserve-test', 'team-a']);
    assert.equal(
      store.get({ kind: 'Namespace', name: 'team-a' })?.metadata.labels?.['kubernetes.io/metadata.name'],
      'team-a',
    );
  });

  test(`${name}: deleting a namespace deletes its objects first; default cannot be deleted`, (t) => {
    const store = open(t);
    store.create(isvc('x', 'team-a'));
    store.create<Resource>({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'team-a' } });
    store.create(isvc('y', 'default'));
    const events: WatchEvent[] = [];
    const w1 = store.watch(
      { kind: 'InferenceService', resourceVersion: store.list({ kind: 'Namespace' }).resourceVersion },
      (e) => events.push(e),
    );
    t.after(() => w1.close());
    store.delete({ kind: 'Namespace', name: 'team-a' });
    assert.equal(store.get(key('x', 'team-a')), undefined);
    assert.equal(store.get({ kind: 'Secret', namespace: 'team-a', name: 's' }), undefined);
    assert.ok(store.get(key('y')));
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['DELETED x'],
    );
    assert.throws(() => store.delete({ kind: 'Namespace', name: 'default' }), { code: 'FORBIDDEN' });
  });

  test(`${name}: Secret stringData is stored as base64 data`, (t) => {
    const store = open(t);
    const s = store.create<Resource>({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's3', namespace: 'default' },
      stringData: { AWS_ACCESS_KEY_ID: 'minio' },
      data: { other: 'eA==' },
    });
    assert.deepEqual(s['data'], { other: 'eA==', AWS_ACCESS_KEY_ID: 'bWluaW8=' });
    assert.equal(s['stringData'], undefined);
    assert.equal(s['type'], 'Opaque');
    assert.equal(s.metadata.generation, undefined);
  });

  test(`${name}: returned objects are copies`, (t) => {
    const store = open(t);
    const created = store.create(isvc('x'));
    (created.spec as { predictor: unknown }).predictor = 'mutated';
    const got = store.get(key('x'))!;
    assert.notEqual((got.spec as { predictor: unknown }).predictor, 'mutated');
  });

  test(`${name}: watch without resourceVersion sends current objects as ADDED, then changes in order`, (t) => {
    const store = open(t);
    store.create(isvc('a'));
    store.create(isvc('b', 'kserve-test'));
    const seen: string[] = [];
    const w = store.watch({ kind: 'InferenceService' }, (e) => seen.push(`${e.type} ${e.object.metadata.name}`));
    t.after(() => w.close());
    const c = store.create(isvc('c'));
    store.updateStatus({ ...c, status: { url: 'u' } });
    store.create<Resource>({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ignored', namespace: 'default' } });
    store.delete(key('a'));
    assert.deepEqual(seen, ['ADDED a', 'ADDED b', 'ADDED c', 'MODIFIED c', 'DELETED a']);
    w.close();
    store.create(isvc('d'));
    assert.equal(seen.length, 5);
  });

  test(`${name}: watch filters by namespace and labels`, (t) => {
    const store = open(t);
    const seen: string[] = [];
    const w = store.watch({ kind: 'InferenceService', namespace: 'kserve-test', labelSelector: { app: 'x' } }, (e) =>
      seen.push(e.object.metadata.name),
    );
    t.after(() => w.close());
    store.create<Resource>({ ...isvc('a'), metadata: { name: 'a', namespace: 'kserve-test', labels: { app: 'x' } } });
    store.create<Resource>({ ...isvc('b'), metadata: { name: 'b', namespace: 'kserve-test' } });
    store.create<Resource>({ ...isvc('c'), metadata: { name: 'c', namespace: 'default', labels: { app: 'x' } } });
    assert.deepEqual(seen, ['a']);
  });

  test(`${name}: watch from a resourceVersion resumes with exactly the later changes`, (t) => {
    const store = open(t);
    const a = store.create(isvc('a'));
    const { resourceVersion } = store.list({ kind: 'InferenceService' });
    store.updateStatus({ ...a, status: { url: '1' } });
    const b = store.create(isvc('b'));
    const seen: WatchEvent[] = [];
    const w = store.watch({ kind: 'InferenceService', resourceVersion }, (e) => seen.push(e));
    t.after(() => w.close());
    store.delete(key('b'));
    assert.deepEqual(
      seen.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['MODIFIED a', 'ADDED b', 'DELETED b'],
    );
    assert.equal(seen[1]!.object.metadata.resourceVersion, b.metadata.resourceVersion);
    const rvs = seen.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual(
      [...rvs].sort((x, y) => x - y),
      rvs,
    );
  });

  test(`${name}: a listener that writes sees its write after the current event, never before`, (t) => {
    const store = open(t);
    const order: string[] = [];
    const w1 = store.watch(
      { kind: 'InferenceService', resourceVersion: store.list({ kind: 'Namespace' }).resourceVersion },
      (e) => {
        order.push(`w1 ${e.type} ${e.object.metadata.name}`);
        if (e.type === 'ADDED' && e.object.metadata.name === 'a') store.create(isvc('from-listener'));
      },
    );
    const w2 = store.watch(
      { kind: 'InferenceService', resourceVersion: store.list({ kind: 'Namespace' }).resourceVersion },
      (e) => order.push(`w2 ${e.type} ${e.object.metadata.name}`),
    );
    t.after(() => {
      w1.close();
      w2.close();
    });
    store.create(isvc('a'));
    assert.deepEqual(order, ['w1 ADDED a', 'w2 ADDED a', 'w1 ADDED from-listener', 'w2 ADDED from-listener']);
  });

  test(`${name}: a throwing listener does not stop other listeners`, (t) => {
    const store = open(t);
    const seen: string[] = [];
    const w1 = store.watch({ kind: 'InferenceService' }, () => {
      throw new Error('boom');
    });
    const w2 = store.watch({ kind: 'InferenceService' }, (e) => seen.push(e.object.metadata.name));
    t.after(() => {
      w1.close();
      w2.close();
    });
    store.create(isvc('a'));
    assert.deepEqual(seen, ['a']);
  });

  test(`${name}: each listener gets its own copy of an event's object`, (t) => {
    const store = open(t);
    const got: Resource[] = [];
    const w1 = store.watch({ kind: 'InferenceService' }, (e) => {
      e.object.metadata.name = 'mutated';
    });
    const w2 = store.watch({ kind: 'InferenceService' }, (e) => got.push(e.object));
    t.after(() => {
      w1.close();
      w2.close();
    });
    store.create(isvc('a'));
    assert.equal(got[0]?.metadata.name, 'a');
  });
}
