// Kernel times of the heavy models: inferd's own predict on the 1,000-row batch, in this process, one thread,
// the median of many runs, next to the native library's single-thread predict that heavy_models.py measured.
// `node dist/bench/kernels.js MODELS_DIR [REPS]` prints them (the profiling entry point: run it under
// node --cpu-prof to see where a kernel's time goes).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { sharedArray, sharedFrom } from '../src/runtimes/intra-op/kernel.js';
import { ParallelKernel } from '../src/runtimes/intra-op/settings.js';
import type { LgbTree } from '../src/runtimes/lightgbm/lgb-text-model.js';
import { LgbTreeEnsemble } from '../src/runtimes/lightgbm/lgb-tree-ensemble.js';
import { estimatorFromBytes } from '../src/runtimes/sklearn/load-estimator.js';
import { OrtKernel } from '../src/runtimes/sklearn/ort-kernel.js';
import { boosterFromBytes } from '../src/runtimes/xgboost/load-booster.js';
import type { XgbTree } from '../src/runtimes/xgboost/xgb-booster.js';
import { XgbPredictor } from '../src/runtimes/xgboost/xgb-predictor.js';

export const HEAVY_FEATURES = 20;
export const HEAVY_ROWS = 1000;

export interface NativeReference {
  file: string;
  library: string;
  version: string;
  single_thread_ms: number;
  two_thread_ms: number | null;
  /** The library's predicted labels (or xgboost's probabilities) for the batch; null where not kept. */
  expected: number[] | null;
  skipped?: string;
}

export interface KernelTime {
  model: string;
  inferd_ms: number;
  native_single_thread_ms: number | null;
  native_two_thread_ms: number | null;
  /** inferd_ms / native_single_thread_ms: the target is ≤ 1.2. */
  ratio_to_native: number | null;
  /** inferd's kernel with the batch split across 2 threads (the intra-op pool), where the model has one. */
  inferd_two_thread_ms?: number | null;
  /** inferd_two_thread_ms / native_single_thread_ms: the target is < 1. */
  two_thread_ratio_to_native?: number | null;
  /** Labels (or xgboost probabilities within 1e-6) equal to the library's. */
  agrees: boolean | null;
  /** MLP: the TypeScript dense layers' time (what answers where onnxruntime cannot load; inferd_ms is onnxruntime's). */
  inferd_typescript_ms?: number;
  note?: string;
}

/** Intra-op settings of the two-thread times: 2 threads, every batch split. */
const TWO_THREADS = { threads: 2, minRows: 1, minWorkSteps: 0 };
const r3 = (v: number) => Math.round(v * 1000) / 1000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

