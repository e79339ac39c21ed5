// `npm run bench [-- --quick] [-- --no-profile] [-- --no-kserve] [-- --heavy-only|--traffic-only|--transformer-only|--grpc-only|--density-only]`: inferd (through its gateway
// and at the replica), KServe v0.12.1's sklearnserver and a bare node:http server, side by side under the same
// wrk load on 127.0.0.1; cold start; memory per model; a CPU profile of the hot path; the heavy models
// (bench/heavy.ts: kernel times against the native libraries, and served against KServe's sklearnserver/
// xgbserver in the full run). Prints the table and the ratios of the performance targets and writes
// bench/results/latest.json.
// Every process it starts is stopped by its process group, also on errors and Ctrl-C.

import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CpuProfile, formatSummary, type ProfileSummary, summarizeProfile } from './cpuprofile.js';
import { type GraphOverhead, measureGraphOverhead } from './graph-overhead.js';
import { type GrpcFigures, type GrpcTarget, grpcRatios, h2loadVersion, measureGrpc } from './grpc.js';
import {
  HEAVY_MODELS,
  type HeavyModel,
  type HeavyResults,
  heavyKernels,
  heavyRatios,
  heavyServing,
  prepareHeavyModels,
} from './heavy.js';
import { request } from './http-client.js';
import { type CaseSpec, type MeasureOptions, measureCase } from './measure.js';
import { type MetricsOverhead, measureMetricsOverhead } from './metrics-overhead.js';
import { bigBinary, bigJson, type Payload, v1Iris, v2Iris } from './payloads.js';
import { ProcessGroups, sampleTree } from './proc.js';
import {
  type CaseResult,
  type ColdStart,
  checkTargets,
  computeRatios,
  type Density,
  type DensityPoint,
  formatRatios,
  formatTable,
  type Results,
  round,
  summarizeDensity,
  validateResults,
} from './results.js';
import {
  applyIsvc,
  type Bare,
  cliEntry,
  countReady,
  findReplica,
  type InferdServe,
  ISVC_API,
  irisModelDir,
  isvcManifest,
  type KServe,
  type Replica,
  repoRoot,
  type Sdk,
  startBare,
  startInferd,
  startKServe,
  startSdk,
  waitIsvcReady,
} from './targets.js';
import { type TrafficResults, trafficBench } from './traffic.js';
import { measureTrainedModels, type TrainedModelFigures, trainedModelRatios } from './trained-models.js';
import { measureTransformerHop, type TransformerHop } from './transformer-hop.js';
import { ensureWrk } from './wrk.js';

interface Flags {
  quick: boolean;
  profile: boolean;
  kserve: boolean;
  /** Only the heavy models (kernels, and their serving cases unless --quick). */
  heavyOnly: boolean;
  /** --heavy-models=mlp,onnx: the heavy models measured (undefined: all, LightGBM's kernel included). */
  heavyModels: readonly HeavyModel[] | undefined;
  /** Only issue 14's traffic figures (cold start from zero, scale-out, canary overhead). */
  trafficOnly: boolean;
  transformerOnly: boolean;
  /** Only issue 18's metrics_overhead (three serves; bench/metrics-overhead.ts). */
  metricsOnly: boolean;
  /** Only grpc_vs_kserve (with KServe started for it). */
  grpcOnly: boolean;
  /** Only issue 16's memory figures: density (mib_per_extra_model) and the TrainedModels' (bench/trained-models.ts). */
  densityOnly: boolean;
  density: number[];
  out: string;
}

/** --heavy-models=LIST, checked against HEAVY_MODELS (exits 2 naming an unknown one). */
function heavyModelsArg(argv: string[]): readonly HeavyModel[] | undefined {
  const arg = argv.find((a) => a.startsWith('--heavy-models='));
  if (!arg) return undefined;
  const names = arg.slice('--heavy-models='.length).split(',').filter(Boolean);
  const unknown = names.filter((n) => !(HEAVY_MODELS as readonly string[]).includes(n));
  if (unknown.length || names.length === 0) {
    process.stderr.write(
      `--heavy-models: unknown ${unknown.join(', ') || '(none given)'}; known: ${HEAVY_MODELS.join(',')}\n`,
    );
    process.exit(2);
  }
  return names as HeavyModel[];
}

