// Experiment: what a Node reverse proxy hop costs on this machine, by transport (loopback TCP vs a Unix
// socket to the upstream) and body handling (stream with pipe() vs buffer and end(body)). Upstream is the
// bench's bare server answering inferd's V1 iris bytes. Usage: node dist/bench/experiments/proxy-transport.js [SECONDS]

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { measureCase } from '../measure.js';
import { v1Iris } from '../payloads.js';
import { ProcessGroups } from '../proc.js';
import { formatTable } from '../results.js';
import { repoRoot } from '../targets.js';

const groups = new ProcessGroups();
process.on('exit', () => groups.killAllNow());
process.once('SIGINT', () => groups.stopAll().finally(() => process.exit(130)));

async function main(): Promise<void> {
  const durationS = Number(process.argv[2] ?? 5);
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
    maxRuns: 2,
    busyThresholdCores: 0.25,
    quietWaitMs: 2_000,
    workDir: dir,
    log: (m: string) => process.stdout.write(`${m}\n`),
  };
  const spec = { payload: v1Iris, model: 'sklearn-iris', connections: 16 } as const;
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

main().catch(async (err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  await groups.stopAll();
  process.exit(1);
});
