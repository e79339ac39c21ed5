// Bench case graph_sequence_overhead_ms (issue 17): what a two-step Sequence InferenceGraph over two iris
// services adds, median, over the client calling the two services back to back through the gateway. One
// keep-alive connection each way, requests one at a time, the two ways interleaved so drift hits both alike.
// Run alone: `node dist/bench/graph-overhead.js [iterations]` (starts its own inferd serve).

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pollUntil, request } from './http-client.js';
import { ProcessGroups } from './proc.js';
import { isReady, startInferd, waitIsvcReady } from './targets.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';

export interface GraphOverhead {
  iterations: number;
  graph_p50_ms: number;
  two_calls_p50_ms: number;
  /** graph_p50_ms − two_calls_p50_ms (negative: the graph is faster than two client round trips). */
  graph_sequence_overhead_ms: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function post(url: string, body: unknown): Promise<void> {
  const r = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status >= 300 && r.status !== 409) throw new Error(`${url}: ${r.status} ${r.body.toString()}`);
}

/** Applies bench-graph-a, bench-graph-b and the Sequence graph bench-graph, then measures. */
export async function measureGraphOverhead(
  base: string,
  iterations: number,
  log: (s: string) => void,
): Promise<GraphOverhead> {
  for (const name of ['bench-graph-a', 'bench-graph-b']) {
    await post(`${base}/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices`, {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name },
      spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } } },
    });
  }
  await post(`${base}/apis/serving.kserve.io/v1alpha1/namespaces/default/inferencegraphs`, {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'InferenceGraph',
    metadata: { name: 'bench-graph' },
    spec: {
      nodes: {
        root: {
          routerType: 'Sequence',
          steps: [{ serviceName: 'bench-graph-a' }, { serviceName: 'bench-graph-b', data: '$request' }],
        },
      },
    },
  });
  for (const name of ['bench-graph-a', 'bench-graph-b']) await waitIsvcReady(base, 'default', name, 60_000);
  await pollUntil(
    `${base}/apis/serving.kserve.io/v1alpha1/namespaces/default/inferencegraphs/bench-graph`,
    (r) => r.status === 200 && isReady(JSON.parse(r.body.toString())),
    {
      timeoutMs: 30_000,
      what: 'InferenceGraph bench-graph',
    },
  );
  const port = Number(new URL(base).port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = (host: string, path: string) =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const req = http.request(
        { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { host, 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode !== 200 || text !== '{"predictions":[1,1]}')
              reject(new Error(`${host}${path}: ${res.statusCode} ${text}`));
            else resolve(performance.now() - t0);
          });
        },
      );
      req.setNoDelay(true);
      req.on('error', reject);
      req.end(IRIS);
    });
  const graph = () => call('bench-graph.default.example.com', '/');
  const pair = async () =>
    (await call('bench-graph-a.default.example.com', '/v1/models/bench-graph-a:predict')) +
    (await call('bench-graph-b.default.example.com', '/v1/models/bench-graph-b:predict'));
  for (let i = 0; i < 200; i++) {
    await graph();
    await pair();
  }
  const g: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < iterations; i++) {
    // Alternate which goes first so neither always runs on a just-warmed path.
    if (i % 2 === 0) {
      g.push(await graph());
      p.push(await pair());
    } else {
      p.push(await pair());
      g.push(await graph());
    }
  }
  agent.destroy();
  const out: GraphOverhead = {
    iterations,
    graph_p50_ms: Math.round(median(g) * 1000) / 1000,
    two_calls_p50_ms: Math.round(median(p) * 1000) / 1000,
    graph_sequence_overhead_ms: Math.round((median(g) - median(p)) * 1000) / 1000,
  };
  log(
    `  graph p50 ${out.graph_p50_ms} ms, two calls p50 ${out.two_calls_p50_ms} ms: overhead ${out.graph_sequence_overhead_ms} ms`,
  );
  return out;
}

async function main(): Promise<void> {
  const iterations = Number(process.argv[2] ?? 2000);
  const groups = new ProcessGroups();
  const dir = mkdtempSync(join(os.tmpdir(), 'inferd-bench-graph-'));
  try {
    const serve = await startInferd(groups, { stateDir: dir, demo: false });
    const r = await measureGraphOverhead(serve.url, iterations, (s) => process.stderr.write(`${s}\n`));
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } finally {
    await groups.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
