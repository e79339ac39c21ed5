// CPU and memory use of replica processes, read from /proc without root (Linux), for the autoscaler's cpu and
// memory metrics (the HPA's view: usage per replica). CPU is the utime+stime delta of the process and its
// children between two readings; memory is process-memory.ts's RSS of the tree. Where /proc is missing
// (macOS) a process reads as absent and the autoscaler keeps its count.

import { readFile } from 'node:fs/promises';
import { treeRssBytes } from './process-memory.js';

/** USER_HZ: the unit of /proc/PID/stat times; 100 on every Linux architecture Node runs on. */
export const CLOCK_TICKS_PER_S = 100;
const MAX_TREE_DEPTH = 4;

export interface ProcessUsage {
  pid: number;
  /** Cores busy on average since the previous reading of this pid (since the process started, the first time). */
  cpuCores: number;
  memoryBytes: number;
}

/** utime+stime in ticks and the process's start in ticks since boot, from /proc/PID/stat. */
export function parseStat(text: string): { cpuTicks: number; startTicks: number } | undefined {
  const close = text.lastIndexOf(')'); // the command name may hold spaces and parentheses
  if (close < 0) return undefined;
  const f = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // f[0] is field 3 (state): utime is field 14, stime 15, starttime 22.
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const start = Number(f[19]);
  if (![utime, stime, start].every(Number.isFinite)) return undefined;
  return { cpuTicks: utime + stime, startTicks: start };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined; // gone, or no /proc
  }
}

async function treePids(pid: number): Promise<number[]> {
  const all = [pid];
  let level = [pid];
  for (let depth = 0; depth < MAX_TREE_DEPTH && level.length > 0; depth++) {
    const next: number[] = [];
    for (const p of level) {
      const text = await readText(`/proc/${p}/task/${p}/children`);
      if (text) next.push(...text.trim().split(/\s+/).filter(Boolean).map(Number));
    }
    all.push(...next);
    level = next;
  }
  return all;
}

/** Reads usage of pids over time: keeps each pid's previous CPU reading to take deltas. */
export class ProcessUsageReader {
  private readonly previous = new Map<number, { cpuTicks: number; atMs: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Usage of each pid that is still running (absent ones are left out, and forgotten). */
  async read(pids: readonly number[]): Promise<ProcessUsage[]> {
    const out: ProcessUsage[] = [];
    const uptimeText = await readText('/proc/uptime');
    const uptimeS = uptimeText ? Number(uptimeText.split(/\s+/)[0]) : Number.NaN;
    for (const pid of pids) {
      let cpuTicks = 0;
      let startTicks: number | undefined;
      for (const p of await treePids(pid)) {
        const text = await readText(`/proc/${p}/stat`);
        const stat = text ? parseStat(text) : undefined;
        if (!stat) continue;
        cpuTicks += stat.cpuTicks;
        if (p === pid) startTicks = stat.startTicks;
      }
      if (startTicks === undefined) continue;
      const memoryBytes = (await treeRssBytes(pid)) ?? 0;
      const atMs = this.now();
      const prev = this.previous.get(pid);
      let cpuCores = 0;
      if (prev && atMs > prev.atMs) {
        cpuCores = Math.max(0, cpuTicks - prev.cpuTicks) / CLOCK_TICKS_PER_S / ((atMs - prev.atMs) / 1000);
      } else if (Number.isFinite(uptimeS)) {
        const aliveS = uptimeS - startTicks / CLOCK_TICKS_PER_S;
        cpuCores = aliveS > 0 ? cpuTicks / CLOCK_TICKS_PER_S / aliveS : 0;
      }
      this.previous.set(pid, { cpuTicks, atMs });
      out.push({ pid, cpuCores, memoryBytes });
    }
    for (const pid of this.previous.keys()) if (!pids.includes(pid)) this.previous.delete(pid);
    return out;
  }
}
