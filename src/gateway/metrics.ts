// The gateway's metrics for `GET /metrics` on its port, in Prometheus text format 0.0.4: requests and the
// gateway's latency by namespace, service, component, revision, protocol and status code (the contract the
// web app reads: docs/operations.md), replicas desired/ready, in-flight and queued per revision (read from
// TrafficStats when scraped), the gateway's own refusals (429 queue full, 503 not started in time, 504
// timeout), ejections, and the cold-start histogram (time a request was held for a replica to start).
// Hand-written: recording is a map lookup, a code-map increment and a bucket scan; label strings are built
// once per series, never per request (docs/benchmarks.md, "Metrics recording" compares prom-client).
// Other components (the autoscaler, the graph router, the replicas' own pages) add their series with `register`.

import type { EndpointTable, RevisionRoute, ServiceEndpoint } from '../routing/endpoint-table.js';
import type { TrafficStats } from '../routing/traffic-stats.js';

/** Cold-start buckets in seconds: a native model loads in tens of ms, a Python one in seconds. */
export const COLD_START_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

/** Gateway latency buckets in seconds: a relayed native predict takes ~0.2 ms, a cold start seconds. */
export const REQUEST_BUCKETS_S = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
] as const;

/** How a request reached the gateway: V1 or V2 REST paths, gRPC, or anything else (a custom route). */
export type GatewayProtocol = 'v1' | 'v2' | 'grpc' | 'other';

/** `component` label: which part of a service answered. */
export type ComponentLabel = 'predictor' | 'transformer' | 'explainer' | 'graph';

/** The protocol of a REST path (after a `/serving/{ns}/{name}` prefix is taken off). */
export function protocolOfPath(path: string): GatewayProtocol {
  if (path.charCodeAt(0) === 47 /* / */ && path.charCodeAt(1) === 118 /* v */ && path.charCodeAt(3) === 47) {
    const v = path.charCodeAt(2);
    if (v === 49 /* 1 */) return 'v1';
    if (v === 50 /* 2 */) return 'v2';
  }
  return 'other';
}

/** The HTTP status a gRPC status stands for (KServe/Triton's mapping; OK → 200), for the `code` label. */
export function httpStatusOfGrpc(grpcStatus: number): number {
  return GRPC_TO_HTTP[grpcStatus] ?? 500;
}
const GRPC_TO_HTTP: Record<number, number> = {
  0: 200,
  1: 499, // CANCELLED: the client went away
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  16: 401,
};

const PROTOCOL_INDEX: Record<GatewayProtocol, number> = { v1: 0, v2: 1, grpc: 2, other: 3 };
const PROTOCOLS: readonly GatewayProtocol[] = ['v1', 'v2', 'grpc', 'other'];

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Something that appends its series (HELP, TYPE and samples) to a scrape. */
export interface MetricsCollector {
  collect(out: string[]): void;
}

/** One (service, component, revision, protocol): codes and the latency histogram. */
class RequestSeries {
  readonly codes = new Map<number, number>();
  readonly buckets = new Float64Array(REQUEST_BUCKETS_S.length + 1);
  sum = 0;
  count = 0;
  constructor(readonly labels: string) {}

