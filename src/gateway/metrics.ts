// The gateway's metrics for `GET /metrics` on its port, in Prometheus text format 0.0.4: requests by
// revision and code class, in-flight and queued per revision (read from TrafficStats when scraped), the
// gateway's own refusals (429 queue full, 503 not started in time, 504 timeout), ejections, and the
// cold-start histogram (time a request was held for a replica to start). Hand-written like
// src/server/metrics.ts: recording is an array increment, no label strings are built per request.
// Other components (the autoscaler) add their series with `register`.

import type { EndpointTable } from '../routing/endpoint-table.js';
import type { TrafficStats } from '../routing/traffic-stats.js';

/** Cold-start buckets in seconds: a native model loads in tens of ms, a Python one in seconds. */
export const COLD_START_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Something that appends its series (HELP, TYPE and samples) to a scrape. */
export interface MetricsCollector {
  collect(out: string[]): void;
}

export class GatewayMetrics {
  /** revision key → answers by code class (index 0 = 1xx ... 4 = 5xx). */
  readonly #requests = new Map<string, Float64Array>();
  /** `${revision key}\n${code}` → refusals the gateway answered itself. */
  readonly #refused = new Map<string, number>();
  /** replica key → ejections. */
  readonly #ejections = new Map<string, number>();
  readonly #coldCounts = new Float64Array(COLD_START_BUCKETS_S.length + 1);
  #coldSum = 0;
  #coldCount = 0;
  readonly #collectors: MetricsCollector[] = [];

  constructor(
    private readonly endpoints: EndpointTable,
    private readonly stats: TrafficStats,
  ) {}

  /** Adds another component's series to every scrape (the autoscaler's decisions, desired replicas). */
  register(collector: MetricsCollector): void {
    this.#collectors.push(collector);
  }

  /** One answer relayed from a replica (or failed on the way) for a revision. */
  answered(revisionKey: string, status: number): void {
    let a = this.#requests.get(revisionKey);
    if (a === undefined) {
      a = new Float64Array(5);
      this.#requests.set(revisionKey, a);
    }
    const cls = Math.trunc(status / 100) - 1;
    a[cls >= 0 && cls < 5 ? cls : 4]!++;
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
    for (const key of this.#requests.keys()) if (!revisions.has(key)) this.#requests.delete(key);
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
    out.push('# HELP inferd_gateway_requests_total Requests the gateway relayed to a revision, by answer code class.');
    out.push('# TYPE inferd_gateway_requests_total counter');
    for (const [key, a] of this.#requests) {
      for (let i = 0; i < 5; i++) {
        if (a[i]! > 0)
          out.push(`inferd_gateway_requests_total{revision="${escapeLabel(key)}",code_class="${CLASSES[i]}"} ${a[i]}`);
      }
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
    for (const ep of this.endpoints.all()) for (const r of ep.routes) revisions.add(r.key);
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
