// Per-model request counters and latency histograms for `GET /metrics`, in Prometheus text format 0.0.4.
// Hand-written: recording is two array increments, no labels are built per request. Only models in the
// repository get series, so unknown names in URLs cannot grow the label set.
// KServe's per-stage histograms keep their names and label (python/kserve/kserve/metrics.py):
// `request_preprocess_seconds`, `request_predict_seconds`, `request_postprocess_seconds`,
// `request_explain_seconds`, each `{model_name}`. Built-in runtimes have a predict stage only; SDK models
// (src/sdk/served-model.ts) report all four. The gateway adds these pages to its own /metrics on scrape
// (src/gateway/replica-scrape.ts) with the replica's namespace/service/component/revision labels.

/** `grpc` requests are counted with the HTTP status their gRPC status stands for (errors.ts). */
export type Protocol = 'v1' | 'v2' | 'grpc';

/** Upper bounds in seconds; sub-millisecond first: a native predict takes tens of microseconds. */
export const LATENCY_BUCKETS_S = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

class Histogram {
  readonly counts = new Float64Array(LATENCY_BUCKETS_S.length + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_S.length && seconds > LATENCY_BUCKETS_S[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  render(out: string[], name: string, labels: string): void {
    let cumulative = 0;
    for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
      cumulative += this.counts[i]!;
      out.push(`${name}_bucket{${labels},le="${LATENCY_BUCKETS_S[i]}"} ${cumulative}`);
    }
    out.push(`${name}_bucket{${labels},le="+Inf"} ${this.count}`);
    out.push(`${name}_sum{${labels}} ${this.sum}`);
    out.push(`${name}_count{${labels}} ${this.count}`);
  }
}

/** A model's request stages, as KServe times them (`Model.__call__`). */
export type Stage = 'preprocess' | 'predict' | 'postprocess' | 'explain';
const STAGES: readonly Stage[] = ['preprocess', 'predict', 'postprocess', 'explain'];
const STAGE_HELP: Record<Stage, string> = {
  preprocess: 'pre-process request latency',
  predict: 'predict request latency',
  postprocess: 'post-process request latency',
  explain: 'explain request latency',
};

class ModelSeries {
  /** status code → count, per protocol */
  readonly requests: Record<Protocol, Map<number, number>> = { v1: new Map(), v2: new Map(), grpc: new Map() };
  readonly duration: Record<Protocol, Histogram> = { v1: new Histogram(), v2: new Histogram(), grpc: new Histogram() };
  readonly stages: Record<Stage, Histogram> = {
    preprocess: new Histogram(),
    predict: new Histogram(),
    postprocess: new Histogram(),
    explain: new Histogram(),
  };
  /** Seconds the model took to load; undefined when this server did not load it (SDK models loaded before). */
  loadSeconds: number | undefined;
}

const PROTOCOLS = ['v1', 'v2', 'grpc'] as const;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class ServerMetrics {
  readonly #models = new Map<string, ModelSeries>();
  readonly #collectors: ((out: string[]) => void)[] = [];

  /** Adds lines of another component (the payload logger) to every render. */
  addCollector(collect: (out: string[]) => void): void {
    this.#collectors.push(collect);
  }

  #series(model: string): ModelSeries {
    let s = this.#models.get(model);
    if (!s) {
      s = new ModelSeries();
      this.#models.set(model, s);
    }
    return s;
  }

  /** One finished inference request: its status and wall time from first byte read to response written. */
  recordRequest(model: string, protocol: Protocol, status: number, seconds: number): void {
    const s = this.#series(model);
    const m = s.requests[protocol];
    m.set(status, (m.get(status) ?? 0) + 1);
    s.duration[protocol].observe(seconds);
  }

  /** Time spent inside `Model.predict`. */
  recordPredict(model: string, seconds: number): void {
    this.#series(model).stages.predict.observe(seconds);
  }

  /** Time spent in one stage of a whole-request model (preprocess, predict, postprocess, explain). */
  recordStage(model: string, stage: Stage, seconds: number): void {
    this.#series(model).stages[stage].observe(seconds);
  }

  /** How long loading the model took (`inferd_model_load_seconds`). */
  recordLoad(model: string, seconds: number): void {
    this.#series(model).loadSeconds = seconds;
  }

  /** Forgets a model's series (after it is removed from the repository). */
  forget(model: string): void {
    this.#models.delete(model);
  }

  render(): string {
    const out: string[] = [];
    const models = [...this.#models.entries()];
    out.push('# HELP inferd_model_requests_total Inference requests by model, protocol and HTTP status.');
    out.push('# TYPE inferd_model_requests_total counter');
    for (const [name, s] of models) {
      for (const protocol of PROTOCOLS) {
        for (const [code, n] of s.requests[protocol]) {
          out.push(
            `inferd_model_requests_total{model_name="${escapeLabel(name)}",protocol="${protocol}",code="${code}"} ${n}`,
          );
        }
      }
    }
    out.push('# HELP inferd_model_request_duration_seconds Inference request latency, body read to response written.');
    out.push('# TYPE inferd_model_request_duration_seconds histogram');
    for (const [name, s] of models) {
      for (const protocol of PROTOCOLS) {
        const h = s.duration[protocol];
        if (h.count > 0)
          h.render(
            out,
            'inferd_model_request_duration_seconds',
            `model_name="${escapeLabel(name)}",protocol="${protocol}"`,
          );
      }
    }
    for (const stage of STAGES) {
      const metric = `request_${stage}_seconds`;
      out.push(`# HELP ${metric} ${STAGE_HELP[stage]}`);
      out.push(`# TYPE ${metric} histogram`);
      for (const [name, s] of models) {
        const h = s.stages[stage];
        if (h.count > 0) h.render(out, metric, `model_name="${escapeLabel(name)}"`);
      }
    }
    out.push('# HELP inferd_model_load_seconds Time the model took to load in this replica.');
    out.push('# TYPE inferd_model_load_seconds gauge');
    for (const [name, s] of models) {
      if (s.loadSeconds !== undefined)
        out.push(`inferd_model_load_seconds{model_name="${escapeLabel(name)}"} ${s.loadSeconds}`);
    }
    for (const collect of this.#collectors) collect(out);
    return `${out.join('\n')}\n`;
  }
}
