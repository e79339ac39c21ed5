// One benchmark case: sanity-check the answer, warm up, then run wrk while sampling CPU of the server's
// process tree, of wrk, and of the whole machine. CPU used by anything else (other engineers' builds on
// this shared machine) is "other"; a run with more other CPU than the threshold is repeated (bounded), and
// the least disturbed run is kept. Every figure records how many runs it took.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from './http-client.js';
import type { Payload } from './payloads.js';
import { CLK_TCK, machineCpu, readStat, sampleTree } from './proc.js';
import { type CaseResult, round, type Target } from './results.js';
import { luaScript, parseWrkOutput, runWrk, type WrkResult } from './wrk.js';

export interface CaseSpec {
  target: Target;
  payload: Payload;
  /** Name suffix for payload variants (e.g. `_linear`), before `_c{N}`. */
  variant?: string;
  baseUrl: string;
  model: string;
  connections: number;
  /** Extra request headers (Host for gateway routing). */
  headers?: Record<string, string>;
  /** Root pids whose process trees are the server (CPU and RSS). */
  serverPids: number[];
  /** Status when the sanity request is refused with 4xx/5xx (binary extension missing → 'not implemented'). */
  refusedStatus?: 'failed' | 'not implemented';
}

export interface MeasureOptions {
  durationS: number;
  warmupS: number;
  maxRuns: number;
  /** Other CPU (cores) above which a run counts as disturbed. */
  busyThresholdCores: number;
  /** How long to wait for a quiet machine before a run (bounded). */
  quietWaitMs: number;
  workDir: string;
  log: (msg: string) => void;
  /** Registers wrk's pid so that Ctrl-C can stop it. */
  track?: (pid: number, done: Promise<void>) => void;
  /** Pids that belong to the bench (not "other"): their CPU is subtracted. */
  ownPids?: () => number[];
  /** false when there is no time left for a repeat (the --quick time box). */
  canRepeat?: () => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function treesTicks(roots: number[]): number {
  return roots.reduce((a, pid) => a + sampleTree(pid, false).cpuTicks, 0);
}
interface CpuSplit {
  total: number;
  root: number;
  sys: number;
}
function treesSplit(roots: number[]): CpuSplit {
  const out = { total: 0, root: 0, sys: 0 };
  for (const pid of roots) {
    const t = sampleTree(pid, false);
    out.total += t.cpuTicks;
    out.root += t.rootTicks;
    out.sys += t.sysTicks;
  }
  return out;
}
function treesRss(roots: number[]): number {
  return roots.reduce((a, pid) => a + sampleTree(pid).rssBytes, 0);
}
function selfTicks(): { own: number; children: number } {
  const s = readStat('self');
  return { own: s?.cpuTicks ?? 0, children: s?.childTicks ?? 0 };
}

/** Cores used by processes other than the server, the bench and wrk, over sampleMs. */
export async function otherCpuCores(serverPids: number[], sampleMs: number, ownPids: number[] = []): Promise<number> {
  const m0 = machineCpu();
  const s0 = treesTicks(serverPids) + treesTicks(ownPids);
  const self0 = selfTicks();
  const t0 = performance.now();
  await sleep(sampleMs);
  const m1 = machineCpu();
  const s1 = treesTicks(serverPids) + treesTicks(ownPids);
  const self1 = selfTicks();
  const elapsedTicks = ((performance.now() - t0) / 1000) * CLK_TCK;
  const other = m1.busy - m0.busy - (s1 - s0) - (self1.own - self0.own) - (self1.children - self0.children);
  return Math.max(0, other / elapsedTicks);
}

interface Run {
  wrk: WrkResult;
  serverCores: number;
  wrkCores: number;
  otherCores: number;
  cpuMsPerReq: number;
  rootCpuMsPerReq: number;
  sysShare: number;
  rssBytes: number;
}

export function caseName(spec: Pick<CaseSpec, 'payload' | 'variant' | 'connections'>): string {
  return `${spec.payload.id}${spec.variant ?? ''}_c${spec.connections}`;
}

function emptyCase(spec: CaseSpec, status: CaseResult['status'], note: string, durationS: number): CaseResult {
  return {
    name: caseName(spec),
    target: spec.target,
    payload: spec.payload.id + (spec.variant ?? ''),
    connections: spec.connections,
    status,
    duration_s: durationS,
    rps: null,
    p50_ms: null,
    p90_ms: null,
    p99_ms: null,
    mean_ms: null,
    max_ms: null,
    cpu_ms_per_req: null,
    root_cpu_ms_per_req: null,
    sys_cpu_pct: null,
    server_cpu_cores: null,
    wrk_cpu_cores: null,
    rss_mib: null,
    requests: null,
    non2xx: null,
    socket_errors: null,
    runs: 0,
    other_cpu_cores: null,
    busy: false,
    note,
  };
}

export async function measureCase(spec: CaseSpec, o: MeasureOptions): Promise<CaseResult> {
  const name = caseName(spec);
  const url = spec.baseUrl + spec.payload.path(spec.model);
  const headers = { ...spec.payload.headers, ...(spec.headers ?? {}) };
  // The answer must be right before anything is measured.
  try {
    const reply = await request(url, { method: 'POST', headers, body: spec.payload.body, timeoutMs: 30_000 });
    const wrong = spec.payload.check(reply);
    if (wrong) {
      const status = reply.status >= 400 && spec.refusedStatus ? spec.refusedStatus : 'failed';
      o.log(`  ${spec.target} ${name}: ${status} (${wrong.slice(0, 200)})`);
      return emptyCase(spec, status, wrong.slice(0, 300), o.durationS);
    }
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    o.log(`  ${spec.target} ${name}: failed (${msg})`);
    return emptyCase(spec, 'failed', msg, o.durationS);
  }
  const bodyFile = join(o.workDir, `${spec.payload.id}.body`);
  writeFileSync(bodyFile, spec.payload.body);
  const scriptFile = join(o.workDir, `${spec.target}-${name}.lua`);
  writeFileSync(scriptFile, luaScript(bodyFile, headers));
  const wrkOpts = { url, scriptFile, connections: spec.connections, timeoutS: 30 };
  if (o.warmupS > 0) await runWrk({ ...wrkOpts, durationS: o.warmupS }, o.track);

  const runs: Run[] = [];
  for (let i = 0; i < o.maxRuns; i++) {
    // Wait (bounded) for a quiet machine before the run.
    const quietDeadline = Date.now() + o.quietWaitMs;
    let before = await otherCpuCores(spec.serverPids, 300, o.ownPids?.() ?? []);
    while (before > o.busyThresholdCores && Date.now() < quietDeadline) {
      await sleep(500);
      before = await otherCpuCores(spec.serverPids, 300, o.ownPids?.() ?? []);
    }
    const own = o.ownPids?.() ?? [];
    const m0 = machineCpu();
    const srv0 = treesSplit(spec.serverPids);
    const own0 = treesTicks(own);
    const self0 = selfTicks();
    const t0 = performance.now();
    const out = await runWrk({ ...wrkOpts, durationS: o.durationS }, o.track);
    const elapsedS = (performance.now() - t0) / 1000;
    const m1 = machineCpu();
    const srv1 = treesSplit(spec.serverPids);
    const own1 = treesTicks(own);
    const self1 = selfTicks();
    const wrk = parseWrkOutput(out);
    const srvTicks = srv1.total - srv0.total;
    const wrkTicks = self1.children - self0.children; // wrk is the only child reaped meanwhile
    const otherTicks = m1.busy - m0.busy - srvTicks - wrkTicks - (self1.own - self0.own) - (own1 - own0);
    const elapsedTicks = elapsedS * CLK_TCK;
    runs.push({
      wrk,
      serverCores: srvTicks / elapsedTicks,
      wrkCores: wrkTicks / elapsedTicks,
      otherCores: Math.max(0, otherTicks / elapsedTicks),
      cpuMsPerReq: wrk.requests > 0 ? ((srvTicks / CLK_TCK) * 1000) / wrk.requests : Number.NaN,
      rootCpuMsPerReq: wrk.requests > 0 ? (((srv1.root - srv0.root) / CLK_TCK) * 1000) / wrk.requests : Number.NaN,
      sysShare: srvTicks > 0 ? (srv1.sys - srv0.sys) / srvTicks : Number.NaN,
      rssBytes: treesRss(spec.serverPids),
    });
    const last = runs[runs.length - 1]!;
    if (last.otherCores <= o.busyThresholdCores) break;
    if (o.canRepeat && !o.canRepeat()) break;
    o.log(
      `  ${spec.target} ${name}: machine busy (${last.otherCores.toFixed(2)} other cores > ${o.busyThresholdCores}), run ${i + 1}/${o.maxRuns}`,
    );
  }
  const best = runs.reduce((a, b) => (b.otherCores < a.otherCores ? b : a));
  const w = best.wrk;
  const result: CaseResult = {
    name,
    target: spec.target,
    payload: spec.payload.id + (spec.variant ?? ''),
    connections: spec.connections,
    status: 'ok',
    duration_s: round(w.durationS, 2),
    rps: round(w.rps, 1),
    p50_ms: round(w.p50Ms, 3),
    p90_ms: round(w.p90Ms, 3),
    p99_ms: round(w.p99Ms, 3),
    mean_ms: round(w.meanMs, 3),
    max_ms: round(w.maxMs, 3),
    cpu_ms_per_req: Number.isFinite(best.cpuMsPerReq) ? round(best.cpuMsPerReq, 4) : null,
    root_cpu_ms_per_req: Number.isFinite(best.rootCpuMsPerReq) ? round(best.rootCpuMsPerReq, 4) : null,
    sys_cpu_pct: Number.isFinite(best.sysShare) ? round(best.sysShare * 100, 1) : null,
    server_cpu_cores: round(best.serverCores, 2),
    wrk_cpu_cores: round(best.wrkCores, 2),
    rss_mib: round(best.rssBytes / 1048576, 1),
    requests: w.requests,
    non2xx: w.non2xx,
    socket_errors: w.socketErrors,
    runs: runs.length,
    other_cpu_cores: round(best.otherCores, 2),
    busy: best.otherCores > o.busyThresholdCores,
  };
  if (w.non2xx > 0 || w.socketErrors > 0) result.note = 'errors during the run (see non2xx/socket_errors)';
  o.log(
    `  ${spec.target.padEnd(14)} ${name.padEnd(26)} ${result.rps?.toFixed(0).padStart(7)} rps  p50 ${result.p50_ms?.toFixed(2)} ms  p99 ${result.p99_ms?.toFixed(2)} ms  ${result.cpu_ms_per_req?.toFixed(3)} CPU ms/req (root ${result.root_cpu_ms_per_req?.toFixed(3)}, sys ${result.sys_cpu_pct}%)  ${result.rss_mib} MiB  other ${result.other_cpu_cores} cores  runs ${result.runs}`,
  );
  return result;
}
