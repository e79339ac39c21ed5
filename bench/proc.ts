// Linux /proc readers (CPU ticks, RSS, process trees, listening ports, machine CPU) and the registry of
// every process group the bench starts, so that each one is stopped by its group id — on success, on
// errors, and on Ctrl-C. Nothing here kills a process the bench did not start.

import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`; 100 on Linux x86-64/arm64). */
export const CLK_TCK = 100;

export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  pgrp: number;
  /** utime + stime of the process itself, in ticks. */
  cpuTicks: number;
  /** stime alone (kernel time: syscalls, loopback TCP), in ticks. */
  sysTicks: number;
  /** cutime + cstime: CPU of children it has waited for, in ticks. */
  childTicks: number;
  rssPages: number;
}

/** Parses one /proc/<pid>/stat line (the comm field may hold spaces and parentheses). */
export function parseProcStat(line: string): ProcStat {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  const f = line
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // f[0] is field 3 (state): field n is f[n - 3].
  return {
    pid: Number(line.slice(0, open).trim()),
    comm: line.slice(open + 1, close),
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    sysTicks: Number(f[12]),
    childTicks: Number(f[13]) + Number(f[14]),
    rssPages: Number(f[21]),
  };
}

export function readStat(pid: number | 'self'): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function allProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** root and every live descendant. */
export function processTree(root: number, procs = allProcs()): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  let self: ProcStat | undefined;
  for (const p of procs) {
    if (p.pid === root) self = p;
    const list = byParent.get(p.ppid);
    if (list) list.push(p);
    else byParent.set(p.ppid, [p]);
  }
  if (!self) return [];
  const out = [self];
  for (let i = 0; i < out.length; i++) for (const c of byParent.get(out[i]!.pid) ?? []) out.push(c);
  return out;
}

/** VmRSS of one process in bytes (0 when it is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface TreeSample {
  pids: number[];
  /** utime+stime of the live tree plus cutime+cstime of its members (children they reaped). */
  cpuTicks: number;
  /** utime+stime of the root process alone (the gateway, for inferd serve). */
  rootTicks: number;
  /** stime of the live tree. */
  sysTicks: number;
  rssBytes: number;
}

export function sampleTree(root: number, withRss = true): TreeSample {
  const tree = processTree(root);
  return {
    pids: tree.map((p) => p.pid),
    cpuTicks: tree.reduce((a, p) => a + p.cpuTicks + p.childTicks, 0),
    rootTicks: tree[0]?.cpuTicks ?? 0,
    sysTicks: tree.reduce((a, p) => a + p.sysTicks, 0),
    rssBytes: withRss ? tree.reduce((a, p) => a + rssBytes(p.pid), 0) : 0,
  };
}

export interface MachineCpu {
  /** Non-idle ticks over all cores (user+nice+system+irq+softirq+steal). */
  busy: number;
  total: number;
}

export function parseMachineCpu(procStat: string): MachineCpu {
  const f = procStat.split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

export function machineCpu(): MachineCpu {
  return parseMachineCpu(readFileSync('/proc/stat', 'utf8'));
}

/** TCP ports in LISTEN state owned by pid (from its socket fds and /proc/net/tcp{,6}). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue;
      ports.push(Number.parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return [...new Set(ports)].sort((a, b) => a - b);
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // kill(0) also succeeds while only zombies remain: look for a live member.
  return allProcs().some((p) => p.pgrp === pgid && !isZombie(p.pid));
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Started {
  pid: number;
  child: ChildProcess;
  /** stdout + stderr so far (bounded to the last 256 KiB). */
  output(): string;
  /** Resolves with the first match of re in the output; rejects on exit or after timeoutMs. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  exited(): boolean;
}

/**
 * Every process group the bench started. `start` runs a command as the leader of a new process group
 * (setsid); `stop` sends SIGTERM to the group, waits (bounded), then SIGKILL. `killAllNow` is synchronous,
 * for process 'exit'.
 */
export class ProcessGroups {
  private readonly groups = new Map<number, string>();

  start(label: string, cmd: string, args: string[], opts: SpawnOptions = {}): Started {
    const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error(`could not start ${label} (${cmd})`);
    const pid = child.pid;
    this.groups.set(pid, label);
    let out = '';
    const waiters: Array<() => void> = [];
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.length > 262_144) out = out.slice(-262_144);
      for (const w of waiters.slice()) w();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    let exited = false;
    child.once('exit', () => {
      exited = true;
      for (const w of waiters.slice()) w();
    });
    return {
      pid,
      child,
      output: () => out,
      exited: () => exited,
      waitFor(re: RegExp, timeoutMs: number) {
        return new Promise((resolve, reject) => {
          const check = () => {
            const m = re.exec(out);
            if (m) finish(() => resolve(m));
            else if (exited) finish(() => reject(new Error(`${label} exited before ${re}:\n${out.slice(-4000)}`)));
          };
          const timer = setTimeout(
            () => finish(() => reject(new Error(`${label}: no ${re} within ${timeoutMs} ms:\n${out.slice(-4000)}`))),
            timeoutMs,
          );
          const finish = (f: () => void) => {
            clearTimeout(timer);
            const i = waiters.indexOf(check);
            if (i >= 0) waiters.splice(i, 1);
            f();
          };
          waiters.push(check);
          check();
        });
      },
    };
  }

  async stop(pgid: number, graceMs = 10_000): Promise<void> {
    if (!this.groups.has(pgid)) return;
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      // already gone
    }
    const deadline = Date.now() + graceMs;
    while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
    if (groupAlive(pgid)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone
      }
      const killDeadline = Date.now() + 5_000;
      while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(50);
    }
    this.groups.delete(pgid);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.groups.keys()].map((g) => this.stop(g)));
  }

  killAllNow(): void {
    for (const pgid of this.groups.keys()) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    this.groups.clear();
  }
}
