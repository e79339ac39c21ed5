import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, eventually, openWatch, startApi } from './harness.js';

const ISVCS = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const SECRETS = '/api/v1/namespaces/default/secrets';

const isvc = (name: string) => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name },
  spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://bucket/iris' } } },
});

test('watch streams current objects as ADDED, then changes, as JSON lines', async (t) => {
  const h = await startApi(t);
  await call(h, 'POST', ISVCS, isvc('a'));
  const w = openWatch(t, h, `${ISVCS}?watch=true`);
  assert.equal(await w.status, 200);
  await w.waitFor(1);
  const b = await call(h, 'POST', ISVCS, isvc('b'));
  await call(h, 'PATCH', `${ISVCS}/b/status`, { status: { url: 'u' } }, 'application/merge-patch+json');
  await call(h, 'DELETE', `${ISVCS}/a`);
  await call(h, 'POST', SECRETS, { metadata: { name: 'not-watched' } });
  const events = await w.waitFor(4);
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.object.metadata.name}`),
    ['ADDED a', 'ADDED b', 'MODIFIED b', 'DELETED a'],
  );
  assert.equal(events[1].object.metadata.uid, b.json.metadata.uid);
});

test('watch=1 from a list resourceVersion sends only later changes; a named watch sees one object', async (t) => {
  const h = await startApi(t);
  await call(h, 'POST', ISVCS, isvc('a'));
  const list = await call(h, 'GET', ISVCS);
  const rv = list.json.metadata.resourceVersion;
  await call(h, 'POST', ISVCS, isvc('b'));
  const w = openWatch(t, h, `${ISVCS}?watch=1&resourceVersion=${rv}`);
  const named = openWatch(t, h, `${ISVCS}/a?watch=true&resourceVersion=${rv}`);
  await w.waitFor(1);
  await call(h, 'PATCH', `${ISVCS}/a`, { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json');
  assert.deepEqual(
    (await w.waitFor(2)).map((e) => `${e.type} ${e.object.metadata.name}`),
    ['ADDED b', 'MODIFIED a'],
  );
  assert.deepEqual(
    (await named.waitFor(1)).map((e) => `${e.type} ${e.object.metadata.name}`),
    ['MODIFIED a'],
  );
});

test('watch from an expired resourceVersion gets an ERROR event with a 410 Expired Status', async (t) => {
  const h = await startApi(t, { watchLogSize: 2 });
  for (const n of ['a', 'b', 'c', 'd']) await call(h, 'POST', ISVCS, isvc(n));
  const w = openWatch(t, h, `${ISVCS}?watch=true&resourceVersion=1`);
  assert.equal(await w.status, 200);
  await w.ended();
  assert.equal(w.events.length, 1);
  assert.equal(w.events[0].type, 'ERROR');
  assert.equal(w.events[0].object.code, 410);
  assert.equal(w.events[0].object.reason, 'Expired');
  const bad = await call(h, 'GET', `${ISVCS}?watch=true&resourceVersion=abc`);
  assert.equal(bad.status, 400);
});

test('a watch ends when the client disconnects, when timeoutSeconds passes, and when the API closes', async (t) => {
  const h = await startApi(t);
  const w = openWatch(t, h, `${ISVCS}?watch=true`);
  await w.status;
  await eventually(() => h.openWatches() === 1);
  w.close();
  await eventually(() => h.openWatches() === 0);

  const timed = openWatch(t, h, `${ISVCS}?watch=true&timeoutSeconds=1`);
  await timed.ended(5_000);
  await eventually(() => h.openWatches() === 0);

  const open = openWatch(t, h, `${ISVCS}?watch=true`);
  await open.status;
  await eventually(() => h.openWatches() === 1);
  h.closeApi();
  await open.ended();
  assert.equal(h.openWatches(), 0);
});
