// The graph's status as a pure function of the services it names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InferenceGraph } from '../../src/api/inference-graph.js';
import { planGraphStatus, predictPath, referencedServices, type ServiceState } from '../../src/graph/graph-status.js';

const graph: InferenceGraph = {
  apiVersion: 'serving.kserve.io/v1alpha1',
  kind: 'InferenceGraph',
  metadata: { name: 'g', namespace: 'ns1', generation: 3 },
  spec: {
    nodes: {
      root: { routerType: 'Sequence', steps: [{ serviceName: 'a' }, { nodeName: 'n' }] },
      n: { routerType: 'Ensemble', steps: [{ serviceName: 'b' }, { serviceName: 'a' }, { serviceUrl: 'http://x/' }] },
    },
  },
};
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

test('referenced services: each serviceName once, sorted', () => {
  assert.deepEqual(referencedServices(graph), ['a', 'b']);
});

test('Ready when every referenced service is Ready, with the URL http://{graph}.{ns}.{domain}', () => {
  const states = new Map<string, ServiceState>([
    ['a', { exists: true, ready: true }],
    ['b', { exists: true, ready: true }],
  ]);
  const st = planGraphStatus(graph, states, 'example.com', T0);
  assert.equal(st.url, 'http://g.ns1.example.com');
  assert.deepEqual(st.conditions, [{ type: 'Ready', status: 'True', lastTransitionTime: T0 }]);
  assert.equal(st.observedGeneration, 3);
});

test('not Ready naming the missing and the unready services; the transition time is kept while unchanged', () => {
  const states = new Map<string, ServiceState>([
    ['a', { exists: true, ready: false, why: 'ModelLoadFailed: boom' }],
    ['b', { exists: false, ready: false }],
  ]);
  const st = planGraphStatus(graph, states, 'example.com', T0);
  assert.equal(st.url, undefined);
  assert.deepEqual(st.conditions, [
    {
      type: 'Ready',
      status: 'False',
      reason: 'ServiceNotFound',
      message: 'InferenceService b not found in namespace ns1; InferenceService a (ModelLoadFailed: boom) not ready',
      lastTransitionTime: T0,
    },
  ]);
  const again = planGraphStatus({ ...graph, status: st }, states, 'example.com', T1);
  assert.equal(again.conditions?.[0]?.lastTransitionTime, T0);
});

test("GetPredictorEndpoint's paths: v1 predict, v2 infer", () => {
  assert.equal(predictPath('v1', 'iris'), '/v1/models/iris:predict');
  assert.equal(predictPath('v2', 'iris'), '/v2/models/iris/infer');
});
