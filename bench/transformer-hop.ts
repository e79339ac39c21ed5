// Bench case `transformer_hop_ms` (issue 15): what a transformer in front of a predictor adds to an iris-size
// V1 request. One `inferd serve`, one service: the built-in sklearn predictor behind the SDK's identity
// transformer (`command: ["inferd", "run", ...]`). Sequential keep-alive requests, alternating between the
// service host (client → gateway → transformer → predictor listener → gateway → predictor) and the predictor's
// own host (client → gateway → predictor); the case is the difference of the medians. Target ≤ 0.3 ms.
//
//   npx tsc && node dist/bench/transformer-hop.js [--requests 3000]

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const transformer = join(repoRoot, 'dist', 'examples', 'identity-transformer', 'transformer.js');
const BODY = JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] });

const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' } } });
const N = Number(values.requests);

function call(agent: http.Agent, port: number, host: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/models/hop:predict',
        method: 'POST',
        agent,
        timeout: 10_000,
        headers: { host, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${host}: HTTP ${res.statusCode}`));
          else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(BODY);
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function main(): Promise<void> {
  const state = mkdtempSync(join(tmpdir(), 'inferd-hop-'));
  const serve = spawn(process.execPath, [cli, 'serve', '--port', '0', '--state', state, '--standby-replicas', '0'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INFERD_LOG_LEVEL: 'warn' },
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
      serve.stdout?.on('data', (d) => {
        out += d;
        const m = /listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const api = `http://127.0.0.1:${port}/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices`;
    const created = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        metadata: { name: 'hop' },
        spec: {
          predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } },
          transformer: { containers: [{ name: 'kserve-container', command: ['inferd', 'run', transformer] }] },
        },
      }),
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const s = (await (await fetch(`${api}/hop`)).json()) as {
        status?: { conditions?: { type: string; status: string }[] };
      };
      if (s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') break;
      if (Date.now() > deadline) throw new Error(`not Ready: ${JSON.stringify(s.status)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const viaTransformer = 'hop.default.example.com';
    const direct = 'hop-predictor.default.example.com';
    for (let i = 0; i < 300; i++) {
      await call(agent, port, viaTransformer);
      await call(agent, port, direct);
    }
    const t: number[] = [];
    const d: number[] = [];
    for (let i = 0; i < N; i++) {
      t.push(await call(agent, port, viaTransformer));
      d.push(await call(agent, port, direct));
    }
    agent.destroy();
    const hop = median(t) - median(d);
    console.log(
      JSON.stringify({
        case: 'transformer_hop_ms',
        requests_each: N,
        direct_predictor_median_ms: Number(median(d).toFixed(3)),
        via_transformer_median_ms: Number(median(t).toFixed(3)),
        transformer_hop_ms: Number(hop.toFixed(3)),
        target: '<= 0.3',
        pass: hop <= 0.3,
      }),
    );
  } finally {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
    rmSync(state, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
