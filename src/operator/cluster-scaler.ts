// The inferd autoscaler on a cluster, in the gateway (where the traffic counters are): the same KPA-like
// KpaAutoscaler as local mode decides each routable revision's replicas from its concurrency or rps, and this
// shell writes the answer to the revision's Deployment (`spec.replicas`, a merge patch). A request for a
// revision at zero is held by the gateway and its 'demand' activates the revision at once (Activate → 1):
// scale from zero. Only revisions with autoscalerClass kpa and a concurrency/rps metric are scaled here (the
// HPA handles cpu/memory). With several gateway replicas each decides from its own share of the traffic.

import { KpaAutoscaler } from '../controllers/autoscaler/autoscaler.js';
import type { ScaleChange, ScaleSettings } from '../controllers/autoscaler/scale-source.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { TrafficStats } from '../routing/traffic-stats.js';
import { Informer } from './informer.js';
import type { KubeClient } from './kube-client.js';
import { MANAGED_BY, MANAGED_BY_LABEL } from './objects.js';

/** Whether the gateway's autoscaler owns a revision's replicas (the operator then leaves them alone). */
export function kpaManages(s: ScaleSettings): boolean {
  return s.autoscaled && (s.metric === 'concurrency' || s.metric === 'rps');
}

export interface RevisionObservation {
  /** `{namespace}/{name}/{revision}`; the Deployment is `{revision}` in `{namespace}`. */
  key: string;
  settings: ScaleSettings;
  ready: number;
  routable: boolean;
}

export class ClusterScaler {
  readonly #client: KubeClient;
  readonly #log: Logger;
  readonly #kpa: KpaAutoscaler;
  readonly #deployments: Informer;
  /** What was last written per revision key, so one decision is one patch. */
  readonly #written = new Map<string, number>();
  /** Scale changes applied (tests, logs). */
  readonly changes: ScaleChange[] = [];

  constructor(opts: { client: KubeClient; stats: TrafficStats; log: Logger; namespace?: string; tickMs?: number }) {
    this.#client = opts.client;
    this.#log = opts.log.child({ component: 'cluster-scaler' });
    this.#kpa = new KpaAutoscaler({ stats: opts.stats, log: this.#log, tickMs: opts.tickMs });
    this.#kpa.on('scale', (c: ScaleChange) => {
      this.changes.push(c);
      this.#log.info('scale', { revision: c.key, desired: c.desired, previous: c.previous, reason: c.reason });
      void this.#write(c.key, c.desired);
    });
    this.#deployments = new Informer({
      client: opts.client,
      kind: 'Deployment',
      namespace: opts.namespace,
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
      log: this.#log,
      onChange: () => {},
    });
  }

  async start(): Promise<void> {
    this.#deployments.start();
    await this.#deployments.synced;
  }

  stop(): void {
    this.#kpa.close();
    this.#deployments.stop();
  }

  /** Called on every routing refresh for each revision of a KPA-scaled service. */
  observe(o: RevisionObservation): void {
    const live = this.#replicasOf(o.key);
    if (live === undefined) return; // no Deployment (yet): the operator creates it
    // What we wrote may not be in the informer yet: those replicas are starting too (never scaled away).
    const starting = Math.max(0, Math.max(live, this.#written.get(o.key) ?? 0) - o.ready);
    const desired = this.#kpa.observe({
      key: o.key,
      settings: o.settings,
      ready: o.ready,
      starting,
      routable: o.routable,
    });
    if (o.routable && desired !== live && this.#written.get(o.key) !== desired) void this.#write(o.key, desired);
  }

  forget(key: string): void {
    this.#kpa.forget(key);
    this.#written.delete(key);
  }

  #replicasOf(key: string): number | undefined {
    const [ns, , rev] = key.split('/') as [string, string, string];
    const d = this.#deployments.get(ns, rev);
    return d ? ((d.spec as { replicas?: number }).replicas ?? 1) : undefined;
  }

  async #write(key: string, replicas: number): Promise<void> {
    const [ns, , rev] = key.split('/') as [string, string, string];
    this.#written.set(key, replicas);
    try {
      await this.#client.mergePatch('Deployment', ns, rev, { spec: { replicas } });
    } catch (err) {
      this.#written.delete(key);
      this.#log.warn('could not scale the revision', { revision: key, replicas, error: messageOf(err) });
    }
  }
}
