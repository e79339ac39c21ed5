// Experiment: a scikit-learn MLP's TypeScript dense layers against the same network compiled to ONNX and run in
// onnxruntime-node, float64 and float32, by batch size -- what chose float64 and the row threshold of
// runtimes/sklearn/ort-kernel.ts (docs/benchmarks.md, "MLP kernel"). Rounds interleave the variants.
// Usage: node dist/bench/experiments/mlp-ort.js MODEL.joblib [REPS] [ROWS,...] [THREADS]

import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { estimatorFromBytes } from '../../src/runtimes/sklearn/load-estimator.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: mlp-ort.js MODEL.joblib [REPS] [ROWS,...] [THREADS]');
  const reps = Number(process.argv[3] ?? 30);
  const sizes = (process.argv[4] ?? '1,4,16,64,256,1000').split(',').map(Number);
  const threads = Number(process.argv[5] ?? 1);
  const est = await estimatorFromBytes(readFileSync(file), 'model.joblib');
  const offload = est.onnxOffload;
  if (!offload) throw new Error(`${est.className} has no ONNX graph`);
  const options = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const };
  const s64 = await ort.InferenceSession.create(offload.graph('float64'), options);
  const s32 = await ort.InferenceSession.create(offload.graph('float32'), options);
  const nIn = offload.nInputs;
  process.stdout.write(
    `${est.className}, ${offload.stepsPerRow} multiply-adds per row, ${threads} onnxruntime thread(s), median of ${reps}\n`,
  );
  process.stdout.write('rows\tjs ms\tort f64 ms\tort f32 ms\tmax |f64 - js|\tmax |f32 - js|\n');
  for (const rows of sizes) {
    const x = new Float64Array(rows * nIn);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) * 2;
    const x32 = Float32Array.from(x);
    const js = () => (est.predictProba ? est.predictProba(x, rows) : est.predict(x, rows)).data as Float64Array;
    const r64 = async () => (await s64.run({ X: new ort.Tensor('float64', x, [rows, nIn]) })).Y!.data as Float64Array;
    const r32 = async () => (await s32.run({ X: new ort.Tensor('float32', x32, [rows, nIn]) })).Y!.data as Float32Array;
    const t = { js: [] as number[], f64: [] as number[], f32: [] as number[] };
    for (let i = 0; i < reps + 2; i++) {
      let t0 = performance.now();
      js();
      const a = performance.now() - t0;
      t0 = performance.now();
      await r64();
      const b = performance.now() - t0;
      t0 = performance.now();
      await r32();
      const c = performance.now() - t0;
      if (i >= 2) {
        t.js.push(a);
        t.f64.push(b);
        t.f32.push(c);
      }
    }
    // predict_proba (or predict) through each graph, against the TypeScript kernel's.
    const method = est.predictProba ? 'predict_proba' : 'predict';
    const via = async (session: ort.InferenceSession, type: 'float64' | 'float32') =>
      (
        await offload.predictWith(method, x, rows, async (input, n) => {
          const data = type === 'float64' ? input : Float32Array.from(input);
          const y = (await session.run({ X: new ort.Tensor(type, data, [n, nIn]) })).Y!.data;
          return Float64Array.from(y as ArrayLike<number>);
        })
      ).data as Float64Array;
    const ref = js();
    const maxDiff = (got: Float64Array) => got.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]!)), 0);
    const d64 = maxDiff(await via(s64, 'float64'));
    const d32 = maxDiff(await via(s32, 'float32'));
    process.stdout.write(
      `${rows}\t${median(t.js).toFixed(3)}\t${median(t.f64).toFixed(3)}\t${median(t.f32).toFixed(3)}\t${d64.toExponential(1)}\t${d32.toExponential(1)}\n`,
    );
  }
  await s64.release();
  await s32.release();
}

await main();
