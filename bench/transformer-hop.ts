// Bench case `transformer_hop_ms` (issue 15): what a transformer in front of a predictor adds to an iris-size
// V1 request. One service on an `inferd serve`: the built-in sklearn predictor behind the SDK's identity
// transformer (`command: ["inferd", "run", ...]`). Sequential keep-alive requests, alternating between the
// service host (client → gateway → transformer → predictor listener → gateway → predictor) and the predictor's
// own host (client → gateway → predictor); the case is the difference of the medians. Target ≤ 0.3 ms.
// `npm run bench` runs it on the demo serve (full run, or `--transformer-only`); alone (its own serve):
//
//   npx tsc && node dist/bench/transformer-hop.js [--requests 3000] [--floor]
//
// `--floor` adds the leg of a bare node:http forwarder (bench/hop-floor-forwarder.ts) beside the transformer's.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from './http-client.js';
import { cmdline, listeningPorts, ProcessGroups, processTree } from './proc.js';
import { repoRoot, startInferd, waitIsvcReady } from './targets.js';

const transformer = join(repoRoot, 'dist', 'examples', 'identity-transformer', 'transformer.js');
/** The same transformer calling through the gateway (no client-side routing): the path before the routes feed. */
const gatewayPathTransformer = join(repoRoot, 'dist', 'bench', 'gateway-path-transformer.js');
const BODY = JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] });
const NAME = 'bench-hop';
const GW_NAME = 'bench-hop-gw';

