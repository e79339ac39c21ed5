// The heavy-model part of `npm run bench`: models the size users serve (XGBoost 500 trees depth 6, RandomForest
// 100 trees depth 12, GradientBoosting, an MLP 2×256 and the same MLP as ONNX), trained at bench time by
// Debian's python3-sklearn / python3-xgboost (bench/heavy_models.py, cached by the script's hash), then
//   - kernel times: inferd's predict on the 1,000-row batch in this process against the library's own
//     single-thread predict (bench/kernels.ts);
//   - serving: 1,000-row and 1-row V2 requests (JSON and binary) through inferd's gateway, and the same JSON
//     requests to KServe's sklearnserver / xgbserver on the same files (full run only).
// LightGBM is not packaged in Debian: there is no LightGBM model here (see docs/benchmarks.md).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { HttpReply } from './http-client.js';
import {
  HEAVY_FEATURES,
  HEAVY_ROWS,
  type KernelTime,
  measureKernels,
  type NativeReference,
  readBatch,
} from './kernels.js';
import type { CaseSpec } from './measure.js';
import type { Payload } from './payloads.js';
import { splitBinaryReply } from './payloads.js';
import type { ProcessGroups } from './proc.js';
import {
  applyIsvc,
  isvcManifest,
  type KServe,
  kserveXgbPeerScript,
  repoRoot,
  startKServe,
  waitIsvcReady,
} from './targets.js';

export const HEAVY_MODELS = ['xgboost', 'rf', 'gb', 'mlp', 'onnx'] as const;
export type HeavyModel = (typeof HEAVY_MODELS)[number];
const FORMAT: Record<HeavyModel, string> = {
  xgboost: 'xgboost',
  rf: 'sklearn',
  gb: 'sklearn',
  mlp: 'sklearn',
  onnx: 'onnx',
};
const PYTHON = '/usr/bin/python3';

export interface HeavyResults {
  models_dir: string;
  /** Seconds heavy_models.py took when it had to train (null: the cached models were used). */
  train_s: number | null;
  native: Record<string, Omit<NativeReference, 'expected'>>;
  /** When the native times were taken. */
  native_timed: string;
  kernels: KernelTime[];
  kernel_reps: number;
  notes: string[];
}

