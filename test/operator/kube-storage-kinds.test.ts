// inferd's API server with the storage-only Kubernetes kinds (issue 19, 5b): served over HTTP with list,
// watch, create, update, patch and /status; 409 on a stale resourceVersion; garbage collection by
// ownerReferences (background, foreground, orphan); 403 for a kind when asked; and none of it in the
// default surface.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Resource } from '../../src/api/types.js';
import { parseApiPath } from '../../src/apiserver/routes.js';
import type { InferdError } from '../../src/errors.js';
import { type KubeApi, startKubeApi } from './kube-harness.js';

let api: KubeApi;
before(async () => {
  api = await startKubeApi();
});
after(async () => {
  await api.close();
});

const NS = 'default';
const deployment = (name: string, owner?: Resource): Resource => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name,
    namespace: NS,
    ...(owner
      ? {
          ownerReferences: [
            {
              apiVersion: owner.apiVersion,
              kind: owner.kind,
              name: owner.metadata.name,
              uid: owner.metadata.uid ?? '',
            },
          ],
        }
      : {}),
  },
  spec: {
    replicas: 1,
    selector: { matchLabels: { a: name } },
    template: { metadata: { labels: { a: name } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
  },
});
const service = (name: string, owner?: Resource): Resource => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name,
    namespace: NS,
    ...(owner
      ? {
          ownerReferences: [
            {
              apiVersion: owner.apiVersion,
              kind: owner.kind,
              name: owner.metadata.name,
              uid: owner.metadata.uid ?? '',
            },
          ],
        }
      : {}),
  },
  spec: { ports: [{ port: 80 }] },
});

async function gone(kind: string, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (await api.client.find(kind, NS, name)) {
    if (Date.now() > deadline) throw new Error(`${kind} ${name} still there`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the default control API does not serve the storage-only kinds', () => {
  assert.equal(parseApiPath('/apis/apps/v1/namespaces/default/deployments')?.type, 'not-found');
  assert.equal(parseApiPath('/api/v1/namespaces/default/services')?.type, 'not-found');
});

test('create, get, list, /status and a stale replace answer 409', async () => {
  const d = await api.client.create(deployment('web'));
  assert.equal(d.metadata.generation, 1);
  const st = await api.client.mergePatch<Resource>('Deployment', NS, 'web', { status: { readyReplicas: 1 } }, 'status');
  assert.deepEqual(st.status, { readyReplicas: 1 });
  const listed = await api.client.list('Deployment', NS);
  assert.deepEqual(
    listed.items.map((o) => o.metadata.name),
    ['web'],
  );
  // d's resourceVersion is stale now (the status write moved it).
  await assert.rejects(
    api.client.replace({ ...d, spec: { ...(d.spec as object), replicas: 3 } }),
    (err: InferdError) => {
      assert.equal(err.code, 'CONFLICT');
      return true;
    },
  );
  const fresh = await api.client.get<Resource>('Deployment', NS, 'web');
  const updated = await api.client.replace({ ...fresh, spec: { ...(fresh.spec as object), replicas: 3 } });
  assert.equal(updated.metadata.generation, 2);
  assert.deepEqual(updated.status, { readyReplicas: 1 }, 'a replace keeps status');
  await api.client.delete('Deployment', NS, 'web');
});

test('watch streams the storage-only kinds from a resourceVersion', async () => {
  const { metadata } = await api.client.list('Lease', NS);
  const seen: string[] = [];
  const ac = new AbortController();
  const watching = api.client.watch(
    '/apis/coordination.k8s.io/v1/namespaces/default/leases',
    metadata.resourceVersion,
    (type, obj) => {
      seen.push(`${type} ${obj.metadata.name}`);
      if (seen.length === 2) ac.abort();
    },
    ac.signal,
  );
  await api.client.create({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'l1', namespace: NS },
    spec: {},
  } as Resource);
  await api.client.delete('Lease', NS, 'l1');
  await watching;
  assert.deepEqual(seen, ['ADDED l1', 'DELETED l1']);
});

test('background deletion: an owner gone takes its dependents (and theirs) with it', async () => {
  const owner = await api.client.create(deployment('owner'));
  const svc = await api.client.create(service('child', owner));
  await api.client.create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'grandchild',
      namespace: NS,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'child', uid: svc.metadata.uid ?? '' }],
    },
    addressType: 'IPv4',
    endpoints: [],
  } as Resource);
  await api.client.create(service('unrelated'));
  await api.client.delete('Deployment', NS, 'owner');
  await gone('Service', 'child');
  await gone('EndpointSlice', 'grandchild');
  assert.ok(await api.client.find('Service', NS, 'unrelated'));
  await api.client.delete('Service', NS, 'unrelated');
});

test('foreground deletion: the owner stays (foregroundDeletion) until its dependents are gone', async () => {
  const owner = await api.client.create(deployment('fg'));
  // A dependent with a finalizer holds the owner.
  await api.client.create({
    ...service('held', owner),
    metadata: { ...service('held', owner).metadata, finalizers: ['test/hold'] },
  });
  const answer = await api.client.delete('Deployment', NS, 'fg', 'Foreground');
  assert.ok((answer as Resource).metadata.deletionTimestamp);
  const held = await waitFor(async () => {
    const s = await api.client.find<Resource>('Service', NS, 'held');
    return s?.metadata.deletionTimestamp ? s : undefined;
  });
  const ownerNow = await api.client.get<Resource>('Deployment', NS, 'fg');
  assert.deepEqual(ownerNow.metadata.finalizers, ['foregroundDeletion']);
  await api.client.replace({ ...held, metadata: { ...held.metadata, finalizers: [] } });
  await gone('Service', 'held');
  await gone('Deployment', 'fg');
});

test('orphan deletion keeps the dependents, without the owner reference', async () => {
  const owner = await api.client.create(deployment('orph'));
  await api.client.create(service('kept', owner));
  await api.client.delete('Deployment', NS, 'orph', 'Orphan');
  await gone('Deployment', 'orph');
  const kept = await api.client.get<Resource>('Service', NS, 'kept');
  assert.deepEqual(kept.metadata.ownerReferences, []);
  await api.client.delete('Service', NS, 'kept');
});

test('a kind can be made to answer 403 as RBAC would', async () => {
  api.forbidden.add('HorizontalPodAutoscaler:create');
  try {
    await assert.rejects(
      api.client.create({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'h', namespace: NS },
        spec: {},
      } as Resource),
      (err: InferdError) => {
        assert.equal(err.code, 'FORBIDDEN');
        assert.match(
          err.message,
          /horizontalpodautoscalers\.autoscaling is forbidden: User "system:anonymous" cannot create resource "horizontalpodautoscalers" in API group "autoscaling" in the namespace "default"/,
        );
        return true;
      },
    );
    // Other verbs still work.
    assert.deepEqual((await api.client.list('HorizontalPodAutoscaler', NS)).items, []);
  } finally {
    api.forbidden.clear();
  }
});

async function waitFor<T>(fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