function parseFlags(argv: string[]): Flags {
  const quick = argv.includes('--quick');
  const densityArg = argv.find((a) => a.startsWith('--density='));
  const outArg = argv.find((a) => a.startsWith('--out='));
  const known =
    /^--(quick|profile|no-profile|no-kserve|heavy-only|heavy-models=[a-z,]+|traffic-only|transformer-only|metrics-only|grpc-only|density-only|density=[\d,]+|out=.+|help)$/;
  const unknown = argv.filter((a) => !known.test(a));
  if (argv.includes('--help') || unknown.length) {
    process.stdout.write(
      `${unknown.length ? `unknown flags: ${unknown.join(' ')}\n` : ''}usage: npm run bench -- [--quick] [--profile|--no-profile] [--no-kserve] [--heavy-only] [--heavy-models=${HEAVY_MODELS.join(',')}] [--traffic-only] [--transformer-only] [--metrics-only] [--grpc-only] [--density-only] [--density=1,10,100] [--out=FILE]\n`,
    );
    process.exit(unknown.length ? 2 : 0);
  }
  return {
    quick,
    profile: argv.includes('--profile') || (!quick && !argv.includes('--no-profile')),
    kserve: !argv.includes('--no-kserve'),
    heavyOnly: argv.includes('--heavy-only'),
    heavyModels: heavyModelsArg(argv),
    trafficOnly: argv.includes('--traffic-only'),
    transformerOnly: argv.includes('--transformer-only'),
    metricsOnly: argv.includes('--metrics-only'),
    grpcOnly: argv.includes('--grpc-only'),
    densityOnly: argv.includes('--density-only'),
    density: densityArg
      ? densityArg
          .slice('--density='.length)
          .split(',')
          .map(Number)
          .filter((n) => n > 0)
      : quick
        ? [1, 4]
        : [1, 10, 100],
    out: outArg ? outArg.slice('--out='.length) : join(repoRoot, 'bench', 'results', 'latest.json'),
  };
}

const groups = new ProcessGroups();
const wrkPids = new Set<number>();
let interrupted = false;

function log(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : Number.NaN;
};

function machineInfo(): Omit<Results['machine'], 'loadavg_end'> {
  let osName = `${os.type()} ${os.release()}`;
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) osName = `${m[1]} (${os.release()})`;
  } catch {
    // keep uname
  }
  let wrk = '';
  try {
    wrk = execFileSync('/usr/bin/wrk', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  } catch (err) {
    // wrk --version exits 1 after printing
    wrk = String((err as { stdout?: string }).stdout ?? '').split('\n')[0] ?? '';
  }
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    mem_gib: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    os: osName,
    wrk: wrk.trim(),
    loadavg_start: readFileSync('/proc/loadavg', 'utf8').trim(),
    note: 'shared machine: other engineers build and test on the same cores while the bench runs; other_cpu_cores in each case says how much CPU they used during it',
  };
}

/** Asks until the answer is right; returns the elapsed ms and the status changes seen on the way. */
async function firstAnswerVia(
  url: string,
  host: string | undefined,
  p: Payload,
  model: string,
  timeoutMs: number,
): Promise<{ ms: number; trace: string[] }> {
  const t0 = performance.now();
  const deadline = Date.now() + timeoutMs;
  let last = '';
  const trace: string[] = [];
  let lastStatus = '';
  while (Date.now() < deadline) {
    let status: string;
    try {
      const r = await request(url + p.path(model), {
        method: 'POST',
        headers: { ...p.headers, ...(host ? { host } : {}) },
        body: p.body,
        timeoutMs: Math.max(100, deadline - Date.now()),
      });
      const wrong = p.check(r);
      status = String(r.status);
      if (!wrong)
        return { ms: performance.now() - t0, trace: [...trace, `${status}@${(performance.now() - t0).toFixed(0)}ms`] };
      last = wrong;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
      status = 'error';
    }
    if (status !== lastStatus) trace.push(`${status}@${(performance.now() - t0).toFixed(0)}ms`);
    lastStatus = status;
    await sleep(5);
  }
  throw new Error(`no right answer from ${model} within ${timeoutMs} ms (last: ${last}; trace ${trace.join(' ')})`);
}

async function deleteIsvc(url: string, ns: string, name: string): Promise<void> {
  await request(`${url}${ISVC_API}/${ns}/inferenceservices/${name}`, { method: 'DELETE', timeoutMs: 15_000 }).catch(
    () => undefined,
  );
}

/** Cold start: POST an InferenceService, then ask it (through the gateway) until it answers right. */
async function measureColdStart(serve: InferdServe, runs: number, timeoutMs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const name = `bench-cold-${i}`;
    const host = `${name}.default.example.com`;
    const t0 = performance.now();
    await applyIsvc(serve.url, isvcManifest(name, irisModelDir));
    const applyMs = performance.now() - t0;
    const answered = await firstAnswerVia(serve.url, host, v1Iris, name, timeoutMs);
    out.push(round(performance.now() - t0, 1));
    log(
      `  apply → first answer (${name}): ${out[out.length - 1]} ms (POST ${applyMs.toFixed(0)} ms; answers: ${answered.trace.join(' ')})`,
    );
    if (answered.ms > 3_000) {
      const logs = await request(`${serve.url}${ISVC_API}/default/inferenceservices/${name}/log?tailLines=20`).catch(
        () => undefined,
      );
      log(`  slow cold start; service log tail:\n${logs?.body.toString() ?? '(none)'}`);
    }
    await deleteIsvc(serve.url, 'default', name);
    await sleep(300);
  }
  return out;
}

/** The density models, in turn: iris-size models of each native runtime (sklearn, xgboost, lightgbm, onnx). */
const DENSITY_MODELS: readonly { format: string; dir: string }[] = [
  { format: 'sklearn', dir: irisModelDir },
  { format: 'xgboost', dir: join(repoRoot, 'test', 'fixtures', 'xgboost', 'models', 'multi_softmax_iris', 'json') },
  { format: 'lightgbm', dir: join(repoRoot, 'test', 'fixtures', 'lightgbm', 'models', 'leaves_rf_iris') },
  { format: 'onnx', dir: join(repoRoot, 'test', 'fixtures', 'onnx', 'fixed') },
];

