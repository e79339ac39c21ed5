// Bench case `metrics_overhead` (issue 18): the gateway's rps with per-request metrics on ÷ off (target ≥ 0.97),
// plus the access log's cost (on ÷ off), and a micro-bench of one request's recording with the hand-written
// recorder (src/gateway/metrics.ts) against prom-client 15 with the same labels and buckets. Three `inferd serve
// --demo` run side by side (default, `--metrics=false`, `--access-log /dev/null`). Each round runs wrk for a
// short while against each, one after the other in rotating order, so that the other engineers' load on the
// shared cores hits the runs of one round alike (on this machine runs of the same variant 10 s apart varied
// 5×; two wrk at once were scheduled unfairly, up to 12×); each case is the median of its per-round ratios,
// and the gateway's CPU per request is reported beside it. `npm run bench` runs it in the full run; alone:
//
//   npx tsc && node dist/bench/metrics-overhead.js [--rounds 6] [--seconds 5] [--connections 16]

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Counter, Histogram, Registry } from 'prom-client';
import { GatewayMetrics, REQUEST_BUCKETS_S } from '../src/gateway/metrics.js';
import { EndpointTable, type RevisionRoute, type ServiceEndpoint } from '../src/routing/endpoint-table.js';
import { TrafficStats } from '../src/routing/traffic-stats.js';
import { CLK_TCK, ProcessGroups, readStat } from './proc.js';
import { type InferdServe, startInferd, waitIsvcReady } from './targets.js';
import { luaScript, parseWrkOutput, runWrk } from './wrk.js';

export interface RecordingMicroBench {
  iterations: number;
  /** ns per recorded request: counter + histogram, labels as the gateway writes them. */
  hand_written_ns: number;
  /** prom-client with a label object per call (its documented use). */
  prom_client_ns: number;
  /** prom-client with the label children cached by the caller (its best case). */
  prom_client_cached_children_ns: number;
}

export interface MetricsOverhead {
  rounds: number;
  duration_s: number;
  connections: number;
  rps_metrics_on: number[];
  rps_metrics_off: number[];
  rps_access_log_on: number[];
  /** The gateway's (serve process's) CPU per request in each run, µs: less sensitive to other load than rps. */
  gateway_cpu_us_per_request_on: number[];
  gateway_cpu_us_per_request_off: number[];
  /** Median over rounds of cpu/request(off) / cpu/request(on): the rps ratio a gateway-bound machine would see. */
  metrics_overhead_by_cpu: number;
  /** Median over rounds of rps(metrics on) / rps(metrics off). Target ≥ 0.97. */
  metrics_overhead: number;
  /** Median over rounds of rps(access log to /dev/null) / rps(metrics on, no access log). */
  access_log_overhead: number;
  micro: RecordingMicroBench;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** One request's recording, N times, with each recorder; a few service/status mixes so maps are not trivially hot. */
export function recordingMicroBench(iterations = 2_000_000): RecordingMicroBench {
  const endpoints = new EndpointTable();
  const route: RevisionRoute = {
    revision: 'sklearn-iris-predictor-00001',
    key: 'default/sklearn-iris/sklearn-iris-predictor-00001',
    percent: 100,
    latestRevision: true,
    replicas: [],
    activating: false,
    containerConcurrency: 0,
  };
  const ep: ServiceEndpoint = {
    namespace: 'default',
    name: 'sklearn-iris',
    modelName: 'sklearn-iris',
    routes: [route],
    port: 1,
    revision: route.revision,
    starting: false,
  };
  const seconds = [0.0002, 0.0004, 0.0011, 0.003];
  const codes = [200, 200, 200, 404];
  const hand = new GatewayMetrics(endpoints, new TrafficStats());
  const time = (f: (i: number) => void) => {
    for (let i = 0; i < 200_000; i++) f(i); // warm up (JIT)
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) f(i);
    return Number(process.hrtime.bigint() - t0) / iterations;
  };
  const handNs = time((i) => hand.request(ep, route, 'v1', codes[i & 3]!, seconds[i & 3]!));

  const labelNames = ['namespace', 'service', 'component', 'revision', 'protocol', 'code'] as const;
  const registry = new Registry();
  const counter = new Counter({ name: 'bench_requests_total', help: 'h', labelNames, registers: [registry] });
  const histogram = new Histogram({
    name: 'bench_request_duration_seconds',
    help: 'h',
    labelNames: labelNames.slice(0, 5),
    buckets: [...REQUEST_BUCKETS_S],
    registers: [registry],
  });
  const promNs = time((i) => {
    const labels = {
      namespace: ep.namespace,
      service: ep.name,
      component: 'predictor',
      revision: route.revision,
      protocol: 'v1',
    };
    counter.inc({ ...labels, code: codes[i & 3]! });
    histogram.observe(labels, seconds[i & 3]!);
  });
  const children = new Map<number, ReturnType<typeof counter.labels>>();
  const hist = histogram.labels(ep.namespace, ep.name, 'predictor', route.revision, 'v1');
  const promCachedNs = time((i) => {
    const code = codes[i & 3]!;
    let c = children.get(code);
    if (c === undefined) {
      c = counter.labels(ep.namespace, ep.name, 'predictor', route.revision, 'v1', String(code));
      children.set(code, c);
    }
    c.inc();
    hist.observe(seconds[i & 3]!);
  });
  return {
    iterations,
    hand_written_ns: round(handNs, 1),
    prom_client_ns: round(promNs, 1),
    prom_client_cached_children_ns: round(promCachedNs, 1),
  };
}

