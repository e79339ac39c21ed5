// Starting and finding the systems under test: `inferd serve` (gateway) and its replica processes,
// KServe v0.12.1's sklearnserver, and the bare node:http ceiling. Every wait is bounded.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BareReply } from './bare-server.js';
import { freePort, type HttpReply, pollUntil, request } from './http-client.js';
import type { Payload } from './payloads.js';
import { cmdline, listeningPorts, type ProcessGroups, processTree, type Started } from './proc.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root: dist/bench → two levels up. */
export const repoRoot = resolve(here, '..', '..');
export const cliEntry = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
export const irisModelDir = join(repoRoot, 'models', 'sklearn-iris');
export const kservePeerScript = '/work/shared/peers/run-kserve-sklearn.sh';
export const kserveXgbPeerScript = '/work/shared/peers/run-kserve-xgboost.sh';

export const ISVC_API = '/apis/serving.kserve.io/v1beta1/namespaces';

export interface InferdServe {
  started: Started;
  port: number;
  url: string;
  /** ms from spawn to `inferd listening`. */
  listeningMs: number;
}

export async function startInferd(
  groups: ProcessGroups,
  opts: { stateDir: string; demo: boolean; nodeArgs?: string[]; timeoutMs?: number; serveArgs?: string[] },
): Promise<InferdServe> {
  const t0 = performance.now();
  const args = [...(opts.nodeArgs ?? []), cliEntry, 'serve', '--port', '0', '--state', opts.stateDir];
  if (opts.demo) args.push('--demo');
  args.push(...(opts.serveArgs ?? []));
  const started = groups.start('inferd serve', process.execPath, args, { cwd: repoRoot, env: { ...process.env } });
  const m = await started.waitFor(/inferd listening on http:\/\/127\.0\.0\.1:(\d+)/, opts.timeoutMs ?? 30_000);
  const port = Number(m[1]);
  return { started, port, url: `http://127.0.0.1:${port}`, listeningMs: performance.now() - t0 };
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function isReady(obj: unknown): boolean {
  const conds = (obj as { status?: { conditions?: Condition[] } })?.status?.conditions ?? [];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

export async function waitIsvcReady(
  url: string,
  ns: string,
  name: string,
  timeoutMs: number,
  alive?: () => boolean,
): Promise<number> {
  return pollUntil(
    `${url}${ISVC_API}/${ns}/inferenceservices/${name}`,
    (r) => r.status === 200 && isReady(JSON.parse(r.body.toString())),
    { timeoutMs, intervalMs: 20, what: `InferenceService ${ns}/${name}`, alive },
  );
}

export function isvcManifest(name: string, storageUri: string, ns = 'default', format = 'sklearn'): object {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: ns },
    spec: { predictor: { model: { modelFormat: { name: format }, storageUri } } },
  };
}

