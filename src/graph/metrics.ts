// Per-step series of the graph router on the gateway's GET /metrics (registered as a collector):
// inferd_graph_step_requests_total{namespace,graph,node,step,code} and the latency histogram
// inferd_graph_step_duration_seconds{namespace,graph,node,step}; `code` is "error" when no answer came.

import type { MetricsCollector } from '../gateway/metrics.js';

export const STEP_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

interface StepSeries {
  labels: string;
  codes: Map<string, number>;
  buckets: Float64Array;
  sum: number;
  count: number;
}

export class GraphMetrics implements MetricsCollector {
  readonly #steps = new Map<string, StepSeries>();

  /** One step call ended (status undefined: no answer). */
  step(namespace: string, graph: string, node: string, step: string, status: number | undefined, ms: number): void {
    const labels = `namespace="${escapeLabel(namespace)}",graph="${escapeLabel(graph)}",node="${escapeLabel(node)}",step="${escapeLabel(step)}"`;
    let s = this.#steps.get(labels);
    if (s === undefined) {
      s = { labels, codes: new Map(), buckets: new Float64Array(STEP_BUCKETS_S.length + 1), sum: 0, count: 0 };
      this.#steps.set(labels, s);
    }
    const code = status === undefined ? 'error' : String(status);
    s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
    const sec = ms / 1000;
    let i = 0;
    while (i < STEP_BUCKETS_S.length && sec > STEP_BUCKETS_S[i]!) i++;
    s.buckets[i]!++;
    s.sum += sec;
    s.count++;
  }

  /** Forgets the series of a graph that was deleted or changed. */
  forget(namespace: string, graph: string): void {
    const prefix = `namespace="${escapeLabel(namespace)}",graph="${escapeLabel(graph)}",`;
    for (const k of this.#steps.keys()) if (k.startsWith(prefix)) this.#steps.delete(k);
  }

  collect(out: string[]): void {
    if (this.#steps.size === 0) return;
    out.push('# HELP inferd_graph_step_requests_total Calls of InferenceGraph steps by answer status ("error": none).');
    out.push('# TYPE inferd_graph_step_requests_total counter');
    for (const s of this.#steps.values()) {
      for (const [code, n] of s.codes) out.push(`inferd_graph_step_requests_total{${s.labels},code="${code}"} ${n}`);
    }
    out.push('# HELP inferd_graph_step_duration_seconds Latency of InferenceGraph steps.');
    out.push('# TYPE inferd_graph_step_duration_seconds histogram');
    for (const s of this.#steps.values()) {
      let cumulative = 0;
      STEP_BUCKETS_S.forEach((le, i) => {
        cumulative += s.buckets[i]!;
        out.push(`inferd_graph_step_duration_seconds_bucket{${s.labels},le="${le}"} ${cumulative}`);
      });
      out.push(`inferd_graph_step_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.count}`);
      out.push(`inferd_graph_step_duration_seconds_sum{${s.labels}} ${s.sum}`);
      out.push(`inferd_graph_step_duration_seconds_count{${s.labels}} ${s.count}`);
    }
  }
}