/** Median ms of `reps` calls after two warm-up calls. */
export async function timeIt(fn: () => unknown, reps: number): Promise<number> {
  await fn();
  await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export function readBatch(dir: string): Float32Array {
  const buf = readFileSync(join(dir, 'batch.f32'));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function sameLabels(got: ArrayLike<unknown>, want: number[]): boolean {
  if (got.length !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (Number(got[i]) !== want[i]) return false;
  return true;
}

/** Times inferd's kernel of every model heavy_models.py wrote to `dir`. */
export async function measureKernels(
  dir: string,
  reps: number,
  only?: readonly string[],
  /** Native times taken now (native_times.py), replacing the ones measured at training. */
  retimed?: Record<string, Pick<NativeReference, 'single_thread_ms' | 'two_thread_ms'>>,
): Promise<KernelTime[]> {
  const native = JSON.parse(readFileSync(join(dir, 'native.json'), 'utf8')) as Record<string, NativeReference>;
  for (const [k, v] of Object.entries(retimed ?? {})) if (native[k] && !native[k].skipped) Object.assign(native[k], v);
  const x = readBatch(dir);
  const rows = HEAVY_ROWS;
  const out: KernelTime[] = [];
  let lightgbm: KernelTime | undefined;
  for (const [model, ref] of Object.entries(native)) {
    if (only && !only.includes(model)) continue;
    if (ref.skipped) {
      out.push({
        model,
        inferd_ms: Number.NaN,
        native_single_thread_ms: null,
        native_two_thread_ms: null,
        ratio_to_native: null,
        agrees: null,
        note: ref.skipped,
      });
      continue;
    }
    const bytes = readFileSync(join(dir, ref.file));
    let predict: () => unknown;
    let predictTwo: (() => Promise<unknown>) | undefined;
    let agrees: boolean | null = null;
    let typescriptMs: number | undefined;
    if (model === 'xgboost') {
      const p = new XgbPredictor(await boosterFromBytes(bytes));
      predict = () => p.predict(x, rows, { missing: Number.NaN });
      const kernel = (await p.parallelKernel(TWO_THREADS))!;
      predictTwo = () => p.predictParallel(kernel, x, rows, { missing: Number.NaN });
      const got = (p.predict(x, rows, { missing: Number.NaN }) as { data: Float32Array }).data;
      agrees = ref.expected?.every((v, i) => Math.abs(v - got[i]!) <= 1e-6) ?? false;
      if (!only || only.includes('lightgbm')) {
        // LightGBM: xgboost's ensemble as LightGBM trees; its reference is xgboost's own time on it.
        const booster = await boosterFromBytes(bytes);
        const lgb = new LgbTreeEnsemble(booster.trees.map(lgbTreeOf));
        const x64 = Float64Array.from(x);
        const lgbMs = await timeIt(
          () => lgb.addRawScores(x64, rows, HEAVY_FEATURES, 1, booster.trees.length, new Float64Array(rows)),
          reps,
        );
        const lgbKernel = (await ParallelKernel.create(
          {
            module: new URL('../src/runtimes/lightgbm/lgb-tree-ensemble.js', import.meta.url).href,
            exportName: 'lgbLevelWalkKernel',
            state: lgb.levelWalkState(),
          },
          TWO_THREADS,
        ))!;
        const lgbTwoMs = await timeIt(
          () =>
            lgbKernel.run(
              {
                arrays: { x: sharedFrom(Float64Array, x64), out: sharedArray(Float64Array, rows) },
                params: { nFeatures: HEAVY_FEATURES, k: 1, iterations: booster.trees.length },
              },
              rows,
              64,
            ),
          reps,
        );
        const margins = new Float64Array(rows);
        lgb.addRawScores(x64, rows, HEAVY_FEATURES, 1, booster.trees.length, margins);
        const base = Math.log(got[0]! / (1 - got[0]!)) - margins[0]!;
        lightgbm = {
          model: 'lightgbm',
          inferd_ms: Math.round(lgbMs * 1000) / 1000,
          native_single_thread_ms: Math.round(ref.single_thread_ms * 1000) / 1000,
          native_two_thread_ms: ref.two_thread_ms === null ? null : Math.round(ref.two_thread_ms * 1000) / 1000,
          ratio_to_native: Math.round((lgbMs / ref.single_thread_ms) * 100) / 100,
          inferd_two_thread_ms: r3(lgbTwoMs),
          two_thread_ratio_to_native: Math.round((lgbTwoMs / ref.single_thread_ms) * 100) / 100,
          // Same trees, float64 sums: the probabilities agree with xgboost's float32 ones to 1e-5.
          agrees: Array.from(margins).every((m, i) => Math.abs(1 / (1 + Math.exp(-(m + base))) - got[i]!) <= 1e-5),
          note: "xgboost's ensemble written as LightGBM trees (LightGBM is not packaged in Debian); native: xgboost's time",
        };
      }
    } else if (model === 'onnx') {
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      const feeds = { input: new ort.Tensor('float32', x, [rows, HEAVY_FEATURES]) };
      predict = () => session.run(feeds);
    } else {
      const est = await estimatorFromBytes(bytes, 'model.joblib');
      const x32 = est.inputDType === 'float32' ? x : Float64Array.from(x);
      const method = est.predictProba ? 'predict_proba' : 'predict';
      predict = est.predictProba ? () => est.predictProba!(x32, rows) : () => est.predict(x32, rows);
      const split = est.rowParallel;
      const offload = est.onnxOffload;
      if (offload) {
        // What a replica serves for 1,000 rows: the network in onnxruntime (runtimes/sklearn/ort-kernel.ts), one
        // thread, and two (its intra-op threads); the TypeScript kernel's time is kept alongside.
        typescriptMs = await timeIt(predict, reps);
        const one = await OrtKernel.create(offload, { threads: 1 });
        const two = await OrtKernel.create(offload, { threads: 2 });
        if (!one || !two) throw new Error('onnxruntime could not load the MLP graph');
        predict = () => offload.predictWith(method, x32, rows, one.run);
        predictTwo = () => offload.predictWith(method, x32, rows, two.run);
        if (ref.expected) {
          const labels = await offload.predictWith('predict', x32, rows, one.run);
          agrees = sameLabels(labels.data as ArrayLike<unknown>, ref.expected);
        }
      } else if (split) {
        const kernel = (await ParallelKernel.create(split.kernelSpec(), TWO_THREADS))!;
        predictTwo = () => split.predictWith(method, x32, rows, (job) => kernel.run(job, rows, split.blockRows));
      }
      if (ref.expected && !offload)
        agrees = sameLabels(est.predict(x32, rows).data as ArrayLike<unknown>, ref.expected);
    }
    const ms = await timeIt(predict, reps);
    const twoMs = predictTwo ? await timeIt(predictTwo, reps) : null;
    out.push({
      model,
      inferd_ms: Math.round(ms * 1000) / 1000,
      native_single_thread_ms: Math.round(ref.single_thread_ms * 1000) / 1000,
      native_two_thread_ms: ref.two_thread_ms === null ? null : Math.round(ref.two_thread_ms * 1000) / 1000,
      ratio_to_native: Math.round((ms / ref.single_thread_ms) * 100) / 100,
      inferd_two_thread_ms: twoMs === null ? null : r3(twoMs),
      two_thread_ratio_to_native: twoMs === null ? null : Math.round((twoMs / ref.single_thread_ms) * 100) / 100,
      agrees,
      ...(typescriptMs === undefined ? {} : { inferd_typescript_ms: r3(typescriptMs), note: 'onnxruntime, float64' }),
    });
    if (lightgbm) {
      out.push(lightgbm);
      lightgbm = undefined;
    }
  }
  return out;
}

/**
 * An xgboost tree as a LightGBM tree with the same splits (LightGBM is not in Debian, so the bench cannot train
 * one): `x < t` becomes `x <= the float32 just below t` (the same test for float32 inputs), missing type NaN.
 */
export function lgbTreeOf(t: XgbTree): LgbTree {
  const internal = new Map<number, number>();
  const leaf = new Map<number, number>();
  for (let i = 0; i < t.left.length; i++) {
    if (t.left[i] === -1) leaf.set(i, leaf.size);
    else internal.set(i, internal.size);
  }
  const id = (i: number) => (t.left[i] === -1 ? ~leaf.get(i)! : internal.get(i)!);
  const n = internal.size;
  const tree: LgbTree = {
    numLeaves: leaf.size,
    numCat: 0,
    splitFeature: new Int32Array(n),
    threshold: new Float64Array(n),
    decisionType: new Uint8Array(n),
    leftChild: new Int32Array(n),
    rightChild: new Int32Array(n),
    leafValue: new Float64Array(leaf.size),
    catBoundaries: new Int32Array(0),
    catThreshold: new Uint32Array(0),
    isLinear: false,
    leafConst: new Float64Array(0),
    leafFeatures: [],
    leafCoeff: [],
  };
  const below = new Float32Array(1);
  const bits = new Int32Array(below.buffer);
  for (const [i, g] of internal) {
    below[0] = t.splitCondition[i]!;
    bits[0]! += below[0]! > 0 ? -1 : below[0]! < 0 ? 1 : 0; // next float32 toward -inf (thresholds are not 0 here)
    tree.splitFeature[g] = t.splitIndex[i]!;
    tree.threshold[g] = below[0]!;
    tree.decisionType[g] = (2 << 2) | (t.defaultLeft[i] ? 2 : 0);
    tree.leftChild[g] = id(t.left[i]!);
    tree.rightChild[g] = id(t.right[i]!);
  }
  for (const [i, l] of leaf) tree.leafValue[l] = t.splitCondition[i]!;
  return tree;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node dist/bench/kernels.js MODELS_DIR [REPS] [model,...]\n');
    process.exit(2);
  }
  const reps = Number(process.argv[3] ?? 30);
  const only = process.argv[4]?.split(',');
  for (const k of await measureKernels(dir, reps, only)) process.stdout.write(`${JSON.stringify(k)}\n`);
}
