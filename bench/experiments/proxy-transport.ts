// Experiment: what a Node reverse proxy hop costs on this machine, by transport (loopback TCP vs a Unix
// socket to the upstream) and body handling (stream with pipe() vs buffer and end(body)). Upstream is the
// bench's bare server answering inferd's V1 iris bytes. Usage: node dist/bench/experiments/proxy-transport.js [SECONDS]
//
// A/B mode: node dist/bench/experiments/proxy-transport.js SECONDS --ab MODE,MODE[,...] [ROUNDS]
// runs the proxy modes (bench/experiments/proxy.ts; TCP, 16 connections) in turn, ROUNDS times (default 5:
// A B A B ...), one measured run each, and prints each mode's median rps and p99 with their spread
// (min–max), as the shared machine is noisy. Used for the undici decision (docs/benchmarks.md). A mode
// written MODE@PATH runs the proxy.js at PATH (another build) instead of this one's.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { measureCase } from '../measure.js';
import { v1Iris } from '../payloads.js';
import { ProcessGroups } from '../proc.js';
import { type CaseResult, formatTable } from '../results.js';
import { repoRoot } from '../targets.js';

const groups = new ProcessGroups();
process.on('exit', () => groups.killAllNow());
process.once('SIGINT', () => groups.stopAll().finally(() => process.exit(130)));

async function main(): Promise<void> {
  const durationS = Number(process.argv[2] ?? 5);
  const ab = process.argv.indexOf('--ab');
  const abModes = ab > 0 ? (process.argv[ab + 1] ?? '').split(',').filter(Boolean) : undefined;
  const rounds = ab > 0 ? Number(process.argv[ab + 2] ?? 5) : 0;
  const dir = mkdtempSync(join(os.tmpdir(), 'inferd-proxy-exp-'));
  const replies = join(dir, 'replies.json');
  const body = Buffer.from('{"predictions":[1,1]}');
  writeFileSync(
    replies,
    JSON.stringify({
      '/v1/models/sklearn-iris:predict': {
        status: 200,
        headers: [
          ['date', 'Tue, 24 Nov 2026 06:00:00 GMT'],
          ['server', 'inferd'],
          ['content-length', String(body.length)],
          ['content-type', 'application/json'],
        ],
        bodyBase64: body.toString('base64'),
      },
    }),
  );
  const sock = join(dir, 'bare.sock');
  const bare = groups.start('bare', process.execPath, [
    join(repoRoot, 'dist', 'bench', 'bare-server.js'),
    replies,
    sock,
  ]);
  const bareUrl = `http://127.0.0.1:${(await bare.waitFor(/"port":(\d+),"socketPath"/, 10_000))[1]}`;
  const barePort = /:(\d+)$/.exec(bareUrl)![1]!;
  const cases = [];
  const opts = {
    durationS,
    warmupS: 1,
    maxRuns: abModes ? 1 : 2,
    busyThresholdCores: 0.25,
    quietWaitMs: 2_000,
    workDir: dir,
    log: (m: string) => process.stdout.write(`${m}\n`),
  };
  const spec = { payload: v1Iris, model: 'sklearn-iris', connections: 16 } as const;
  if (abModes) {
    const runs = new Map<string, CaseResult[]>(abModes.map((m) => [m, []]));
    for (let round = 0; round < rounds; round++) {
      for (const mode of abModes) {
        // MODE@SCRIPT runs another build's proxy.js (e.g. a checkout from before a change) in the same A/B.
        const [m, script] = mode.split('@');
        const proxy = groups.start('proxy', process.execPath, [
          script ?? join(repoRoot, 'dist', 'bench', 'experiments', 'proxy.js'),
          'tcp',
          barePort,
          m!,
        ]);
        const port = (await proxy.waitFor(/"port":(\d+)/, 10_000))[1];
        const r = await measureCase(
          { ...spec, target: 'inferd-gateway', baseUrl: `http://127.0.0.1:${port}`, serverPids: [proxy.pid, bare.pid] },
          opts,
        );
        runs.get(mode)!.push(r);
        process.stdout.write(
          `round ${round + 1} ${mode}: ${r.rps} rps, p99 ${r.p99_ms} ms, ${r.cpu_ms_per_req} CPU ms/req, other ${r.other_cpu_cores} cores\n`,
        );
        await groups.stop(proxy.pid);
      }
    }
    process.stdout.write(
      '\nmode: median rps [min–max]; median p99 ms [min–max]; median CPU ms/req (proxy + upstream)\n',
    );
    for (const [mode, rs] of runs) {
      const f = (k: 'rps' | 'p99_ms' | 'cpu_ms_per_req') => rs.map((r) => r[k]).filter((x): x is number => x !== null);
      const rps = spread(f('rps'));
      const p99 = spread(f('p99_ms'));
      const cpu = spread(f('cpu_ms_per_req'));
      process.stdout.write(
        `${mode}: ${rps.median} [${rps.min}–${rps.max}] rps; p99 ${p99.median} [${p99.min}–${p99.max}] ms; ${cpu.median} CPU ms/req (n=${rs.length})\n`,
      );
    }
    await groups.stopAll();
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  cases.push(await measureCase({ ...spec, target: 'bare-node', baseUrl: bareUrl, serverPids: [bare.pid] }, opts));
  for (const [transport, target] of [
    ['tcp', barePort],
    ['uds', sock],
  ] as const) {
    for (const mode of ['pipe', 'buffer', 'raw', 'inferd', 'coalesce'] as const) {
      if ((mode === 'inferd' || mode === 'coalesce') && transport !== 'tcp') continue; // TCP only
      const proxy = groups.start('proxy', process.execPath, [
        join(repoRoot, 'dist', 'bench', 'experiments', 'proxy.js'),
        transport,
        target,
        mode,
      ]);
      const port = (await proxy.waitFor(/"port":(\d+)/, 10_000))[1];
      const r = await measureCase(
        { ...spec, target: 'inferd-gateway', baseUrl: `http://127.0.0.1:${port}`, serverPids: [proxy.pid, bare.pid] },
        opts,
      );
      cases.push({ ...r, name: `proxy_${transport}_${mode}` });
      await groups.stop(proxy.pid);
    }
  }
  process.stdout.write(`\n${formatTable(cases)}\n(CPU ms/req = proxy + bare upstream)\n`);
  const bareCpu = cases[0]?.cpu_ms_per_req ?? 0;
  for (const c of cases.slice(1))
    process.stdout.write(
      `${c.name}: the proxy process alone ≈ ${((c.cpu_ms_per_req ?? 0) - bareCpu).toFixed(3)} CPU ms/req (total minus bare's ${bareCpu})\n`,
    );
  await groups.stopAll();
  rmSync(dir, { recursive: true, force: true });
}

function spread(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median: Math.round(median * 100) / 100, min: s[0]!, max: s[s.length - 1]! };
}

main().catch(async (err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  await groups.stopAll();
  process.exit(1);
});
