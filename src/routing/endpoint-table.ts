// Where each InferenceService can be reached right now: the controllers write it, the gateway reads it
// (the local-mode stand-in for Kubernetes Endpoints). Also answers "wait until this service is ready",
// which the gateway uses to hold requests for a replica that is (re)starting.

import { EventEmitter } from 'node:events';

/** One ready replica of a revision (a process, or a model in a shared host). */
export interface ReplicaTarget {
  /** The replica manager's key (unique; the traffic stats and outlier ejection are kept per key). */
  key: string;
  /** Loopback HTTP port. */
  port: number;
  /** Loopback V2 gRPC port; undefined when the replica serves none. */
  grpcPort?: number;
}

/**
 * One revision's share of a service's traffic (Knative's TrafficTarget, resolved to replicas). The controller
 * writes them (canary split, tags, scale), the gateway picks a route per request by `percent`, then a replica
 * of it (least outstanding requests), and holds requests for a route that is `activating`.
 */
export interface RevisionRoute {
  revision: string;
  /** `{namespace}/{name}/{revision}`: the key of this revision in TrafficStats and in the autoscaler. */
  key: string;
  /** Percent of the service's untagged traffic (0-100); the routes of an endpoint that serves sum to 100. */
  percent: number;
  /** Knative tag (`latest`, `prev`) under tag routing: `{tag}-{name}-predictor.{ns}.{domain}` reaches this route only. */
  tag?: string;
  /** Whether this is the latest created revision (status.components.predictor.traffic[].latestRevision). */
  latestRevision: boolean;
  /** Ready replicas now (may be empty). */
  replicas: ReplicaTarget[];
  /**
   * No ready replica, but one is starting or can be started on demand (scaled to zero): the gateway holds
   * requests for it (bounded) and signals demand through TrafficStats, instead of answering 503.
   */
  activating: boolean;
  /** Hard in-flight limit per replica (the component's containerConcurrency); 0 = unlimited. */
  containerConcurrency: number;
  /** The component's `timeout` in milliseconds; undefined: none. */
  timeoutMs?: number;
}

export interface ServiceEndpoint {
  namespace: string;
  name: string;
  /** The model name the replica serves (KServe: the InferenceService name). */
  modelName: string;
  /**
   * Where traffic goes, by revision (see RevisionRoute). `port`, `grpcPort` and `revision` below describe one
   * ready replica of the main route, for readiness checks and listings; requests are routed by `routes`.
   */
  routes: RevisionRoute[];
  /** Loopback port of a ready replica of the main route; undefined when none is ready. */
  port: number | undefined;
  /** Loopback V2 gRPC port of the same replica (the gateway's h2c proxy); undefined when it has none. */
  grpcPort?: number;
  revision: string | undefined;
  /** True while a replica is being started or restarted: worth holding requests for. */
  starting: boolean;
  /** The InferenceService this endpoint belongs to (metrics labels); default `name`. */
  service?: string;
  /** Which of the service's components this endpoint reaches (metrics labels); default predictor. */
  component?: 'predictor' | 'transformer' | 'explainer';
  reason?: string;
  message?: string;
}

/** An endpoint as given to set(): `routes` may be left out for a single revision with one replica. */
export type EndpointInput = Omit<ServiceEndpoint, 'routes'> & { routes?: RevisionRoute[] };

/** The one route of an endpoint given without routes: its port as the only replica of its revision. */
function singleRoute(ep: EndpointInput): RevisionRoute[] {
  const revision = ep.revision ?? 'unknown';
  const key = `${ep.namespace}/${ep.name}/${revision}`;
  return [
    {
      revision,
      key,
      percent: 100,
      latestRevision: true,
      replicas: ep.port !== undefined ? [{ key, port: ep.port, grpcPort: ep.grpcPort }] : [],
      activating: ep.port === undefined && ep.starting,
      containerConcurrency: 0,
    },
  ];
}

export class EndpointTable extends EventEmitter {
  private readonly byKey = new Map<string, ServiceEndpoint>();
  /** Extra model names a service serves (its TrainedModels), by `namespace/name`: path routing finds them. */
  private readonly extraModels = new Map<string, ReadonlySet<string>>();

  constructor() {
    super();
    this.setMaxListeners(0); // one listener per held request
  }

  /** Publishes an endpoint; one given without routes gets a single route to its port (tests, simple callers). */
  set(given: EndpointInput): void {
    const ep: ServiceEndpoint = given.routes ? (given as ServiceEndpoint) : { ...given, routes: singleRoute(given) };
    this.byKey.set(`${ep.namespace}/${ep.name}`, ep);
    this.emit('change', ep);
  }

  delete(namespace: string, name: string): void {
    this.byKey.delete(`${namespace}/${name}`);
    this.emit('change', { namespace, name });
  }

  get(namespace: string, name: string): ServiceEndpoint | undefined {
    return this.byKey.get(`${namespace}/${name}`);
  }

  /** Services whose model is `modelName`, across namespaces (path routing); a TrainedModel's is its parent. */
  byModelName(modelName: string): ServiceEndpoint[] {
    const out: ServiceEndpoint[] = [];
    for (const ep of this.byKey.values()) if (ep.modelName === modelName) out.push(ep);
    for (const [key, names] of this.extraModels) {
      if (!names.has(modelName)) continue;
      const ep = this.byKey.get(key);
      if (ep && ep.modelName !== modelName) out.push(ep);
    }
    return out;
  }

  /** The models a multi-model service serves besides its own name (its loaded TrainedModels). */
  setExtraModels(namespace: string, name: string, models: Iterable<string>): void {
    const set = new Set(models);
    if (set.size === 0) this.extraModels.delete(`${namespace}/${name}`);
    else this.extraModels.set(`${namespace}/${name}`, set);
  }

  extraModelsOf(namespace: string, name: string): string[] {
    return [...(this.extraModels.get(`${namespace}/${name}`) ?? [])];
  }

  all(): ServiceEndpoint[] {
    return [...this.byKey.values()];
  }

  /** Resolves with the endpoint once it has a port, or with its last state when it stops starting or on timeout. */
  waitReady(namespace: string, name: string, timeoutMs: number): Promise<ServiceEndpoint | undefined> {
    const key = `${namespace}/${name}`;
    const now = this.byKey.get(key);
    if (!now || now.port !== undefined || !now.starting) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('change', onChange);
        resolve(this.byKey.get(key));
      };
      const onChange = (ep: { namespace: string; name: string }) => {
        if (`${ep.namespace}/${ep.name}` !== key) return;
        const cur = this.byKey.get(key);
        if (!cur || cur.port !== undefined || !cur.starting) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('change', onChange);
    });
  }
}
