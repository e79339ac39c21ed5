// Leader election on a Lease through the test API server: one of two candidates leads; when it stops (and
// releases the lease) the other takes over; a write with a stale resourceVersion loses with 409.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { LeaderElector } from '../../src/operator/leader-election.js';
import { nextEvent } from '../support/wait.js';
import { startKubeApi } from './kube-harness.js';

test('two candidates: exactly one leads; the other takes over after it stops', async (t) => {
  const api = await startKubeApi();
  t.after(() => api.close());
  const mk = (identity: string) =>
    new LeaderElector({
      client: api.client,
      namespace: 'default',
      name: 'op',
      identity,
      // 5 s (was 1 s): a renewing every 100 ms must not lose the lease to b on a loaded machine before the
      // checks below; a stopping leader releases it, so the takeover does not wait this out.
      leaseDurationMs: 5_000,
      retryPeriodMs: 100,
      log: silentLogger,
    });
  const a = mk('a');
  const b = mk('b');
  const aLeads = nextEvent(a, 'leading', 'a leads');
  a.start();
  await aLeads;
  b.start();
  t.after(async () => {
    await a.stop();
    await b.stop();
  });
  // b keeps trying while a renews: a few of its periods pass without it leading.
  const lease = await api.client.get('Lease', 'default', 'op');
  assert.equal((lease.spec as { holderIdentity: string }).holderIdentity, 'a');
  assert.equal(b.isLeader, false);
  // Half the 5 s lease: only a lease released on stop lets b lead in time (an expiry would take 5 s).
  const bLeads = nextEvent(b, 'leading', 'b takes over', 2500);
  await a.stop();
  await bLeads;
  const after = await api.client.get('Lease', 'default', 'op');
  assert.equal((after.spec as { holderIdentity: string }).holderIdentity, 'b');
  assert.equal((after.spec as { leaseTransitions: number }).leaseTransitions, 1);
});
