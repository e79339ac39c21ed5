import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickReplica } from '../../../src/gateway/traffic/balancer.js';
import { route } from './routes.js';

const none = () => false;

test('least outstanding requests; ties rotate', () => {
  const r = route('r1', 100, [{ port: 1 }, { port: 2 }, { port: 3 }]);
  const load = new Map([
    [r.replicas[0]!.key, 2],
    [r.replicas[1]!.key, 0],
    [r.replicas[2]!.key, 1],
  ]);
  assert.equal(pickReplica(r, (k) => load.get(k)!, none, 0)!.port, 2);
  const idle = () => 0;
  const seen = [0, 1, 2, 3, 4, 5].map((turn) => pickReplica(r, idle, none, turn)!.port);
  assert.deepEqual(seen, [1, 2, 3, 1, 2, 3]);
});

test('containerConcurrency: a full replica is skipped; all full → undefined; 0 = unlimited', () => {
  const r = route('r1', 100, [{ port: 1 }, { port: 2 }], { containerConcurrency: 1 });
  const busy = new Set([r.replicas[0]!.key]);
  const load = (k: string) => (busy.has(k) ? 1 : 0);
  assert.equal(pickReplica(r, load, none, 0)!.port, 2);
  busy.add(r.replicas[1]!.key);
  assert.equal(pickReplica(r, load, none, 0), undefined);
  const one = route('r1', 100, [{ port: 1 }], { containerConcurrency: 2 });
  assert.equal(pickReplica(one, () => 1, none, 0)!.port, 1);
  assert.equal(
    pickReplica(one, () => 2, none, 0),
    undefined,
  );
  assert.equal(pickReplica(route('r1', 100, [{ port: 1 }]), () => 10_000, none, 0)!.port, 1);
  assert.equal(
    pickReplica(route('r1', 100, []), () => 0, none, 0),
    undefined,
  );
});

test('ejected replicas are skipped unless every replica is ejected', () => {
  const r = route('r1', 100, [{ port: 1 }, { port: 2 }]);
  const ejected = new Set([r.replicas[0]!.key]);
  for (let turn = 0; turn < 4; turn++)
    assert.equal(
      pickReplica(
        r,
        () => 0,
        (k) => ejected.has(k),
        turn,
      )!.port,
      2,
    );
  ejected.add(r.replicas[1]!.key);
  assert.ok(
    pickReplica(
      r,
      () => 0,
      (k) => ejected.has(k),
      0,
    ),
  );
});