/** Trains the models unless this version of heavy_models.py already did (its output is keyed by its hash). */
export async function prepareHeavyModels(log: (m: string) => void): Promise<{ dir: string; trainS: number | null }> {
  const script = join(repoRoot, 'bench', 'heavy_models.py');
  const hash = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 12);
  const dir = join(os.tmpdir(), `inferd-bench-heavy-${hash}`);
  if (existsSync(join(dir, 'native.json'))) return { dir, trainS: null };
  log(`heavy models: training with Debian's python3-sklearn/python3-xgboost into ${dir} (once; about 1-3 minutes)`);
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(PYTHON, [script, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${PYTHON}: ${e.message} (the heavy bench needs Debian's python3)`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {
        rmSync(dir, { recursive: true, force: true });
        reject(
          new Error(
            `heavy_models.py failed (${signal ?? `exit ${code}`}); it needs Debian's python3-sklearn, python3-xgboost and python3-onnx (apt-get install them): ${err.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
      }
    });
  });
  return { dir, trainS: Math.round((performance.now() - t0) / 100) / 10 };
}

/** Runs native_times.py: the libraries' predict times now, on the machine as it is during this run. */
function nativeTimesNow(dir: string, reps: number): Promise<Record<string, NativeTimes>> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(repoRoot, 'bench', 'native_times.py'), dir, String(reps)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5 * 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as Record<string, NativeTimes>);
      else reject(new Error(`native_times.py failed (exit ${code}): ${err.trim().split('\n').slice(-2).join(' | ')}`));
    });
  });
}

type NativeTimes = Pick<NativeReference, 'single_thread_ms' | 'two_thread_ms'>;

/**
 * Kernel times and the native references (without the per-row expected values). The native times are taken
 * again now (median of `nativeReps`), just before inferd's, so that each ratio compares one machine state.
 */
export async function heavyKernels(
  dir: string,
  reps: number,
  nativeReps: number,
  /** The models whose kernels are timed (default all). */
  only?: readonly string[],
): Promise<Pick<HeavyResults, 'native' | 'kernels' | 'native_timed'>> {
  const raw = JSON.parse(readFileSync(join(dir, 'native.json'), 'utf8')) as Record<string, NativeReference>;
  const now = await nativeTimesNow(dir, nativeReps);
  const native: HeavyResults['native'] = {};
  for (const [k, v] of Object.entries(raw)) {
    const { expected: _expected, ...rest } = v;
    native[k] = { ...rest, ...(now?.[k] ?? {}) };
  }
  return {
    native,
    native_timed: `in this run, just before the inferd kernels (median of ${nativeReps})`,
    kernels: await measureKernels(dir, reps, only, now),
  };
}

function rowsText(x: Float32Array, rows: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    // Two decimals, as the batch was rounded: the JSON text parses back to the same float32 values.
    for (let f = 0; f < HEAVY_FEATURES; f++) row.push(Math.round(x[r * HEAVY_FEATURES + f]! * 100) / 100);
    out.push(JSON.stringify(row));
  }
  return `[${out.join(',')}]`;
}

function checkRows(rows: number) {
  return (r: HttpReply): string | undefined => {
    if (r.status !== 200) return `status ${r.status}: ${r.body.toString().slice(0, 300)}`;
    const split = splitBinaryReply(r);
    if (split) {
      const out = (split.header as { outputs?: Array<{ shape?: number[] }> }).outputs?.[0];
      return out?.shape?.[0] === rows
        ? undefined
        : `binary reply without ${rows} rows: ${JSON.stringify(split.header)}`;
    }
    try {
      const j = JSON.parse(r.body.toString()) as { outputs?: Array<{ data?: unknown[] }>; predictions?: unknown[] };
      const n = j.outputs?.[0]?.data?.length ?? j.predictions?.length;
      return n === rows ? undefined : `expected ${rows} answers, got ${r.body.toString().slice(0, 300)}`;
    } catch {
      return `not JSON: ${r.body.toString().slice(0, 300)}`;
    }
  };
}

/** V2 infer of the batch's first `rows` rows: JSON, or the binary tensor extension both ways. */
export function heavyPayload(model: HeavyModel, x: Float32Array, rows: number, binary: boolean): Payload {
  const name = model === 'onnx' ? 'input' : 'input-0';
  const id = `heavy_${model}_${rows}_${binary ? 'binary' : 'json'}`;
  const path = (m: string) => `/v2/models/${m}/infer`;
  if (!binary) {
    const body = `{"inputs":[{"name":"${name}","shape":[${rows},${HEAVY_FEATURES}],"datatype":"FP32","data":${rowsText(x, rows)}}]}`;
    return {
      id,
      path,
      body: Buffer.from(body),
      headers: { 'Content-Type': 'application/json' },
      check: checkRows(rows),
    };
  }
  const raw = Buffer.from(x.buffer, x.byteOffset, rows * HEAVY_FEATURES * 4);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name, shape: [rows, HEAVY_FEATURES], datatype: 'FP32', parameters: { binary_data_size: raw.length } }],
      outputs: model === 'onnx' ? [{ name: 'output', parameters: { binary_data: true } }] : undefined,
      parameters: model === 'onnx' ? undefined : { binary_data_output: true },
    }),
  );
  return {
    id,
    path,
    body: Buffer.concat([header, raw]),
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(header.length) },
    check: checkRows(rows),
  };
}

export interface HeavyServingContext {
  serveUrl: string;
  servePid: number;
  groups: ProcessGroups;
  kserve: boolean;
  log: (m: string) => void;
  run: (spec: CaseSpec) => Promise<unknown>;
  notes: string[];
  /** Which models get wrk cases (the full run: all). */
  models: readonly HeavyModel[];
}

/** Applies the heavy models to the running inferd serve and measures them, then KServe's servers on the same files. */
export async function heavyServing(ctx: HeavyServingContext, dir: string): Promise<void> {
  const x = readBatch(dir);
  const native = JSON.parse(readFileSync(join(dir, 'native.json'), 'utf8')) as Record<string, NativeReference>;
  for (const model of ctx.models) {
    const ref = native[model];
    if (!ref || ref.skipped) {
      ctx.notes.push(`heavy ${model}: ${ref?.skipped ?? 'not trained'}`);
      continue;
    }
    const name = `heavy-${model}`;
    const modelDir = join(dir, model);
    try {
      await applyIsvc(ctx.serveUrl, isvcManifest(name, modelDir, 'default', FORMAT[model]));
      await waitIsvcReady(ctx.serveUrl, 'default', name, 120_000);
    } catch (err) {
      ctx.notes.push(`heavy ${model}: not served (${err instanceof Error ? err.message : String(err)})`);
      continue;
    }
    ctx.log(`heavy ${model}: 1,000 × ${HEAVY_FEATURES} V2 through the gateway`);
    const base = {
      model: name,
      target: 'inferd-gateway' as const,
      baseUrl: ctx.serveUrl,
      headers: { Host: `${name}.default.example.com` },
      serverPids: [ctx.servePid],
    };
    const json = heavyPayload(model, x, HEAVY_ROWS, false);
    await ctx.run({ ...base, payload: json, connections: 1 });
    await ctx.run({ ...base, payload: json, connections: 4 });
    await ctx.run({ ...base, payload: heavyPayload(model, x, HEAVY_ROWS, true), connections: 1 });
    await ctx.run({ ...base, payload: heavyPayload(model, x, 1, false), connections: 1 });
    if (!ctx.kserve) continue;
    if (model === 'onnx') {
      ctx.notes.push('heavy onnx: no KServe peer (KServe serves ONNX through Triton, which is not available here)');
      continue;
    }
    let kserve: KServe | undefined;
    try {
      kserve = await startKServe(ctx.groups, {
        modelDir,
        firstRequest: json,
        model: name,
        script: model === 'xgboost' ? kserveXgbPeerScript : undefined,
      });
      const k = { model: name, target: 'kserve' as const, baseUrl: kserve.url, serverPids: [kserve.started.pid] };
      await ctx.run({ ...k, payload: json, connections: 1 });
      await ctx.run({ ...k, payload: json, connections: 4 });
      await ctx.run({ ...k, payload: heavyPayload(model, x, 1, false), connections: 1 });
    } catch (err) {
      ctx.notes.push(`heavy ${model}: KServe failed (${err instanceof Error ? err.message : String(err)})`);
    } finally {
      if (kserve) await ctx.groups.stop(kserve.started.pid);
    }
  }
}

/** The issue's ratios per heavy model: rps at c4 and p99 at c1 against KServe, kernel time against native. */
export function heavyRatios(
  cases: Parameters<typeof import('./results.js').findCase>[0],
  kernels: readonly KernelTime[],
): Record<string, number | null> {
  const find = (target: string, name: string) =>
    cases.find((c) => c.target === target && c.name === name && c.status === 'ok');
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a === null || a === undefined || b === null || b === undefined || !(b > 0)
      ? null
      : Math.round((a / b) * 1000) / 1000;
  const out: Record<string, number | null> = {};
  for (const m of HEAVY_MODELS) {
    const name = (c: number, rows = HEAVY_ROWS) => `heavy_${m}_${rows}_json_c${c}`;
    out[`heavy_${m}_1000_c4_rps_vs_kserve`] = ratio(find('inferd-gateway', name(4))?.rps, find('kserve', name(4))?.rps);
    out[`heavy_${m}_1000_c1_p99_vs_kserve`] = ratio(
      find('inferd-gateway', name(1))?.p99_ms,
      find('kserve', name(1))?.p99_ms,
    );
    out[`heavy_${m}_1_c1_p99_vs_kserve`] = ratio(
      find('inferd-gateway', name(1, 1))?.p99_ms,
      find('kserve', name(1, 1))?.p99_ms,
    );
    const k = kernels.find((x) => x.model === m);
    out[`heavy_${m}_kernel_vs_native`] = k?.ratio_to_native ?? null;
    // Split across 2 threads (intra-op pool) against the native single-thread time: the target is < 1.
    out[`heavy_${m}_kernel_two_threads_vs_native`] = k?.two_thread_ratio_to_native ?? null;
  }
  return out;
}
