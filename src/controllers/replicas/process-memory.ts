// Resident memory of a process and its descendants, read from /proc without root (Linux). The replica
// manager's watchdog compares it with `resources.limits.memory`; where /proc is missing (macOS) it reads
// nothing and only the V8 heap cap applies (docs/security.md).

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Descendants deeper than this are not followed (a replica starts at most a Python worker). */
const MAX_TREE_DEPTH = 4;

/** RSS in bytes of `pid` plus its children (the Python fallback worker counts toward the replica's limit). */
export async function treeRssBytes(pid: number): Promise<number | undefined> {
  const own = await rssBytes(pid);
  if (own === undefined) return undefined;
  let total = own;
  let level = [pid];
  for (let depth = 0; depth < MAX_TREE_DEPTH && level.length > 0; depth++) {
    const next: number[] = [];
    for (const p of level) next.push(...(await childrenOf(p)));
    for (const c of next) total += (await rssBytes(c)) ?? 0;
    level = next;
  }
  return total;
}

async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined; // gone, or no /proc: nothing to measure
  }
}

async function childrenOf(pid: number): Promise<number[]> {
  try {
    return parsePids(await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8'));
  } catch {
    return []; // kernels without CONFIG_PROC_CHILDREN: the process alone is measured
  }
}

/**
 * SIGKILLs `pid` and its descendants (the Python worker), children first so none is left orphaned to run on.
 * Synchronous so no child can be reparented between the walk and the kills.
 */
export function killTree(pid: number): void {
  const all: number[] = [];
  let level = [pid];
  for (let depth = 0; depth <= MAX_TREE_DEPTH && level.length > 0; depth++) {
    all.push(...level);
    level = level.flatMap(childrenOfSync);
  }
  for (const p of all.reverse()) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function childrenOfSync(pid: number): number[] {
  try {
    return parsePids(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8'));
  } catch {
    return []; // no /proc: only the process itself is killed
  }
}

function parsePids(text: string): number[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}
