// The bench's binary_vs_json_1mib case alone, repeated: a replica of the logistic regression (the model the
// full bench uses), the same 1 MiB [65536, 4] FP32 bodies (bench/payloads.ts), wrk at 1 connection, JSON and
// binary alternately so that both see the same machine load. Prints each run's mean latency, the medians,
// their ratio (JSON mean / binary mean, as bench/results.ts computes it), the replica's CPU ms per request
// (steadier than latency on a busy machine) and the load average.
//   node dist/bench/experiments/codec-1mib.js [--runs N] [--seconds S] [--cpu-prof DIR] [--model DIR]
// --cpu-prof writes the replica's V8 profile into DIR when it stops (read it with bench/cpuprofile-top.ts).

import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request as requestOnce } from '../http-client.js';
import { bigBinary, bigJson, type Payload } from '../payloads.js';
import { repoRoot } from '../targets.js';
import { luaScript, parseWrkOutput, runWrk } from '../wrk.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    'cpu-prof': { type: 'string' },
    model: {
      type: 'string',
      default: join(repoRoot, 'test', 'fixtures', 'sklearn', 'models', 'logreg_multinomial_iris'),
    },
    only: { type: 'string' },
  },
});
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const model = 'bench-linear';

function startReplica(profDir: string | undefined): Promise<{ child: ChildProcess; port: number }> {
  const execArgv = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const child = fork(
    join(repoRoot, 'dist', 'src', 'server', 'main.js'),
    ['--model_name', model, '--model_dir', values.model!, '--http_port', '0', '--enable_grpc', 'false'],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json', execArgv },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('replica not ready within 30 s')), 30_000);
    child.on('message', (m: { type: string; port?: number; message?: string }) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve({ child, port: m.port! });
      } else if (m.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`replica failed: ${m.message}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`replica exited with ${code}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** utime + stime of a process in ms (Linux /proc; clock ticks at 100 Hz). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const work = mkdtempSync(join(tmpdir(), 'codec-1mib-'));
if (values['cpu-prof']) mkdirSync(values['cpu-prof'], { recursive: true });
const { child, port } = await startReplica(values['cpu-prof']);
try {
  const url = `http://127.0.0.1:${port}`;
  const payloads = [bigJson(), bigBinary()].filter((p) => !values.only || p.id.endsWith(values.only));
  const scripts = new Map<Payload, string>();
  for (const p of payloads) {
    const reply = await requestOnce(`${url}${p.path(model)}`, { method: 'POST', headers: p.headers, body: p.body });
    const wrong = p.check(reply);
    if (wrong) throw new Error(`${p.id}: ${wrong}`);
    const bodyFile = join(work, `${p.id}.body`);
    writeFileSync(bodyFile, p.body);
    const script = join(work, `${p.id}.lua`);
    writeFileSync(script, luaScript(bodyFile, p.headers));
    scripts.set(p, script);
    await runWrk({ url: `${url}${p.path(model)}`, scriptFile: script, connections: 1, durationS: 1 }); // warm-up
  }
  const means = new Map<Payload, number[]>(payloads.map((p) => [p, []]));
  const cpu = new Map<Payload, number[]>(payloads.map((p) => [p, []]));
  for (let r = 0; r < runs; r++) {
    for (const p of payloads) {
      const cpu0 = cpuMs(child.pid!);
      const out = parseWrkOutput(
        await runWrk({
          url: `${url}${p.path(model)}`,
          scriptFile: scripts.get(p)!,
          connections: 1,
          durationS: seconds,
        }),
      );
      if (out.non2xx || out.socketErrors) throw new Error(`${p.id}: ${out.non2xx} non-2xx, ${out.socketErrors} errors`);
      means.get(p)!.push(out.meanMs);
      const cpuPerReq = (cpuMs(child.pid!) - cpu0) / out.requests;
      cpu.get(p)!.push(cpuPerReq);
      process.stdout.write(
        `run ${r + 1} ${p.id}: mean ${out.meanMs.toFixed(3)} ms p50 ${out.p50Ms.toFixed(3)} ms, replica CPU ${cpuPerReq.toFixed(2)} ms/request (${out.requests} requests) load ${loadavg()[0]!.toFixed(2)}\n`,
      );
    }
  }
  const summary: Record<string, unknown> = { loadavg: loadavg().map((x) => Number(x.toFixed(2))) };
  for (const [p, xs] of means) summary[`${p.id}_mean_ms`] = Number(median(xs).toFixed(3));
  for (const [p, xs] of cpu) summary[`${p.id}_cpu_ms`] = Number(median(xs).toFixed(3));
  if (payloads.length === 2)
    summary.binary_vs_json_1mib = Number(
      (median(means.get(payloads[0]!)!) / median(means.get(payloads[1]!)!)).toFixed(2),
    );
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  await stop(child);
  rmSync(work, { recursive: true, force: true });
}