export interface TransformerHop {
  requests_each: number;
  direct_predictor_median_ms: number;
  via_transformer_median_ms: number;
  /** via_transformer_median_ms − direct_predictor_median_ms. */
  transformer_hop_ms: number;
  /** The same transformer with client-side routing off (its calls through the gateway), same run. */
  via_gateway_path_transformer_median_ms: number;
  transformer_hop_gateway_path_ms: number;
  /**
   * Where the time goes (when the serve's pid is known): the same request straight to the predictor's replica
   * port and straight to the transformer's port, interleaved with the two above.
   */
  legs?: {
    replica_direct_median_ms: number;
    transformer_direct_median_ms: number;
    /** direct_predictor − replica_direct: what the gateway adds in front of a replica. */
    gateway_leg_ms: number;
    /** transformer_direct − replica_direct: the transformer process and its call to the predictor. */
    transformer_leg_ms: number;
    /**
     * With `--floor`: a bare node:http forwarder with the SDK's direct client (bench/hop-floor-forwarder.ts) in
     * front of the same replica, hit directly, and its leg (floor_direct − replica_direct): the least a
     * forwarding node process adds on this machine; transformer_leg_ms − floor_leg_ms is the SDK's own share.
     */
    floor_direct_median_ms?: number;
    floor_leg_ms?: number;
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Applies the bench-hop service (sklearn predictor + identity transformer) on `base`, then measures. */
export async function measureTransformerHop(
  base: string,
  requests: number,
  log: (s: string) => void,
  servePid?: number,
  floor = false,
): Promise<TransformerHop> {
  for (const [name, file] of [
    [NAME, transformer],
    [GW_NAME, gatewayPathTransformer],
  ] as const) {
    const created = await request(`${base}/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        metadata: { name },
        spec: {
          predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } },
          transformer: { containers: [{ name: 'kserve-container', command: ['inferd', 'run', file] }] },
        },
      }),
    });
    if (created.status !== 201 && created.status !== 409)
      throw new Error(`create ${name}: ${created.status} ${created.body.toString()}`);
  }
  await waitIsvcReady(base, 'default', NAME, 60_000);
  await waitIsvcReady(base, 'default', GW_NAME, 60_000);

  const port = Number(new URL(base).port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = (host: string, to = port, model = NAME) =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const req = http.request(
        {
          host: '127.0.0.1',
          port: to,
          path: `/v1/models/${model}:predict`,
          method: 'POST',
          agent,
          timeout: 10_000,
          headers: { host, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`${host}: HTTP ${res.statusCode}`));
            else resolve(performance.now() - t0);
          });
        },
      );
      req.setNoDelay(true);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(BODY);
    });
  const viaTransformer = `${NAME}.default.example.com`;
  const direct = `${NAME}-predictor.default.example.com`;
  const viaGatewayPath = `${GW_NAME}.default.example.com`;
  for (let i = 0; i < 300; i++) {
    await call(viaTransformer);
    await call(direct);
    await call(viaGatewayPath, port, GW_NAME);
  }
  const ports = servePid !== undefined ? await componentPorts(servePid) : undefined;
  const forwarder = floor && ports ? await startFloorForwarder(ports.replica) : undefined;
  if (forwarder) for (let i = 0; i < 300; i++) await call(direct, forwarder.port);
  const fd: number[] = [];
  const t: number[] = [];
  const d: number[] = [];
  const rd: number[] = [];
  const td: number[] = [];
  const g: number[] = [];
  for (let i = 0; i < requests; i++) {
    g.push(await call(viaGatewayPath, port, GW_NAME));
    // Alternate which goes first so neither always runs on a just-warmed path.
    if (i % 2 === 0) {
      t.push(await call(viaTransformer));
      d.push(await call(direct));
    } else {
      d.push(await call(direct));
      t.push(await call(viaTransformer));
    }
    if (ports) {
      // The legs in a shuffled order: a call right after the transformer's runs beside that process's tail
      // work (metrics, GC) on a 2-core machine, so no leg may always follow another.
      const legs: (() => Promise<void>)[] = [
        async () => void rd.push(await call(direct, ports.replica)),
        async () => void td.push(await call(viaTransformer, ports.transformer)),
      ];
      if (forwarder) legs.push(async () => void fd.push(await call(direct, forwarder.port)));
      for (let k = legs.length - 1; k > 0; k--) {
        const j = Math.floor(Math.random() * (k + 1));
        [legs[k], legs[j]] = [legs[j]!, legs[k]!];
      }
      for (const leg of legs) await leg();
    }
  }
  agent.destroy();
  forwarder?.stop();
  const out: TransformerHop = {
    requests_each: requests,
    direct_predictor_median_ms: round3(median(d)),
    via_transformer_median_ms: round3(median(t)),
    transformer_hop_ms: round3(median(t) - median(d)),
    via_gateway_path_transformer_median_ms: round3(median(g)),
    transformer_hop_gateway_path_ms: round3(median(g) - median(d)),
  };
  if (ports) {
    out.legs = {
      replica_direct_median_ms: round3(median(rd)),
      transformer_direct_median_ms: round3(median(td)),
      gateway_leg_ms: round3(median(d) - median(rd)),
      transformer_leg_ms: round3(median(td) - median(rd)),
    };
    if (forwarder) {
      out.legs.floor_direct_median_ms = round3(median(fd));
      out.legs.floor_leg_ms = round3(median(fd) - median(rd));
    }
  }
  log(
    `  predictor p50 ${out.direct_predictor_median_ms} ms, via transformer p50 ${out.via_transformer_median_ms} ms: hop ${out.transformer_hop_ms} ms (through the gateway: ${out.transformer_hop_gateway_path_ms} ms)${out.legs ? ` (replica alone ${out.legs.replica_direct_median_ms} ms, transformer alone ${out.legs.transformer_direct_median_ms} ms${out.legs.floor_leg_ms !== undefined ? `, floor forwarder alone ${out.legs.floor_direct_median_ms} ms: floor leg ${out.legs.floor_leg_ms} ms vs transformer leg ${out.legs.transformer_leg_ms} ms` : ''})` : ''}`,
  );
  return out;
}

/** Forks bench/hop-floor-forwarder.js in front of `replicaPort`; resolves with its port. */
async function startFloorForwarder(replicaPort: number): Promise<{ port: number; stop(): void }> {
  // Its own session, as the serve and its children have theirs: with the kernel's autogroup scheduling (on by
  // default) a process in the bench's session shares one CPU share with the bench's client, and looks slower.
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'dist', 'bench', 'hop-floor-forwarder.js'), String(replicaPort)],
    { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
  );
  const kill = () => child.kill();
  process.once('exit', kill);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('floor forwarder did not start within 10 s')), 10_000);
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      out += s;
      const m = /^port (\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`floor forwarder exited (${code})`));
    });
  });
  return {
    port,
    stop: () => {
      process.off('exit', kill);
      child.kill();
    },
  };
}

/**
 * The HTTP ports of the bench service's predictor replica and transformer, found in the serve's process tree:
 * the transformer runs `…/transformer.js`; the replica is the other child that answers the request.
 */
async function componentPorts(servePid: number): Promise<{ replica: number; transformer: number } | undefined> {
  let replica: number | undefined;
  let transformerPort: number | undefined;
  for (const p of processTree(servePid)) {
    if (p.pid === servePid) continue;
    const isTransformer = cmdline(p.pid).includes(transformer);
    for (const port of listeningPorts(p.pid)) {
      const r = await request(`http://127.0.0.1:${port}/v1/models/${NAME}:predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        timeoutMs: 2_000,
      }).catch(() => undefined);
      if (r?.status !== 200) continue;
      if (isTransformer) transformerPort = port;
      else replica = port;
    }
  }
  return replica !== undefined && transformerPort !== undefined ? { replica, transformer: transformerPort } : undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { requests: { type: 'string', default: '3000' }, floor: { type: 'boolean', default: false } },
  });
  const groups = new ProcessGroups();
  const dir = mkdtempSync(join(tmpdir(), 'inferd-hop-'));
  try {
    const serve = await startInferd(groups, { stateDir: dir, demo: false });
    const r = await measureTransformerHop(
      serve.url,
      Number(values.requests),
      (s) => process.stderr.write(`${s}\n`),
      serve.started.pid,
      values.floor,
    );
    process.stdout.write(
      `${JSON.stringify({ case: 'transformer_hop_ms', ...r, target: '<= 0.3', pass: r.transformer_hop_ms <= 0.3 })}\n`,
    );
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
