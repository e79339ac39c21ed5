// planComponentTraffic: a transformer's (or explainer's) traffic between its revisions, the predictor's rules
// (traffic.ts) applied per component. Table-driven, no processes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ComponentRollout,
  planComponentTraffic,
} from '../../src/controllers/inference-service/component-traffic.js';

const all = () => true;
const shares = (r: ComponentRollout) =>
  r.traffic.map((t) => `${t.revisionName} ${t.percent}${t.tag ? ` ${t.tag}` : ''}`);

test('the first revision takes 100 % once Ready, and nothing before', () => {
  const loading = planComponentTraffic(undefined, 't-a', false, undefined, all);
  assert.deepEqual(loading.traffic, []);
  const ready = planComponentTraffic(loading, 't-a', true, undefined, all);
  assert.deepEqual(shares(ready), ['t-a 100']);
  assert.equal(ready.latestRolledout, 't-a');
});

test('a canary at 20 % splits once the new revision is Ready; promotion and rollback move it', () => {
  const a = planComponentTraffic(undefined, 't-a', true, undefined, all);
  // The new revision not Ready yet: the rolled-out one keeps everything (both of Knative's entries name it, as
  // for the predictor).
  const pending = planComponentTraffic(a, 't-b', false, 20, all);
  assert.deepEqual(shares(pending), ['t-a 20', 't-a 80']);
  const split = planComponentTraffic(pending, 't-b', true, 20, all);
  assert.deepEqual(shares(split), ['t-b 20', 't-a 80']);
  assert.deepEqual([split.latestReady, split.latestRolledout], ['t-b', 't-a']);
  const tagged = planComponentTraffic(pending, 't-b', true, 20, all, (tag) => `http://${tag}-x-transformer`);
  assert.deepEqual(shares(tagged), ['t-b 20 latest', 't-a 80 prev']);
  const promoted = planComponentTraffic(split, 't-b', true, undefined, all);
  assert.deepEqual(shares(promoted), ['t-b 100']);
  assert.deepEqual([promoted.latestRolledout, promoted.previousRolledout], ['t-b', 't-a']);
  // Rolled back after the promotion: the previous revision takes 100 % again.
  const back = planComponentTraffic(promoted, 't-b', true, 0, all);
  assert.deepEqual(shares(back), ['t-b 0', 't-a 100']);
  assert.equal(back.latestRolledout, 't-a');
});

test('a revision the controller no longer knows takes no traffic', () => {
  const a = planComponentTraffic(undefined, 't-a', true, undefined, all);
  const b = planComponentTraffic(a, 't-b', false, 20, (rev) => rev !== 't-a');
  assert.deepEqual(b.traffic, []);
  assert.equal(b.latestRolledout, undefined);
});
