// Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and ranks functions and files by self time.
// Pure: `summarizeProfile` takes the parsed JSON. The CLI is bench/cpuprofile-top.ts.

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number; scriptId?: string };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTimeRow {
  /** `functionName url:line` (url shortened). */
  name: string;
  functionName: string;
  url: string;
  line: number;
  selfMs: number;
  /** Share of the busy (non-idle) time, 0..100. */
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  top: SelfTimeRow[];
  topFiles: Array<{ url: string; selfMs: number; pct: number }>;
}

/** node:internal/... stays; file:///work/main/dist/src/x.js → dist/src/x.js when root is given. */
export function shortUrl(url: string, root?: string): string {
  let u = url;
  if (u.startsWith('file://')) u = u.slice(7);
  if (root && u.startsWith(`${root}/`)) u = u.slice(root.length + 1);
  return u;
}

export function summarizeProfile(p: CpuProfile, topN = 15, root?: string): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  if (samples.length > 0) {
    // Sample i covers the time until the next sample (Chrome DevTools' attribution); the last one gets the
    // remainder to endTime.
    let t = p.startTime;
    const times = samples.map((_, i) => {
      t += deltas[i] ?? 0;
      return t;
    });
    for (let i = 0; i < samples.length; i++) {
      const next = i + 1 < samples.length ? times[i + 1]! : p.endTime;
      const dur = Math.max(0, next - times[i]!);
      selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + dur);
    }
  } else {
    // No sample list: spread the wall time by hit counts.
    const hits = p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
    for (const n of p.nodes) selfUs.set(n.id, ((n.hitCount ?? 0) / hits) * (p.endTime - p.startTime));
  }
  const fn = new Map<string, SelfTimeRow>();
  const files = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const url = shortUrl(cf.url, root);
    const line = cf.lineNumber + 1;
    const functionName = cf.functionName || '(anonymous)';
    const key = `${functionName} ${url}:${line}`;
    const row = fn.get(key);
    if (row) row.selfMs += us / 1000;
    else
      fn.set(key, {
        name: url ? key : functionName,
        functionName,
        url,
        line,
        selfMs: us / 1000,
        pct: 0,
      });
    const fileKey = url || functionName;
    files.set(fileKey, (files.get(fileKey) ?? 0) + us / 1000);
  }
  const busyMs = (totalUs - idleUs) / 1000;
  const pct = (ms: number) => (busyMs > 0 ? (ms / busyMs) * 100 : 0);
  const top = [...fn.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, topN)
    .map((r) => ({ ...r, pct: pct(r.selfMs) }));
  const topFiles = [...files.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([url, selfMs]) => ({ url, selfMs, pct: pct(selfMs) }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, busyMs, top, topFiles };
}

export function formatSummary(title: string, s: ProfileSummary): string {
  const lines = [
    `${title}: ${s.totalMs.toFixed(0)} ms profiled, ${s.busyMs.toFixed(0)} ms busy, ${s.idleMs.toFixed(0)} ms idle`,
    '  self ms   busy%  function',
  ];
  for (const r of s.top)
    lines.push(`  ${r.selfMs.toFixed(1).padStart(7)}  ${r.pct.toFixed(1).padStart(5)}%  ${r.name}`);
  lines.push('  by file:');
  for (const f of s.topFiles.slice(0, 8))
    lines.push(`  ${f.selfMs.toFixed(1).padStart(7)}  ${f.pct.toFixed(1).padStart(5)}%  ${f.url}`);
  return lines.join('\n');
}
