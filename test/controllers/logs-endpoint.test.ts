import assert from 'node:assert/strict';
import test from 'node:test';
import { logFilterOf } from '../../src/controllers/logs-endpoint.js';
import { LogBuffer } from '../../src/controllers/replicas/log-buffer.js';
import { componentOfReplicaKey } from '../../src/controllers/replicas/replica-manager.js';

const q = (s: string) => new URLSearchParams(s);

test('log query: sinceSeconds and sinceTime as Kubernetes reads them; container is a component', () => {
  assert.deepEqual(logFilterOf(q('sinceSeconds=600'), 1_000_000), { sinceMs: 400_000 });
  assert.deepEqual(logFilterOf(q('sinceTime=2026-01-01T00:00:00Z&container=transformer'), 0), {
    component: 'transformer',
    sinceMs: Date.parse('2026-01-01T00:00:00Z'),
  });
  assert.match(String(logFilterOf(q('sinceSeconds=0'), 0)), /greater than 0/);
  assert.match(String(logFilterOf(q('sinceSeconds=1&sinceTime=2026-01-01T00:00:00Z'), 0)), /at most one/);
  assert.match(String(logFilterOf(q('sinceTime=yesterday'), 0)), /RFC 3339/);
  assert.match(String(logFilterOf(q('container=sidecar'), 0)), /predictor, transformer or explainer/);
});

test('log buffer: --since keeps lines that arrived in the window; --component keeps that component (predictor also the service lines)', () => {
  let now = 1_000;
  const buf = new LogBuffer(undefined, 100, () => now);
  buf.append('storage initializer: fetching');
  now = 2_000;
  buf.sink('predictor').append('predictor old');
  now = 5_000;
  buf.sink('transformer').append('transformer new');
  buf.sink('predictor').append('predictor new');
  assert.deepEqual(buf.tail(undefined, { sinceMs: 4_000 }), ['transformer new', 'predictor new']);
  assert.deepEqual(buf.tail(undefined, { component: 'transformer' }), ['transformer new']);
  assert.deepEqual(buf.tail(undefined, { component: 'predictor' }), [
    'storage initializer: fetching',
    'predictor old',
    'predictor new',
  ]);
  assert.deepEqual(buf.tail(1, { component: 'predictor', sinceMs: 1_500 }), ['predictor new']);
  assert.equal(buf.tail().length, 4);
  const followed: string[] = [];
  const stop = buf.follow((l) => followed.push(l), { component: 'transformer' });
  buf.sink('predictor').append('p');
  buf.sink('transformer').append('t');
  stop();
  assert.deepEqual(followed, ['t']);
});

test('a replica key names its component', () => {
  assert.equal(componentOfReplicaKey('default/svc/transformer-ab12cd'), 'transformer');
  assert.equal(componentOfReplicaKey('default/svc/explainer-ab12cd'), 'explainer');
  assert.equal(componentOfReplicaKey('default/svc/svc-predictor-00001#2'), 'predictor');
});