export async function applyIsvc(url: string, manifest: object): Promise<HttpReply> {
  const ns = (manifest as { metadata: { namespace: string } }).metadata.namespace;
  const r = await request(`${url}${ISVC_API}/${ns}/inferenceservices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(manifest),
    timeoutMs: 15_000,
  });
  if (r.status !== 201 && r.status !== 200)
    throw new Error(`apply failed: ${r.status} ${r.body.toString().slice(0, 500)}`);
  return r;
}

/** Ready InferenceServices in a namespace (one list call). */
export async function countReady(url: string, ns: string): Promise<number> {
  const r = await request(`${url}${ISVC_API}/${ns}/inferenceservices`, { timeoutMs: 15_000 });
  if (r.status !== 200) return 0;
  const items = (JSON.parse(r.body.toString()) as { items?: unknown[] }).items ?? [];
  return items.filter(isReady).length;
}

export interface Replica {
  pid: number;
  port: number;
}

/** The replica process serving modelName under `inferd serve` (pid servePid), and its HTTP port. */
export async function findReplica(servePid: number, modelName: string, timeoutMs = 10_000): Promise<Replica> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const p of processTree(servePid)) {
      if (p.pid === servePid) continue;
      const argv = cmdline(p.pid);
      const i = argv.indexOf('--model_name');
      // A replica that started as a standby process (`main.js --standby`) got its flags over IPC: ask it.
      const standby = argv.includes('--standby') || argv.includes('--model_host');
      if (!standby && (i < 0 || argv[i + 1] !== modelName)) continue;
      const probe = standby ? `/v2/models/${modelName}/ready` : '/v2/health/live';
      for (const port of listeningPorts(p.pid)) {
        try {
          const r = await request(`http://127.0.0.1:${port}${probe}`, { timeoutMs: 2_000 });
          if (r.status === 200) return { pid: p.pid, port };
        } catch {
          // not HTTP (a gRPC port) or not yet
        }
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no replica process for model ${modelName} under pid ${servePid}`);
}

export interface KServe {
  started: Started;
  url: string;
  /** Its V2 gRPC port. */
  grpcPort: number;
  startToReadyMs: number;
  startToFirstAnswerMs: number;
  aptInstalled: boolean;
}

/** True when the peer script would have to apt-get install packages first. */
export function kserveNeedsInstall(): boolean {
  const r = spawnSync('dpkg', ['-s', 'python3-sklearn', 'python3-fastapi', 'python3-uvicorn', 'python3-grpcio'], {
    stdio: 'ignore',
  });
  return r.status !== 0;
}

export async function startKServe(
  groups: ProcessGroups,
  opts: {
    modelDir: string;
    firstRequest: Payload;
    env?: Record<string, string>;
    timeoutMs?: number;
    /** The peer script (sklearnserver by default) and the model name it serves (MODEL_NAME). */
    script?: string;
    model?: string;
  },
): Promise<KServe> {
  const model = opts.model ?? 'sklearn-iris';
  const what = opts.script === kserveXgbPeerScript ? 'KServe xgbserver' : 'KServe sklearnserver';
  const aptInstalled = kserveNeedsInstall();
  const port = await freePort();
  let grpc = await freePort();
  while (grpc === port) grpc = await freePort();
  const t0 = performance.now();
  const started = groups.start(
    what,
    'bash',
    [opts.script ?? kservePeerScript, opts.modelDir, String(port), String(grpc)],
    {
      env: { ...process.env, ...(opts.env ?? {}), ...(opts.model ? { MODEL_NAME: model } : {}) },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await pollUntil(`${url}/v2/health/ready`, (r) => r.status === 200, {
    timeoutMs: opts.timeoutMs ?? (aptInstalled ? 600_000 : 120_000),
    intervalMs: 20,
    what,
    alive: () => !started.exited(),
  });
  const startToReadyMs = performance.now() - t0;
  const p = opts.firstRequest;
  const r = await request(url + p.path(model), { method: 'POST', headers: p.headers, body: p.body });
  const wrong = p.check(r);
  if (wrong) throw new Error(`KServe answered wrongly: ${wrong}`);
  return {
    started,
    url,
    grpcPort: grpc,
    startToReadyMs,
    startToFirstAnswerMs: performance.now() - t0,
    aptInstalled,
  };
}

export interface Bare {
  started: Started;
  url: string;
}

/** Captures the replica's replies to these payloads and starts the bare server that replays them. */
export async function startBare(
  groups: ProcessGroups,
  opts: { replicaUrl: string; model: string; payloads: Payload[]; workDir: string },
): Promise<Bare> {
  const replies: Record<string, BareReply> = {};
  const drop = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
  for (const p of opts.payloads) {
    const path = p.path(opts.model);
    const r = await request(opts.replicaUrl + path, { method: 'POST', headers: p.headers, body: p.body });
    const headers: Array<[string, string]> = [];
    for (let i = 0; i < r.rawHeaders.length; i += 2)
      if (!drop.has(r.rawHeaders[i]!.toLowerCase())) headers.push([r.rawHeaders[i]!, r.rawHeaders[i + 1]!]);
    replies[path] = { status: r.status, headers, bodyBase64: r.body.toString('base64') };
  }
  const file = join(opts.workDir, 'bare-replies.json');
  writeFileSync(file, JSON.stringify(replies));
  const started = groups.start('bare node:http', process.execPath, [
    join(repoRoot, 'dist', 'bench', 'bare-server.js'),
    file,
  ]);
  const m = await started.waitFor(/"port":(\d+)/, 10_000);
  return { started, url: `http://127.0.0.1:${m[1]}` };
}

export interface Sdk {
  started: Started;
  url: string;
}

/**
 * `inferd run` serving bench/sdk-iris-model.ts (a TypeScript SDK model over the built-in sklearn runtime's
 * iris logic) on a free port; resolves once it logs that it listens.
 */
export async function startSdk(groups: ProcessGroups, opts: { modelDir: string; model: string }): Promise<Sdk> {
  const started = groups.start('inferd run (SDK iris)', process.execPath, [
    cliEntry,
    'run',
    join(repoRoot, 'dist', 'bench', 'sdk-iris-model.js'),
    '--model_name',
    opts.model,
    '--model_dir',
    opts.modelDir,
    '--http_port',
    '0',
    '--enable_grpc',
    'false',
  ]);
  const m = await started.waitFor(/"msg":"model server listening".*?"port":(\d+)/, 20_000);
  return { started, url: `http://127.0.0.1:${m[1]}` };
}
