// The cluster gateway's routing table: the same EndpointTable the local controller fills, built here from
// the cluster — each owned InferenceService's status (its traffic block: revisions and percents, tags) and
// the EndpointSlices of each revision's Service (its ready pods). The gateway code itself is unchanged: it
// routes by Host and path, splits by percent, and holds requests for a route that is `activating`.

import type { InferenceService, Resource } from '../api/types.js';
import { scaleSettingsOf } from '../controllers/autoscaler/scale-source.js';
import { replicaKeyOf } from '../controllers/inference-service/plan.js';
import type { Logger } from '../log.js';
import { servedModelName } from '../replica-protocol.js';
import type { EndpointTable, ReplicaTarget, RevisionRoute, ServiceEndpoint } from '../routing/endpoint-table.js';
import { type ClusterScaler, kpaManages } from './cluster-scaler.js';
import { Informer } from './informer.js';
import type { KubeClient } from './kube-client.js';
import { CONTROLLER_CLASS_ANNOTATION, GRPC_PORT, HTTP_PORT } from './objects.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ClusterEndpointsOptions {
  client: KubeClient;
  endpoints: EndpointTable;
  log: Logger;
  namespace?: string;
  controllerClass?: string;
  claimUnannotated?: boolean;
  /**
   * The gateway's key for a pod address: its replica client is keyed by a number, so each remote
   * address:port gets one (remote-targets.ts). Default: the port itself (pods on loopback only).
   */
  targetFor?: (address: string, port: number) => number;
  /** The autoscaler for concurrency/rps revisions (and scale from zero); none: replicas are the operator's. */
  scaler?: ClusterScaler;
}

interface SliceEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
}
interface Slice extends Resource {
  endpoints?: SliceEndpoint[];
  ports?: { name?: string; port?: number }[];
}

export class ClusterEndpoints {
  readonly #o: ClusterEndpointsOptions;
  readonly #isvcs: Informer;
  readonly #slices: Informer;
  #published = new Set<string>();

