import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listEvents, MAX_EVENTS_PER_OBJECT, recordEvent } from '../../src/store/events.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { isvc } from './store-suite.js';

type TestContext = Parameters<NonNullable<Parameters<typeof test>[0]>>[0];

function open(t: TestContext): SqliteStore {
  const store = SqliteStore.memory();
  t.after(() => store.close());
  return store;
}

test('recordEvent creates a core/v1 Event about the object', (t) => {
  const store = open(t);
  const obj = store.create(isvc('iris'));
  const ev = recordEvent(store, {
    involved: obj,
    type: 'Normal',
    reason: 'InferenceServiceReady',
    message: 'ready',
    now: Date.parse('2026-11-24T05:32:28.5Z'),
  });
  assert.ok(ev);
  assert.match(ev.metadata.name, /^iris\.[0-9a-f]+$/);
  assert.equal(ev.metadata.namespace, 'default');
  assert.deepEqual(ev.involvedObject, {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    name: 'iris',
    namespace: 'default',
    uid: obj.metadata.uid,
  });
  assert.equal(ev.count, 1);
  assert.equal(ev.firstTimestamp, '2026-11-24T05:32:28Z');
  assert.equal(ev.lastTimestamp, '2026-11-24T05:32:28Z');
  assert.equal(ev.type, 'Normal');
  assert.deepEqual(listEvents(store, obj), [ev]);
});

test('repeating the same reason and message increments count instead of adding an Event', (t) => {
  const store = open(t);
  const obj = store.create(isvc('iris'));
  const base = { involved: obj, type: 'Warning' as const, reason: 'BackOff', message: 'restarting' };
  recordEvent(store, { ...base, now: 1_000 });
  const second = recordEvent(store, { ...base, now: 61_000 });
  recordEvent(store, { ...base, message: 'other', now: 62_000 });
  const events = listEvents(store, obj);
  assert.equal(events.length, 2);
  assert.equal(second?.count, 2);
  assert.equal(second?.firstTimestamp, '1970-01-01T00:00:01Z');
  assert.equal(second?.lastTimestamp, '1970-01-01T00:01:01Z');
});

test('events of other objects, and of an earlier object with the same name, are not listed', (t) => {
  const store = open(t);
  const a = store.create(isvc('a'));
  const b = store.create(isvc('b'));
  recordEvent(store, { involved: a, type: 'Normal', reason: 'R', message: 'a1' });
  recordEvent(store, { involved: b, type: 'Normal', reason: 'R', message: 'b1' });
  assert.deepEqual(
    listEvents(store, a).map((e) => e.message),
    ['a1'],
  );
  store.delete({ kind: 'InferenceService', namespace: 'default', name: 'a' });
  const again = store.create(isvc('a'));
  assert.deepEqual(listEvents(store, again), []);
});

test('events about cluster-scoped objects go to the default namespace', (t) => {
  const store = open(t);
  const ns = store.get({ kind: 'Namespace', name: 'kserve-test' })!;
  const ev = recordEvent(store, { involved: ns, type: 'Normal', reason: 'R', message: 'm' });
  assert.equal(ev?.metadata.namespace, 'default');
  assert.equal(listEvents(store, ns).length, 1);
});

test(`keeps at most ${MAX_EVENTS_PER_OBJECT} events per object, dropping the oldest`, (t) => {
  const store = open(t);
  const obj = store.create(isvc('iris'));
  for (let i = 0; i < MAX_EVENTS_PER_OBJECT + 5; i++) {
    recordEvent(store, { involved: obj, type: 'Normal', reason: 'R', message: `m${i}`, now: 1_000 * i });
  }
  const events = listEvents(store, obj);
  assert.equal(events.length, MAX_EVENTS_PER_OBJECT);
  assert.equal(events[0]!.message, 'm5');
  assert.equal(events.at(-1)!.message, `m${MAX_EVENTS_PER_OBJECT + 4}`);
});

test('an event about an object in a deleted namespace is dropped, not resurrecting the namespace', (t) => {
  const store = open(t);
  const obj = store.create(isvc('x', 'team-a'));
  store.delete({ kind: 'Namespace', name: 'team-a' });
  assert.equal(recordEvent(store, { involved: obj, type: 'Normal', reason: 'Deleted', message: 'gone' }), undefined);
  assert.equal(store.get({ kind: 'Namespace', name: 'team-a' }), undefined);
});