const BODY = JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] });

/** Starts the three serves, alternates wrk between them, stops them. */
export async function measureMetricsOverhead(opts: {
  groups: ProcessGroups;
  rounds: number;
  durationS: number;
  connections: number;
  log: (s: string) => void;
  track?: (pid: number, done: Promise<void>) => void;
}): Promise<MetricsOverhead> {
  const { groups, log } = opts;
  const work = mkdtempSync(join(tmpdir(), 'inferd-bench-metrics-'));
  const serves: InferdServe[] = [];
  try {
    const variants: [string, string[]][] = [
      ['on', []],
      ['off', ['--metrics=false']],
      ['access-log', ['--access-log', '/dev/null']],
    ];
    for (const [name, serveArgs] of variants) {
      serves.push(await startInferd(groups, { stateDir: join(work, name), demo: true, serveArgs }));
    }
    for (const s of serves) await waitIsvcReady(s.url, 'default', 'sklearn-iris', 60_000);
    const bodyFile = join(work, 'body.json');
    writeFileSync(bodyFile, BODY);
    const script = join(work, 'post.lua');
    writeFileSync(script, luaScript(bodyFile, { 'content-type': 'application/json' }));
    const rps: number[][] = [[], [], []];
    const cpu: number[][] = [[], [], []];
    const hit = async (i: number, seconds: number) => {
      const pid = serves[i]!.started.pid;
      const before = readStat(pid)?.cpuTicks ?? 0;
      const out = await runWrk(
        {
          url: `${serves[i]!.url}/v1/models/sklearn-iris:predict`,
          scriptFile: script,
          connections: opts.connections,
          durationS: seconds,
        },
        opts.track,
      );
      const r = parseWrkOutput(out);
      if (r.non2xx > 0 || r.socketErrors > 0)
        throw new Error(`wrk: ${r.non2xx} non-2xx, ${r.socketErrors} socket errors`);
      const ticks = (readStat(pid)?.cpuTicks ?? 0) - before;
      cpu[i]!.push(((ticks / CLK_TCK) * 1e6) / Math.max(1, r.requests));
      return r.rps;
    };
    for (let i = 0; i < 3; i++) await hit(i, 2); // warm up each gateway and replica
    for (const c of cpu) c.length = 0;
    for (let round_ = 0; round_ < opts.rounds; round_++) {
      // Rotating order: each variant goes first, second and third equally often.
      const order = [0, 1, 2].map((k) => (k + round_) % 3);
      for (const i of order) rps[i]!.push(await hit(i, opts.durationS));
      log(
        `  round ${round_ + 1}/${opts.rounds}: metrics on ${Math.round(rps[0]!.at(-1)!)} rps (${round(cpu[0]!.at(-1)!, 1)} µs CPU/req), off ${Math.round(rps[1]!.at(-1)!)} (${round(cpu[1]!.at(-1)!, 1)}), access log on ${Math.round(rps[2]!.at(-1)!)} (${round(cpu[2]!.at(-1)!, 1)})`,
      );
    }
    const ratio = (a: number[], b: number[]) => median(a.map((x, k) => x / b[k]!));
    const accessLogRatio = ratio(rps[2]!, rps[0]!);
    return {
      rounds: opts.rounds,
      duration_s: opts.durationS,
      connections: opts.connections,
      rps_metrics_on: rps[0]!.map((x) => Math.round(x)),
      rps_metrics_off: rps[1]!.map((x) => Math.round(x)),
      rps_access_log_on: rps[2]!.map((x) => Math.round(x)),
      gateway_cpu_us_per_request_on: cpu[0]!.map((x) => round(x, 1)),
      gateway_cpu_us_per_request_off: cpu[1]!.map((x) => round(x, 1)),
      metrics_overhead_by_cpu: round(ratio(cpu[1]!, cpu[0]!)),
      metrics_overhead: round(ratio(rps[0]!, rps[1]!)),
      access_log_overhead: round(accessLogRatio),
      micro: recordingMicroBench(),
    };
  } finally {
    for (const s of serves) await groups.stop(s.started.pid, 20_000);
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '6' },
      seconds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '16' },
      'micro-only': { type: 'boolean', default: false },
    },
  });
  const groups = new ProcessGroups();
  const stop = () => groups.stopAll().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const run = values['micro-only']
    ? Promise.resolve({ micro: recordingMicroBench() })
    : measureMetricsOverhead({
        groups,
        rounds: Number(values.rounds),
        durationS: Number(values.seconds),
        connections: Number(values.connections),
        log: (s) => process.stdout.write(`${s}\n`),
      });
  run.then(
    async (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      await groups.stopAll();
      process.exit(0);
    },
    async (err) => {
      process.stderr.write(`metrics overhead failed: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
      await groups.stopAll();
      process.exit(1);
    },
  );
}