/**
 * RSS of one `inferd serve` tree with N models Ready, for each N in sizes (ascending). Models already Ready in
 * namespace default (the demo) count; more are applied as `bench-d-i`, across the native runtimes in turn.
 * Bounded by deadline.
 */
async function densityPoints(serve: InferdServe, sizes: number[], deadline: number): Promise<DensityPoint[]> {
  const points: DensityPoint[] = [];
  let applied = await countReady(serve.url, 'default');
  let next = 0;
  for (const n of [...sizes].sort((a, b) => a - b)) {
    if (Date.now() > deadline) {
      log(`  density: time box spent, stopping before ${n} models`);
      break;
    }
    const t0 = performance.now();
    for (; applied < n; applied++) {
      const m = DENSITY_MODELS[next % DENSITY_MODELS.length]!;
      await applyIsvc(serve.url, isvcManifest(`bench-d-${next++}`, m.dir, 'default', m.format));
    }
    let ready = 0;
    while (Date.now() < deadline) {
      ready = await countReady(serve.url, 'default');
      if (ready >= n) break;
      await sleep(250);
    }
    await sleep(500); // let the new processes settle
    const tree = sampleTree(serve.started.pid);
    const point: DensityPoint = {
      models_applied: n,
      models_ready: ready,
      processes: tree.pids.length,
      rss_mib: round(tree.rssBytes / 1048576, 1),
      wait_ms: round(performance.now() - t0, 0),
    };
    points.push(point);
    log(`  density: ${ready}/${n} ready, ${point.processes} processes, ${point.rss_mib} MiB (${point.wait_ms} ms)`);
    if (ready < n) break;
  }
  return points;
}

/** Deletes the density models and waits (bounded) until their replica processes are gone. */
async function removeDensityModels(serve: InferdServe, count: number): Promise<void> {
  const before = sampleTree(serve.started.pid).pids.length;
  for (let i = 0; i < count; i++) await deleteIsvc(serve.url, 'default', `bench-d-${i}`);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && sampleTree(serve.started.pid).pids.length > before - count) await sleep(100);
}

interface ProfileOut {
  duration_s: number;
  load: string;
  rps: number | null;
  gateway?: ProfileSummary;
  replica?: ProfileSummary;
  files: string[];
  note?: string;
}

type ProfileLoad = 'v1_c16_gateway' | 'v2_1mib_json_c1_replica';

/**
 * node --cpu-prof on `inferd serve` and (inherited through fork) its replica under one load: V1 c16
 * through the gateway, or 1 MiB V2 JSON at the replica. Profiles go to bench/results/profiles/<load>/.
 */