  observe(status: number, seconds: number): void {
    this.codes.set(status, (this.codes.get(status) ?? 0) + 1);
    let i = 0;
    while (i < REQUEST_BUCKETS_S.length && seconds > REQUEST_BUCKETS_S[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/** The series of one revision (or of a service with no revision routed), one slot per protocol. */
interface TargetSeries {
  /** `namespace="…",service="…",component="…",revision="…"` */
  labels: string;
  /** The revision key it belongs to (pruned with it); '' for a service-level series. */
  revisionKey: string;
  byProtocol: (RequestSeries | undefined)[];
}

/** The labels of a service endpoint's component: transformer, explainer and predictor endpoints of one service. */
export function componentOf(ep: ServiceEndpoint): { service: string; component: ComponentLabel } {
  return { service: ep.service ?? ep.name, component: ep.component ?? 'predictor' };
}
/** Desired replicas of a revision (the scaler's last decision); undefined when it has none. */
export type DesiredReplicas = (revisionKey: string) => number | undefined;

export class GatewayMetrics {
  /** Revision key (or `ns/name/` for requests no revision took) → its request series. */
  readonly #targets = new Map<string, TargetSeries>();
  /** Requests that named no known service (404 for an unknown model or host): by protocol. */
  readonly #unrouted: TargetSeries = {
    labels: 'namespace="",service="",component="",revision=""',
    revisionKey: '',
    byProtocol: [],
  };
  /** `${revision key}\n${code}` → refusals the gateway answered itself. */
  readonly #refused = new Map<string, number>();
  /** replica key → ejections. */
  readonly #ejections = new Map<string, number>();
  readonly #coldCounts = new Float64Array(COLD_START_BUCKETS_S.length + 1);
  #coldSum = 0;
  #coldCount = 0;
  readonly #collectors: MetricsCollector[] = [];
  #desired: DesiredReplicas = () => undefined;

  constructor(
    private readonly endpoints: EndpointTable,
    private readonly stats: TrafficStats,
  ) {}

  /** Adds another component's series to every scrape (the autoscaler's decisions, desired replicas). */
  register(collector: MetricsCollector): void {
    this.#collectors.push(collector);
  }

  /** Where `inferd_replicas{state="desired"}` comes from (the scaler); without it desired = ready. */
  desiredFrom(desired: DesiredReplicas): void {
    this.#desired = desired;
  }

  /**
   * One finished request to a service (answered by a replica, by the gateway for it, or abandoned by the
   * client: 499): `route` is the revision that took it, undefined when none did (not ready, no such tag).
   */
  request(
    ep: ServiceEndpoint,
    route: RevisionRoute | undefined,
    protocol: GatewayProtocol,
    status: number,
    seconds: number,
  ): void {
    const key = route !== undefined ? route.key : `${ep.namespace}/${ep.name}/`;
    let t = this.#targets.get(key);
    if (t === undefined) {
      const { service, component } = componentOf(ep);
      t = {
        labels: `namespace="${escapeLabel(ep.namespace)}",service="${escapeLabel(service)}",component="${component}",revision="${escapeLabel(route?.revision ?? '')}"`,
        revisionKey: route !== undefined ? route.key : '',
        byProtocol: [],
      };
      this.#targets.set(key, t);
    }
    this.#observe(t, protocol, status, seconds);
  }

  /** One finished request to an InferenceGraph (component "graph", no revision). */
  graphRequest(namespace: string, name: string, protocol: GatewayProtocol, status: number, seconds: number): void {
    const key = `${namespace}/${name}/\ngraph`;
    let t = this.#targets.get(key);
    if (t === undefined) {
      t = {
        labels: `namespace="${escapeLabel(namespace)}",service="${escapeLabel(name)}",component="graph",revision=""`,
        revisionKey: '',
        byProtocol: [],
      };
      this.#targets.set(key, t);
    }
    this.#observe(t, protocol, status, seconds);
  }

  /** A request that reached no service (unknown model, host or path): empty service labels. */
  unrouted(protocol: GatewayProtocol, status: number, seconds: number): void {
    this.#observe(this.#unrouted, protocol, status, seconds);
  }

  #observe(t: TargetSeries, protocol: GatewayProtocol, status: number, seconds: number): void {
    const i = PROTOCOL_INDEX[protocol];
    let s = t.byProtocol[i];
    if (s === undefined) {
      s = new RequestSeries(`${t.labels},protocol="${protocol}"`);
      t.byProtocol[i] = s;
    }
    s.observe(status, seconds);
  }

  /** The gateway answered `code` itself (429, 503, 504) for the revision. */
  refused(revisionKey: string, code: number): void {
    const k = `${revisionKey}\n${code}`;
    this.#refused.set(k, (this.#refused.get(k) ?? 0) + 1);
  }

  ejected(replicaKey: string): void {
    this.#ejections.set(replicaKey, (this.#ejections.get(replicaKey) ?? 0) + 1);
  }

  /** Forgets the series of revisions and replicas no longer published (bounded memory over many rollouts). */
  prune(revisions: ReadonlySet<string>, replicas: ReadonlySet<string>): void {
    for (const [key, t] of this.#targets)
      if (t.revisionKey !== '' && !revisions.has(t.revisionKey)) this.#targets.delete(key);
    for (const k of this.#refused.keys()) if (!revisions.has(k.slice(0, k.indexOf('\n')))) this.#refused.delete(k);
    for (const key of this.#ejections.keys()) if (!replicas.has(key)) this.#ejections.delete(key);
  }

  /** A request held for a replica to start was sent after `ms`. */
  coldStart(ms: number): void {
    const s = ms / 1000;
    let i = 0;
    while (i < COLD_START_BUCKETS_S.length && s > COLD_START_BUCKETS_S[i]!) i++;
    this.#coldCounts[i]!++;
    this.#coldSum += s;
    this.#coldCount++;
  }

  render(): string {
    const out: string[] = [];
    const series: RequestSeries[] = [];
    for (const t of [...this.#targets.values(), this.#unrouted]) {
      for (const p of PROTOCOLS) {
        const s = t.byProtocol[PROTOCOL_INDEX[p]];
        if (s !== undefined) series.push(s);
      }
    }
    out.push(
      '# HELP inferd_gateway_requests_total Requests through the gateway by namespace, service, component, revision, protocol and status code.',
    );
    out.push('# TYPE inferd_gateway_requests_total counter');
    for (const s of series) {
      for (const [code, n] of s.codes) out.push(`inferd_gateway_requests_total{${s.labels},code="${code}"} ${n}`);
    }
    out.push(
      "# HELP inferd_gateway_request_duration_seconds The gateway's time per request, from its arrival to the end of the answer.",
    );
    out.push('# TYPE inferd_gateway_request_duration_seconds histogram');
    for (const s of series) {
      let cumulative = 0;
      for (let i = 0; i < REQUEST_BUCKETS_S.length; i++) {
        cumulative += s.buckets[i]!;
        out.push(
          `inferd_gateway_request_duration_seconds_bucket{${s.labels},le="${REQUEST_BUCKETS_S[i]}"} ${cumulative}`,
        );
      }
      out.push(`inferd_gateway_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.count}`);
      out.push(`inferd_gateway_request_duration_seconds_sum{${s.labels}} ${s.sum}`);
      out.push(`inferd_gateway_request_duration_seconds_count{${s.labels}} ${s.count}`);
    }
    out.push(
      '# HELP inferd_gateway_refused_total Requests the gateway answered itself: 429 queue full, 503 no replica in time, 504 timeout.',
    );
    out.push('# TYPE inferd_gateway_refused_total counter');
    for (const [k, n] of this.#refused) {
      const [key, code] = k.split('\n') as [string, string];
      out.push(`inferd_gateway_refused_total{revision="${escapeLabel(key)}",code="${code}"} ${n}`);
    }
    const revisions = new Set<string>();
    out.push("# HELP inferd_replicas Replicas of a revision: desired (the scaler's decision) and ready (routed).");
    out.push('# TYPE inferd_replicas gauge');
    for (const ep of this.endpoints.all()) {
      const { service, component } = componentOf(ep);
      for (const r of ep.routes) {
        revisions.add(r.key);
        if (r.revision === '') continue; // a stand-in while the first revision downloads
        const labels = `namespace="${escapeLabel(ep.namespace)}",service="${escapeLabel(service)}",component="${component}",revision="${escapeLabel(r.revision)}"`;
        const ready = r.replicas.length;
        out.push(`inferd_replicas{${labels},state="desired"} ${this.#desired(r.key) ?? ready}`);
        out.push(`inferd_replicas{${labels},state="ready"} ${ready}`);
      }
    }
    out.push("# HELP inferd_gateway_in_flight Requests sent to a revision's replicas and not answered yet.");
    out.push('# TYPE inferd_gateway_in_flight gauge');
    const snaps = [...revisions].map((key) => [key, this.stats.snapshot(key)] as const);
    for (const [key, s] of snaps) out.push(`inferd_gateway_in_flight{revision="${escapeLabel(key)}"} ${s.inFlight}`);
    out.push(
      '# HELP inferd_gateway_queued Requests held in the gateway for a revision (replica starting, or all at containerConcurrency).',
    );
    out.push('# TYPE inferd_gateway_queued gauge');
    for (const [key, s] of snaps) out.push(`inferd_gateway_queued{revision="${escapeLabel(key)}"} ${s.queued}`);
    out.push('# HELP inferd_gateway_ejections_total Times a replica was taken out of rotation (outlier ejection).');
    out.push('# TYPE inferd_gateway_ejections_total counter');
    for (const [key, n] of this.#ejections)
      out.push(`inferd_gateway_ejections_total{replica="${escapeLabel(key)}"} ${n}`);
    out.push(
      '# HELP inferd_gateway_cold_start_seconds Time a request was held for a replica to start (scale from zero).',
    );
    out.push('# TYPE inferd_gateway_cold_start_seconds histogram');
    let cumulative = 0;
    for (let i = 0; i < COLD_START_BUCKETS_S.length; i++) {
      cumulative += this.#coldCounts[i]!;
      out.push(`inferd_gateway_cold_start_seconds_bucket{le="${COLD_START_BUCKETS_S[i]}"} ${cumulative}`);
    }
    out.push(`inferd_gateway_cold_start_seconds_bucket{le="+Inf"} ${this.#coldCount}`);
    out.push(`inferd_gateway_cold_start_seconds_sum ${this.#coldSum}`);
    out.push(`inferd_gateway_cold_start_seconds_count ${this.#coldCount}`);
    for (const c of this.#collectors) c.collect(out);
    return `${out.join('\n')}\n`;
  }
}
