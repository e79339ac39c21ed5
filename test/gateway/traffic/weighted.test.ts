import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickTagged, pickWeighted } from '../../../src/gateway/traffic/weighted.js';
import { route } from './routes.js';

test('10,000 picks split 20/80 exactly, interleaved (no long runs of one revision)', () => {
  const routes = [route('r2', 20, [{ port: 1 }]), route('r1', 80, [{ port: 2 }])];
  const counts = new Map<string, number>();
  let longestRun = 0;
  let run = 0;
  let last = '';
  for (let i = 0; i < 10_000; i++) {
    const r = pickWeighted(routes)!.revision;
    counts.set(r, (counts.get(r) ?? 0) + 1);
    run = r === last ? run + 1 : 1;
    last = r;
    longestRun = Math.max(longestRun, run);
  }
  assert.deepEqual(Object.fromEntries(counts), { r2: 2000, r1: 8000 });
  assert.ok(longestRun <= 4, `longest run ${longestRun}`);
});

test('uneven splits stay within one pick of their share at every point', () => {
  for (const p of [1, 10, 33, 50, 99]) {
    const routes = [route('a', p, [], { activating: true }), route('b', 100 - p, [], { activating: true })];
    let a = 0;
    for (let i = 1; i <= 1000; i++) {
      if (pickWeighted(routes)!.revision === 'a') a++;
      assert.ok(Math.abs(a - (i * p) / 100) <= 1, `p=${p} after ${i}: ${a}`);
    }
  }
});

test('routes at 0% never get untagged traffic; none with a share → undefined; tags pick their route', () => {
  const routes = [route('new', 0, [], { tag: 'latest' }), route('old', 100, [], { tag: 'prev' })];
  for (let i = 0; i < 100; i++) assert.equal(pickWeighted(routes)!.revision, 'old');
  assert.equal(pickWeighted([route('x', 0)]), undefined);
  assert.equal(pickWeighted([route('x', 0), route('y', 0)]), undefined);
  assert.equal(pickTagged(routes, 'latest')!.revision, 'new');
  assert.equal(pickTagged(routes, 'prev')!.revision, 'old');
  assert.equal(pickTagged(routes, 'other'), undefined);
});

test('a revision with a share but no replica and none starting gets no traffic while another can answer', () => {
  const failed = route('new', 20);
  const old = route('old', 80, [{ port: 1 }]);
  for (let i = 0; i < 50; i++) assert.equal(pickWeighted([failed, old])!.revision, 'old');
  assert.equal(pickWeighted([failed, route('old', 80)])!.revision, 'old', 'neither can: by percent (the 503 says why)');
});