  constructor(opts: ClusterEndpointsOptions) {
    this.#o = opts;
    const log = opts.log.child({ component: 'cluster-endpoints' });
    const refresh = () => this.refresh();
    this.#isvcs = new Informer({
      client: opts.client,
      kind: 'InferenceService',
      namespace: opts.namespace,
      log,
      onChange: refresh,
    });
    this.#slices = new Informer({
      client: opts.client,
      kind: 'EndpointSlice',
      namespace: opts.namespace,
      log,
      onChange: refresh,
    });
  }

  async start(): Promise<void> {
    this.#isvcs.start();
    this.#slices.start();
    await Promise.all([this.#isvcs.synced, this.#slices.synced]);
    this.refresh();
  }

  stop(): void {
    this.#isvcs.stop();
    this.#slices.stop();
  }

  #owns(isvc: Resource): boolean {
    const cls = isvc.metadata.annotations?.[CONTROLLER_CLASS_ANNOTATION];
    if (cls === undefined) return this.#o.claimUnannotated === true;
    return cls === (this.#o.controllerClass ?? 'inferd');
  }

  /** Rebuilds every endpoint from the informers' caches (cheap: a few objects per service). */
  refresh(): void {
    const seen = new Set<string>();
    for (const obj of this.#isvcs.items()) {
      const isvc = obj as InferenceService;
      if (!this.#owns(isvc) || isvc.metadata.deletionTimestamp) continue;
      const ep = this.endpointOf(isvc);
      if (!ep) continue;
      this.#observeScale(isvc, ep);
      seen.add(`${ep.namespace}/${ep.name}`);
      this.#o.endpoints.set(ep);
    }
    for (const key of this.#published) {
      if (seen.has(key)) continue;
      const [ns, name] = key.split('/') as [string, string];
      this.#o.endpoints.delete(ns, name);
    }
    this.#published = seen;
  }

  #scaled = new Set<string>();

  /** Hands each revision of a KPA-scaled service to the autoscaler; revisions no longer routed are forgotten. */
  #observeScale(isvc: InferenceService, ep: ServiceEndpoint): void {
    const scaler = this.#o.scaler;
    if (!scaler) return;
    const settings = scaleSettingsOf(isvc);
    if (!kpaManages(settings)) return;
    for (const r of ep.routes) {
      this.#scaled.add(r.key);
      scaler.observe({
        key: r.key,
        settings,
        ready: r.replicas.length,
        routable: r.percent > 0 || r.tag !== undefined,
      });
    }
  }

  /** Ready pods of a revision's Service, as replica targets keyed under the revision. */
  #replicasOf(namespace: string, revision: string, revKey: string): ReplicaTarget[] {
    const addrs: { address: string; port: number; grpc?: number }[] = [];
    for (const o of this.#slices.items()) {
      const s = o as Slice;
      if (s.metadata.namespace !== namespace || s.metadata.labels?.[SERVICE_NAME_LABEL] !== revision) continue;
      const http = s.ports?.find((p) => p.name === 'http1' || p.name === 'http')?.port ?? HTTP_PORT;
      const grpc = s.ports?.find((p) => p.name === 'grpc')?.port ?? GRPC_PORT;
      for (const e of s.endpoints ?? []) {
        if (e.conditions?.ready === false) continue;
        for (const a of e.addresses ?? []) addrs.push({ address: a, port: http, grpc });
      }
    }
    addrs.sort((a, b) => `${a.address}:${a.port}`.localeCompare(`${b.address}:${b.port}`));
    const local = this.#o.targetFor ?? ((_a: string, port: number) => port);
    return addrs.map((a, i) => ({
      key: replicaKeyOf(revKey, i),
      port: local(a.address, a.port),
      grpcPort: a.grpc !== undefined ? local(a.address, a.grpc) : undefined,
    }));
  }

  /** The endpoint of one service, from its status' traffic block (before any: its latest created revision). */
  endpointOf(isvc: InferenceService): ServiceEndpoint | undefined {
    const namespace = isvc.metadata.namespace ?? 'default';
    const name = isvc.metadata.name;
    const p = isvc.status?.components?.predictor;
    const traffic = p?.traffic?.length
      ? p.traffic
      : p?.latestCreatedRevision
        ? [{ revisionName: p.latestCreatedRevision, percent: 100, latestRevision: true }]
        : [];
    if (traffic.length === 0) return undefined;
    const settings = scaleSettingsOf(isvc);
    const timeout = isvc.spec?.predictor?.timeout;
    const failed = isvc.status?.conditions?.some(
      (c) =>
        c.type === 'PredictorReady' &&
        c.status === 'False' &&
        c.reason !== undefined &&
        /Fail|Forbidden|NotManaged/.test(c.reason),
    );
    const routes: RevisionRoute[] = traffic.map((t) => {
      const revKey = `${namespace}/${name}/${t.revisionName}`;
      const replicas = this.#replicasOf(namespace, t.revisionName, revKey);
      return {
        revision: t.revisionName,
        key: revKey,
        percent: t.percent,
        ...(t.tag ? { tag: t.tag } : {}),
        latestRevision: t.latestRevision === true,
        replicas,
        // No ready pod yet (starting, or rolling out): hold requests for it rather than 503 at once.
        activating: replicas.length === 0 && !failed,
        containerConcurrency: settings.containerConcurrency,
        ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
      };
    });
    const main = routes.reduce<RevisionRoute | undefined>((a, r) => (!a || r.percent > a.percent ? r : a), undefined);
    const replica = main?.replicas[0];
    const ready = isvc.status?.conditions?.find((c) => c.type === 'PredictorReady');
    return {
      namespace,
      name,
      modelName: servedModelName(isvc),
      routes,
      port: replica?.port,
      grpcPort: replica?.grpcPort,
      revision: replica ? main?.revision : undefined,
      starting: replica === undefined && routes.some((r) => r.activating),
      ...(replica === undefined
        ? { reason: ready?.reason ?? 'NotReady', message: ready?.message ?? 'no ready replica of the service yet' }
        : {}),
    };
  }
}