async function profileHotPath(
  workDir: string,
  load: ProfileLoad,
  durationS: number,
  m: MeasureOptions,
): Promise<ProfileOut> {
  const profDir = mkdtempSync(join(workDir, `prof-${load}-`));
  const preload = pathToFileURL(join(repoRoot, 'dist', 'bench', 'exit-on-signal.js')).href;
  const serve = await startInferd(groups, {
    stateDir: mkdtempSync(join(workDir, 'prof-state-')),
    demo: true,
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir, '--import', preload],
  });
  let rps: number | null = null;
  let replica: Replica | undefined;
  try {
    await waitIsvcReady(serve.url, 'default', 'sklearn-iris', 60_000, () => !serve.started.exited());
    replica = await findReplica(serve.started.pid, 'sklearn-iris');
    const spec: CaseSpec =
      load === 'v1_c16_gateway'
        ? {
            target: 'inferd-gateway',
            payload: v1Iris,
            baseUrl: serve.url,
            model: 'sklearn-iris',
            connections: 16,
            headers: { Host: 'sklearn-iris.default.example.com' },
            serverPids: [serve.started.pid],
          }
        : {
            target: 'inferd-replica',
            payload: bigJson(),
            baseUrl: `http://127.0.0.1:${replica.port}`,
            model: 'sklearn-iris',
            connections: 1,
            serverPids: [serve.started.pid],
          };
    const r = await measureCase(spec, { ...m, durationS, warmupS: 0, maxRuns: 1, quietWaitMs: 0 });
    rps = r.rps;
  } finally {
    await groups.stop(serve.started.pid, 20_000);
  }
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  const out: ProfileOut = {
    duration_s: durationS,
    load:
      load === 'v1_c16_gateway'
        ? 'wrk V1 iris predict, 16 connections, through the gateway (Host header)'
        : 'wrk V2 infer, 1 MiB FP32 JSON [65536, 4], 1 connection, at the replica',
    rps,
    files: [],
  };
  for (const f of files) {
    const pid = Number(f.split('.')[3]);
    const role = pid === serve.started.pid ? 'gateway' : pid === replica?.pid ? 'replica' : undefined;
    if (!role || (load !== 'v1_c16_gateway' && role === 'gateway')) continue;
    const summary = summarizeProfile(JSON.parse(readFileSync(join(profDir, f), 'utf8')) as CpuProfile, 15, repoRoot);
    out[role] = summary;
    // Kept as bench/results/profile-<load>-<role>.cpuprofile.json (git-ignored; DevTools opens it).
    const kept = join('bench', 'results', `profile-${load}-${role}.cpuprofile.json`);
    copyFileSync(join(profDir, f), join(repoRoot, kept));
    out.files.push(kept);
    log(formatSummary(`${load} ${role} (${f})`, summary));
  }
  if (!out.replica || (load === 'v1_c16_gateway' && !out.gateway))
    out.note = `profiles found: ${files.join(', ') || 'none'} (a process that does not exit normally writes none)`;
  return out;
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  const startedAt = new Date();
  const t0 = performance.now();
  for (const f of [cliEntry, join(repoRoot, 'dist', 'src', 'server', 'main.js')])
    if (!existsSync(f)) throw new Error(`${f} is missing: run npm run build first`);
  ensureWrk(log);
  const machine = machineInfo();
  log(
    `inferd bench (${flags.quick ? 'quick' : 'full'}) on ${machine.cpus}× ${machine.cpu_model}, node ${machine.node}, loadavg ${machine.loadavg_start}`,
  );
  const workDir = mkdtempSync(join(os.tmpdir(), 'inferd-bench-'));
  // --heavy-only / --traffic-only / --transformer-only: one section on the demo serve, nothing else.
  const onlySection =
    flags.heavyOnly ||
    flags.trafficOnly ||
    flags.transformerOnly ||
    flags.metricsOnly ||
    flags.grpcOnly ||
    flags.densityOnly;
  // --quick is time-boxed: phases that would not fit are skipped (and say so) rather than overrun 60 s.
  // 44 s for the harness leaves room for `npm run build` (tsc) inside the 60 s of `npm run bench -- --quick`.
  const budgetEnd = flags.quick ? t0 + 44_000 : Number.POSITIVE_INFINITY;
  const leftMs = () => budgetEnd - performance.now();
  const m: MeasureOptions = {
    durationS: flags.quick ? 2 : 5,
    warmupS: 1,
    maxRuns: flags.quick ? 2 : 3,
    busyThresholdCores: 0.25,
    quietWaitMs: flags.quick ? 0 : 3_000,
    workDir,
    log,
    canRepeat: () => leftMs() > 20_000,
    track: (pid, done) => {
      wrkPids.add(pid);
      done.then(() => wrkPids.delete(pid));
    },
  };
  const cases: CaseResult[] = [];
  const cold: ColdStart = {
    serve_start_to_ready_ms: null,
    serve_start_to_listening_ms: null,
    apply_to_first_answer_ms: null,
    apply_to_first_answer_runs_ms: [],
    kserve_start_to_ready_ms: null,
    kserve_start_to_first_answer_ms: null,
  };
  const density: Density = {
    points: [],
    mib_per_extra_model: null,
    kserve_mib_per_model: null,
    rss_mib_100_models: null,
    rss_100_extrapolated: false,
  };
  const profile: Partial<Record<ProfileLoad, ProfileOut>> = {};
  const notes: string[] = [];

  // (a) inferd serve --demo: start → listening → the demo service answers.
  log('starting inferd serve --demo');
  const serve = await startInferd(groups, { stateDir: mkdtempSync(join(workDir, 'state-')), demo: true });
  cold.serve_start_to_listening_ms = round(serve.listeningMs, 1);
  const readyAfter = await waitIsvcReady(serve.url, 'default', 'sklearn-iris', 60_000, () => !serve.started.exited());
  const first = await firstAnswerVia(serve.url, 'sklearn-iris.default.example.com', v1Iris, 'sklearn-iris', 10_000);
  cold.serve_start_to_ready_ms = round(serve.listeningMs + readyAfter + first.ms, 1);
  log(
    `  listening after ${cold.serve_start_to_listening_ms} ms, demo answers after ${cold.serve_start_to_ready_ms} ms`,
  );
  const replica = await findReplica(serve.started.pid, 'sklearn-iris');
  const replicaUrl = `http://127.0.0.1:${replica.port}`;
  log(`  replica pid ${replica.pid} on port ${replica.port}`);

  // Cold start: apply → first answer on the running serve, before anything else runs beside it.
  if (!interrupted && !onlySection) {
    log('cold start: apply an InferenceService → first answer through the gateway');
    try {
      const runs = await measureColdStart(serve, flags.quick ? 1 : 3, flags.quick ? 15_000 : 60_000);
      cold.apply_to_first_answer_runs_ms = runs;
      cold.apply_to_first_answer_ms = round(median(runs), 1);
    } catch (err) {
      notes.push(`cold start failed: ${err instanceof Error ? err.message : String(err)}`);
      log(`  ${notes[notes.length - 1]}`);
    }
  }

  // A linear model for the 1 MiB codec comparison where the model's own compute is negligible (binary_vs_json_1mib,
  // in --quick too: it is the target's case).
  let linear: { url: string; model: string } | undefined;
  if (!onlySection) {
    try {
      const linearDir = join(repoRoot, 'test', 'fixtures', 'sklearn', 'models', 'logreg_multinomial_iris');
      await applyIsvc(serve.url, isvcManifest('bench-linear', linearDir));
      await waitIsvcReady(serve.url, 'default', 'bench-linear', 60_000);
      const lr = await findReplica(serve.started.pid, 'bench-linear');
      linear = { url: `http://127.0.0.1:${lr.port}`, model: 'bench-linear' };
    } catch (err) {
      notes.push(`linear 1 MiB variant skipped: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // (c) bare node:http answering the replica's bytes.
  let bare: Bare | undefined;
  try {
    if (!onlySection)
      bare = await startBare(groups, { replicaUrl, model: 'sklearn-iris', payloads: [v1Iris, v2Iris], workDir });
  } catch (err) {
    notes.push(`bare server failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  // The TypeScript SDK on the same iris logic (`inferd run bench/sdk-iris-model.ts`), for sdk_vs_builtin_rps.
  let sdk: Sdk | undefined;
  try {
    if (!onlySection) sdk = await startSdk(groups, { modelDir: irisModelDir, model: 'sklearn-iris' });
  } catch (err) {
    notes.push(`SDK server failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  // (b) KServe's own server on the same model file. --quick measures density on the running serve while
  // KServe boots (RSS does not care about CPU contention; KServe's start time then does, and says so).
  let kserve: KServe | undefined;
  const irisKServe = flags.kserve && (!onlySection || flags.grpcOnly);
  const kserveStart = irisKServe
    ? startKServe(groups, { modelDir: irisModelDir, firstRequest: v1Iris })
    : Promise.reject(new Error('--no-kserve'));
  kserveStart.catch(() => undefined);
  if (irisKServe) log('starting KServe v0.12.1 sklearnserver');
  if (flags.quick && !onlySection) {
    log(`density: RSS of inferd serve + replicas with ${flags.density.join(', ')} models (during the KServe start)`);
    try {
      density.points = await densityPoints(serve, flags.density, Date.now() + 20_000);
      await removeDensityModels(serve, Math.max(0, (density.points.at(-1)?.models_applied ?? 1) - 1));
      density.note = 'measured on the demo serve while KServe was starting (--quick)';
    } catch (err) {
      notes.push(`density failed: ${err instanceof Error ? err.message : String(err)}`);
      log(`  ${notes[notes.length - 1]}`);
    }
  }
  if (irisKServe) {
    try {
      kserve = await kserveStart;
      if (flags.quick) cold.note = 'KServe start measured while inferd loaded the density models (--quick)';
      cold.kserve_start_to_ready_ms = round(kserve.startToReadyMs, 1);
      cold.kserve_start_to_first_answer_ms = round(kserve.startToFirstAnswerMs, 1);
      if (kserve.aptInstalled)
        cold.note = `${cold.note ? `${cold.note}; ` : ''}KServe start includes a first-time apt-get install of its packages`;
      log(`  KServe ready after ${cold.kserve_start_to_ready_ms} ms`);
    } catch (err) {
      notes.push(`KServe failed to start: ${err instanceof Error ? err.message : String(err)}`);
      log(`  ${notes[notes.length - 1]}`);
    }
  }

  const allRoots = () =>
    [serve.started.pid, bare?.started.pid, kserve?.started.pid, sdk?.started.pid].filter((p) => p !== undefined);
  const run = async (spec: CaseSpec) => {
    if (interrupted) return;
    if (leftMs() < 6_000) {
      notes.push(
        `${spec.target} ${spec.payload.id}${spec.variant ?? ''}_c${spec.connections} skipped: --quick time box`,
      );
      return;
    }
    const own = () => allRoots().filter((p) => !spec.serverPids.includes(p));
    const result = await measureCase(spec, { ...m, ownPids: own });
    cases.push(result);
    return result;
  };
  const gatewayHost = { Host: 'sklearn-iris.default.example.com' };
  const small = (payload: Payload, c: number) => {
    const specs: CaseSpec[] = [];
    const base = { payload, model: 'sklearn-iris', connections: c };
    if (bare) specs.push({ ...base, target: 'bare-node', baseUrl: bare.url, serverPids: [bare.started.pid] });
    specs.push({ ...base, target: 'inferd-replica', baseUrl: replicaUrl, serverPids: [serve.started.pid] });
    // V1 only: the SDK case compares the SDK path with the built-in one on the same iris logic.
    if (sdk && payload === v1Iris)
      specs.push({ ...base, target: 'inferd-sdk', baseUrl: sdk.url, serverPids: [sdk.started.pid] });
    specs.push({
      ...base,
      target: 'inferd-gateway',
      baseUrl: serve.url,
      headers: gatewayHost,
      serverPids: [serve.started.pid],
    });
    if (kserve) specs.push({ ...base, target: 'kserve', baseUrl: kserve.url, serverPids: [kserve.started.pid] });
    return specs;
  };

  const bigJ = bigJson();
  const bigB = bigBinary();
  const big = { model: 'sklearn-iris', connections: 1 };
  const bigCases = async () => {
    log('1 MiB FP32 V2 infer ([65536, 4]), 1 connection');
    await run({
      ...big,
      target: 'inferd-replica',
      payload: bigJ,
      baseUrl: replicaUrl,
      serverPids: [serve.started.pid],
    });
    await run({
      ...big,
      target: 'inferd-replica',
      payload: bigB,
      baseUrl: replicaUrl,
      serverPids: [serve.started.pid],
      refusedStatus: 'not implemented',
    });
    if (flags.quick) return;
    await run({
      ...big,
      target: 'inferd-gateway',
      payload: bigJ,
      baseUrl: serve.url,
      headers: gatewayHost,
      serverPids: [serve.started.pid],
    });
    await run({
      ...big,
      target: 'inferd-gateway',
      payload: bigB,
      baseUrl: serve.url,
      headers: gatewayHost,
      serverPids: [serve.started.pid],
      refusedStatus: 'not implemented',
    });
    if (kserve)
      await run({ ...big, target: 'kserve', payload: bigJ, baseUrl: kserve.url, serverPids: [kserve.started.pid] });
    if (linear) {
      const lin = { ...big, model: linear.model, target: 'inferd-replica' as const, variant: '_linear' };
      await run({ ...lin, payload: bigJ, baseUrl: linear.url, serverPids: [serve.started.pid] });
      await run({
        ...lin,
        payload: bigB,
        baseUrl: linear.url,
        serverPids: [serve.started.pid],
        refusedStatus: 'not implemented',
      });
    }
  };

  if (!onlySection) log('throughput (wrk)');
  if (onlySection) {
    // the heavy models or the traffic figures only, below
  } else if (flags.quick) {
    // The cases that carry the targets first; V2 only replica vs KServe, last.
    for (const s of small(v1Iris, 16)) await run(s);
    await bigCases();
    for (const s of small(v2Iris, 16)) if (s.target === 'inferd-replica' || s.target === 'kserve') await run(s);
  } else {
    for (const c of [1, 16, 64]) for (const p of [v1Iris, v2Iris]) for (const s of small(p, c)) await run(s);
    await bigCases();
  }

  // Issue 20 item 4: V2 gRPC through the gateway against KServe's gRPC port (h2load 4×4).
  let grpc: GrpcFigures | undefined;
  if ((!onlySection || flags.grpcOnly) && !interrupted) {
    const version = h2loadVersion();
    if (!version) notes.push('grpc_vs_kserve skipped: h2load is missing (apt-get install nghttp2-client)');
    else if (leftMs() < 12_000) notes.push('grpc_vs_kserve skipped: --quick time box');
    else {
      log('grpc_vs_kserve: V2 gRPC ModelInfer on iris, h2load 4 connections × 4 streams');
      const targets: GrpcTarget[] = [{ name: 'inferd-gateway', port: serve.port }];
      if (kserve) targets.push({ name: 'kserve', port: kserve.grpcPort });
      grpc = await measureGrpc(targets, { workDir, durationS: flags.quick ? 3 : 10, log });
    }
  }

  const kserveCase = cases.find((c) => c.target === 'kserve' && c.status === 'ok' && c.name === 'v1_c16');
  density.kserve_mib_per_model = kserveCase?.rss_mib ?? null;
  if (kserve) await groups.stop(kserve.started.pid);
  if (bare) await groups.stop(bare.started.pid);
  if (sdk) await groups.stop(sdk.started.pid);

  // Issue 14: cold start from zero, scale-out, canary overhead (full run, or --traffic-only).
  let traffic: TrafficResults | undefined;
  if (
    !interrupted &&
    !flags.heavyOnly &&
    !flags.transformerOnly &&
    !flags.grpcOnly &&
    !flags.densityOnly &&
    (!flags.quick || flags.trafficOnly)
  ) {
    traffic = await trafficBench({
      serveUrl: serve.url,
      servePid: serve.started.pid,
      quick: flags.quick,
      log,
      measure: run,
    });
    notes.push(...traffic.notes);
  }

  // Heavy models: kernel times in this process (quick: fewer repetitions), then (full run) served through the
  // gateway next to KServe's servers on the same files.
  let heavy: HeavyResults | undefined;
  if (!interrupted && !flags.trafficOnly && !flags.transformerOnly && !flags.grpcOnly && !flags.densityOnly) {
    try {
      const { dir, trainS } = await prepareHeavyModels(log);
      const reps = flags.quick ? 10 : 30;
      log(`heavy models: kernel times, 1,000 rows, median of ${reps} (inferd in this process; native from ${dir})`);
      const k = await heavyKernels(dir, reps, flags.quick ? 5 : 20, flags.heavyModels);
      heavy = { models_dir: dir, train_s: trainS, ...k, kernel_reps: reps, notes: [] };
      for (const t of k.kernels)
        log(
          `  ${t.model}: inferd ${t.inferd_ms} ms (2 threads ${t.inferd_two_thread_ms ?? '-'}), native 1 thread ${t.native_single_thread_ms} ms (2 threads ${t.native_two_thread_ms}), ratio ${t.ratio_to_native}, labels agree ${t.agrees}`,
        );
      if (!flags.quick) {
        await heavyServing(
          {
            serveUrl: serve.url,
            servePid: serve.started.pid,
            groups,
            kserve: flags.kserve,
            log,
            run,
            notes: heavy.notes,
            models: flags.heavyModels ?? HEAVY_MODELS,
          },
          dir,
        );
      } else heavy.notes.push('--quick: kernel times only; the served heavy cases run in the full bench');
    } catch (err) {
      notes.push(`heavy models skipped: ${err instanceof Error ? err.message : String(err)}`);
      log(`  ${notes[notes.length - 1]}`);
    }
  }

  // Issue 17: a two-step Sequence graph against calling its two services back to back (bench/graph-overhead.ts).
  let graphOverhead: GraphOverhead | undefined;
  if (!interrupted && !onlySection && leftMs() > 15_000) {
    log('graph: two-step Sequence vs two calls from the client');
    try {
      graphOverhead = await measureGraphOverhead(serve.url, flags.quick ? 300 : 2000, log);
    } catch (err) {
      notes.push(`graph overhead failed: ${err instanceof Error ? err.message : String(err)}`);
      log(`  ${notes[notes.length - 1]}`);
    }
  }

  // Issue 15: the transformer hop, an identity transformer in front of the iris predictor (bench/transformer-hop.ts).
  let transformerHop: TransformerHop | undefined;
  if (!interrupted && (!onlySection || flags.transformerOnly) && leftMs() > 15_000) {
    log('transformer hop: identity transformer in front of the predictor vs the predictor');
    try {
      transformerHop = await measureTransformerHop(serve.url, flags.quick ? 300 : 2000, log, serve.started.pid);
    } catch (err) {
      notes.push(`transformer hop failed: ${err instanceof Error ? err.message : String(err)}`);
      log(`  ${notes[notes.length - 1]}`);
    }
  }

  await groups.stop(serve.started.pid, 20_000);

  // Issue 18: the gateway's rps with per-request metrics on ÷ off, and the access log's cost (three fresh serves).
  let metricsOverhead: MetricsOverhead | undefined;
  if (!interrupted && (!onlySection || flags.metricsOnly) && leftMs() > 60_000) {
    log('metrics overhead: gateway rps with metrics on / off / access log on, alternating short wrk runs');
    try {
      metricsOverhead = await measureMetricsOverhead({
        groups,
        rounds: flags.quick ? 10 : 30,
        durationS: flags.quick ? 1 : 2,
        connections: 16,
        log,
        track: m.track,
      });
      log(
        `  metrics_overhead ${metricsOverhead.metrics_overhead} (by gateway CPU/request ${metricsOverhead.metrics_overhead_by_cpu}), access log ${metricsOverhead.access_log_overhead}; recording ${metricsOverhead.micro.hand_written_ns} ns vs prom-client ${metricsOverhead.micro.prom_client_ns} ns`,
      );
    } catch (err) {
      notes.push(`metrics overhead failed: ${err instanceof Error ? err.message : String(err)}`);
      log(`  ${notes[notes.length - 1]}`);
    }
  }

  // Density (full run): one fresh inferd serve without the demo, N models.
  if (!flags.quick && !interrupted && (!onlySection || flags.densityOnly)) {
    log(`density: RSS of inferd serve + replicas with ${flags.density.join(', ')} models`);
    try {
      // Default settings (packed: a model host per namespace), or as INFERD_MODELS_PER_REPLICA says.
      const fresh = await startInferd(groups, {
        stateDir: mkdtempSync(join(workDir, 'density-')),
        demo: false,
      });
      const perReplica = process.env.INFERD_MODELS_PER_REPLICA;
      density.note = `${
        perReplica === undefined
          ? 'default settings (packed: a model host per namespace, a worker thread each serving its own ports)'
          : Number(perReplica) > 1
            ? `packed (INFERD_MODELS_PER_REPLICA=${perReplica}: a model host per namespace, a worker thread each)`
            : `a process per model (INFERD_MODELS_PER_REPLICA=${perReplica})`
      }; sklearn, xgboost, lightgbm and onnx models in turn`;
      try {
        density.points = await densityPoints(fresh, flags.density, Date.now() + 300_000);
      } finally {
        await groups.stop(fresh.started.pid, 60_000);
      }
    } catch (err) {
      notes.push(`density failed: ${err instanceof Error ? err.message : String(err)}`);
      log(`  ${notes[notes.length - 1]}`);
    }
  }
  // Multi-model serving (issue 16): TrainedModels in one multi-model parent, default settings.
  let trainedModels: TrainedModelFigures | undefined;
  if (!flags.quick && !interrupted && (!onlySection || flags.densityOnly)) {
    log('trained models: one multi-model parent; RSS per model, 1,000 loaded, rps of one among 1,000');
    try {
      const fresh = await startInferd(groups, { stateDir: mkdtempSync(join(workDir, 'tm-')), demo: false });
      try {
        trainedModels = await measureTrainedModels(fresh, {
          modelDir: irisModelDir,
          log,
          runCase: (spec) => measureCase(spec, m).then((c) => void cases.push(c)),
          deadline: Date.now() + 300_000,
        });
      } finally {
        await groups.stop(fresh.started.pid, 60_000);
      }
    } catch (err) {
      notes.push(`trained models failed: ${err instanceof Error ? err.message : String(err)}`);
      log(`  ${notes[notes.length - 1]}`);
    }
  }
  {
    const { note, ...figures } = summarizeDensity(density.points);
    Object.assign(density, figures);
    if (note) density.note = density.note ? `${density.note}; ${note}` : note;
  }

  if (flags.profile && !interrupted && !onlySection) {
    log('profile: node --cpu-prof on the gateway and the replica under V1 c16 load');
    try {
      profile.v1_c16_gateway = await profileHotPath(workDir, 'v1_c16_gateway', flags.quick ? 3 : 10, m);
      if (!flags.quick)
        profile.v2_1mib_json_c1_replica = await profileHotPath(workDir, 'v2_1mib_json_c1_replica', 8, m);
    } catch (err) {
      notes.push(`profile failed: ${err instanceof Error ? err.message : String(err)}`);
      log(`  ${notes[notes.length - 1]}`);
    }
  }

  const ratios = {
    ...computeRatios(cases, cold, density),
    ...heavyRatios(cases, heavy?.kernels ?? []),
    cold_from_zero_ms: traffic?.cold_from_zero_p50_ms ?? null,
    cold_from_zero_p99_ms: traffic?.cold_from_zero_p99_ms ?? null,
    scale_out_rps_ratio: traffic?.scale_out_rps_ratio ?? null,
    canary_overhead: traffic?.canary_overhead ?? null,
    graph_sequence_overhead_ms: graphOverhead?.graph_sequence_overhead_ms ?? null,
    transformer_hop_ms: transformerHop?.transformer_hop_ms ?? null,
    metrics_overhead: metricsOverhead?.metrics_overhead ?? null,
    access_log_overhead: metricsOverhead?.access_log_overhead ?? null,
    ...grpcRatios(
      grpc,
      cases.find((c) => c.target === 'inferd-gateway' && c.status === 'ok' && c.name === 'v2_c16')?.rps,
    ),
    ...trainedModelRatios(
      trainedModels,
      (variant) => cases.find((c) => c.target === 'inferd-gateway' && c.name === `v1${variant}_c16`)?.rps,
    ),
  };
  const results: Results = {
    cases,
    ratios,
    heavy,
    cold_start: cold,
    density,
    traffic,
    ...(trainedModels ? { trained_models: trainedModels } : {}),
    ...(transformerHop ? { transformer_hop: transformerHop } : {}),
    ...(metricsOverhead ? { metrics_overhead: metricsOverhead } : {}),
    ...(grpc ? { grpc_vs_kserve: grpc } : {}),
    profile: Object.keys(profile).length ? profile : undefined,
    machine: { ...machine, loadavg_end: readFileSync('/proc/loadavg', 'utf8').trim() },
    runs: {
      mode: flags.quick ? 'quick' : 'full',
      started_at: startedAt.toISOString(),
      wall_s: round((performance.now() - t0) / 1000, 1),
      case_runs_total: cases.reduce((a, c) => a + c.runs, 0),
      cases_repeated: cases.filter((c) => c.runs > 1).length,
      cases_busy: cases.filter((c) => c.busy).length,
      max_runs_per_case: m.maxRuns,
      busy_threshold_cores: m.busyThresholdCores,
    },
  };
  if (notes.length) (results as unknown as { notes: string[] }).notes = notes;
  const problems = validateResults(results);
  mkdirSync(join(flags.out, '..'), { recursive: true });
  writeFileSync(flags.out, `${JSON.stringify(results, null, 2)}\n`);
  if (!flags.quick && !onlySection)
    writeFileSync(join(flags.out, '..', 'latest-full.json'), `${JSON.stringify(results, null, 2)}\n`);

  log('');
  log(formatTable(cases));
  log('');
  log(formatRatios(ratios));
  log('');
  log(
    `cold start: serve start → demo answers ${cold.serve_start_to_ready_ms} ms; apply → first answer ${cold.apply_to_first_answer_ms} ms (runs ${cold.apply_to_first_answer_runs_ms.join(', ')}); KServe start → ready ${cold.kserve_start_to_ready_ms} ms`,
  );
  log(
    `density: ${density.points.map((p) => `${p.models_ready} models ${p.rss_mib} MiB`).join('; ')}; ${density.mib_per_extra_model} MiB per extra model; KServe one model ${density.kserve_mib_per_model} MiB`,
  );
  for (const n of notes) log(`note: ${n}`);
  const unmet = checkTargets(ratios).filter((c) => c.met === false);
  log(
    `wrote ${flags.out} (${results.runs.wall_s} s, ${results.runs.cases_repeated} cases repeated, ${results.runs.cases_busy} still busy; targets not met: ${unmet.map((u) => u.what).join(', ') || 'none'})`,
  );
  if (problems.length) log(`results shape problems: ${problems.join('; ')}`);
  rmSync(workDir, { recursive: true, force: true });
  return problems.length ? 1 : 0;
}

function killWrk(): void {
  for (const pid of wrkPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

process.on('exit', () => {
  killWrk();
  groups.killAllNow();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`\n${signal}: stopping everything the bench started`);
    killWrk();
    groups.stopAll().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await groups.stopAll();
    process.exit(code);
  },
  async (err) => {
    if (interrupted) return; // the signal handler stops everything and exits 130
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killWrk();
    await groups.stopAll();
    process.exit(1);
  },
);
