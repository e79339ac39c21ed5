// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the holder
// renews `renewTime` every `retryPeriod`; another candidate takes the lease once `leaseDurationSeconds`
// passed since the last renewal. Every write carries the Lease's resourceVersion, so of two candidates
// racing for it one gets 409 Conflict and stays a follower. Only the leader reconciles.

import { EventEmitter } from 'node:events';
import { InferdError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { KubeClient } from './kube-client.js';

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  /** This candidate's identity (pod name + a random suffix). */
  identity: string;
  leaseDurationMs: number;
  retryPeriodMs: number;
  log: Logger;
  now?: () => number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** Kubernetes' MicroTime: RFC 3339 with microseconds. */
const microTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

/** Emits 'leading' when this candidate becomes the leader and 'lost' when it stops being one. */
export class LeaderElector extends EventEmitter {
  readonly #o: LeaderElectionOptions;
  #timer: NodeJS.Timeout | undefined;
  #leading = false;
  #stopped = false;

  constructor(opts: LeaderElectionOptions) {
    super();
    this.#o = opts;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    void this.#tick();
  }

  /** Stops renewing; a leader releases the lease (holder cleared) so a successor need not wait it out. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (!this.#leading) return;
    this.#leading = false;
    try {
      const lease = await this.#o.client.get<LeaseObj>('Lease', this.#o.namespace, this.#o.name);
      if (lease.spec?.holderIdentity === this.#o.identity) {
        await this.#o.client.replace({
          ...lease,
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
        });
      }
    } catch (err) {
      this.#o.log.warn('could not release the leader lease', { error: messageOf(err) });
    }
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    let leading = false;
    try {
      leading = await this.#tryAcquireOrRenew();
    } catch (err) {
      this.#o.log.warn('leader election failed', { error: messageOf(err) });
    }
    if (this.#stopped) return;
    if (leading !== this.#leading) {
      this.#leading = leading;
      this.#o.log.info(leading ? 'became leader' : 'lost leadership', {
        lease: this.#o.name,
        identity: this.#o.identity,
      });
      this.emit(leading ? 'leading' : 'lost');
    }
    this.#timer = setTimeout(() => void this.#tick(), this.#o.retryPeriodMs);
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.#o;
    const now = (this.#o.now ?? Date.now)();
    const durationS = Math.max(1, Math.round(this.#o.leaseDurationMs / 1000));
    const lease = await client.find<LeaseObj>('Lease', namespace, name);
    if (!lease) {
      try {
        await client.create<LeaseObj>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: durationS,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        return true;
      } catch (err) {
        if (err instanceof InferdError && (err.code === 'ALREADY_EXISTS' || err.code === 'CONFLICT')) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const expired = now > renewed + (spec.leaseDurationSeconds ?? durationS) * 1000;
    if (holder !== identity && holder !== '' && !expired) return false;
    const next: LeaseSpec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationS,
      renewTime: microTime(now),
      ...(holder !== identity
        ? { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }
        : {}),
    };
    try {
      await client.replace<LeaseObj>({ ...lease, spec: next }); // carries lease.metadata.resourceVersion
      return true;
    } catch (err) {
      if (err instanceof InferdError && err.code === 'CONFLICT') return false; // another candidate won
      throw err;
    }
  }
}

type LeaseObj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
};
