// Charts from the gateway's `GET /metrics` (Prometheus text), computed here in the browser: request rate and
// error rate over the difference between two scrapes, p50/p99 from the latency histogram's buckets (as
// Prometheus' histogram_quantile does). Series follow docs/metrics (namespace/service labels); before those
// exist, the gateway's per-revision counters (`revision="ns/name/rev"`) still give the rate. Any series may be
// missing: the value is then undefined and the chart says "no data". Pure (no DOM): test/ui/metrics.test.ts.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) {
      for (const l of m[2].matchAll(LABEL)) {
        labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      }
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** One scrape reduced to one service's numbers (undefined: the series does not exist). */
export interface ServiceSnapshot {
  /** Seconds since some epoch (the scrape's time). */
  t: number;
  requests?: number;
  errors?: number;
  /** Cumulative latency buckets: upper bound (seconds) → count. */
  buckets?: Map<number, number>;
  replicasReady?: number;
  replicasDesired?: number;
}

export const REQUESTS = 'inferd_gateway_requests_total';
export const DURATION_BUCKET = 'inferd_gateway_request_duration_seconds_bucket';
export const REPLICAS = 'inferd_replicas';

/** Does a sample belong to `namespace/name`? The contract's labels, else the older `revision="ns/name/rev"`. */
function belongs(s: Sample, namespace: string, name: string): boolean {
  if (s.labels.service !== undefined) return s.labels.service === name && s.labels.namespace === namespace;
  const rev = s.labels.revision;
  return rev?.startsWith(`${namespace}/${name}/`) === true;
}

function isError(s: Sample): boolean {
  const code = s.labels.code ?? s.labels.code_class ?? '';
  return code.startsWith('4') || code.startsWith('5');
}

export function snapshot(samples: readonly Sample[], namespace: string, name: string, t: number): ServiceSnapshot {
  const snap: ServiceSnapshot = { t };
  const requests = samples.filter((s) => s.name === REQUESTS);
  // When the contract's labels exist, the older per-revision form (if still present) would count twice.
  const labelled = requests.some((s) => s.labels.service !== undefined);
  for (const s of requests) {
    if (labelled && s.labels.service === undefined) continue;
    if (!belongs(s, namespace, name)) continue;
    snap.requests = (snap.requests ?? 0) + s.value;
    if (isError(s)) snap.errors = (snap.errors ?? 0) + s.value;
    else snap.errors ??= 0;
  }
  for (const s of samples) {
    if (s.name === DURATION_BUCKET && belongs(s, namespace, name)) {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      if (Number.isNaN(le)) continue;
      snap.buckets ??= new Map();
      snap.buckets.set(le, (snap.buckets.get(le) ?? 0) + s.value);
    } else if (s.name === REPLICAS && belongs(s, namespace, name)) {
      if (s.labels.state === 'ready') snap.replicasReady = (snap.replicasReady ?? 0) + s.value;
      else if (s.labels.state === 'desired') snap.replicasDesired = (snap.replicasDesired ?? 0) + s.value;
    }
  }
  return snap;
}

/** histogram_quantile over cumulative buckets (upper bound → count); undefined with no observations. */
export function quantile(q: number, buckets: ReadonlyMap<number, number>): number | undefined {
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  if (sorted.length === 0) return undefined;
  const total = sorted[sorted.length - 1]![1];
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      // The +Inf bucket has no upper edge: answer the highest finite bound, as Prometheus does.
      if (bound === Infinity) return prevBound;
      if (count === prevCount) return bound;
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / (count - prevCount);
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

/** What one chart point shows: rates per second over the interval, latencies in milliseconds. */
export interface Point {
  t: number;
  rps?: number;
  errorsPerSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
  replicasReady?: number;
  replicasDesired?: number;
}

/** The point between two scrapes. Counters that went down (a restart) count from zero. */
export function pointBetween(prev: ServiceSnapshot, cur: ServiceSnapshot): Point {
  const dt = cur.t - prev.t;
  const p: Point = { t: cur.t };
  const delta = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : b >= a ? b - a : b;
  if (dt > 0) {
    const dr = delta(prev.requests ?? (cur.requests !== undefined ? 0 : undefined), cur.requests);
    if (dr !== undefined) p.rps = dr / dt;
    const de = delta(prev.errors ?? (cur.errors !== undefined ? 0 : undefined), cur.errors);
    if (de !== undefined) p.errorsPerSecond = de / dt;
  }
  if (cur.buckets) {
    const diff = new Map<number, number>();
    for (const [le, c] of cur.buckets) diff.set(le, delta(prev.buckets?.get(le) ?? 0, c) ?? 0);
    const p50 = quantile(0.5, diff);
    const p99 = quantile(0.99, diff);
    if (p50 !== undefined) p.p50Ms = p50 * 1000;
    if (p99 !== undefined) p.p99Ms = p99 * 1000;
  }
  if (cur.replicasReady !== undefined) p.replicasReady = cur.replicasReady;
  if (cur.replicasDesired !== undefined) p.replicasDesired = cur.replicasDesired;
  return p;
}
