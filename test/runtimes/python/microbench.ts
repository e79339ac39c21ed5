// Runtime micro-benchmark: predict time per row, native TypeScript vs the Python fallback, for an SVC, a random
// forest, a HistGradientBoosting model (scikit-learn) and an XGBoost booster (native only: the fallback serves
// scikit-learn pickles). The models are trained fresh on iris by Debian's /usr/bin/python3 (python3-sklearn,
// python3-xgboost), at sizes people deploy (100 trees), and each is timed in-process, no HTTP:
//
//   npm run build && node dist/test/runtimes/python/microbench.js [--calls 300] [--batch 1000]
//
// "1 row" is the median latency of one-row predict calls (what a single online request costs); "batch" is the
// median time of a `--batch`-row call divided by its rows. Not a .test.ts file: the test runner skips it.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Model, Tensor } from '../../../src/runtimes/model.js';
import { withPythonFallback } from '../../../src/runtimes/python/index.js';
import { sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { xgboostRuntime } from '../../../src/runtimes/xgboost/index.js';
import { fixturesDir } from '../../helpers/paths.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '300' },
    batch: { type: 'string', default: '1000' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const CALLS = Number(values.calls);
const BATCH = Number(values.batch);
const PYTHON = values.python;

const TRAIN = `
import sys, joblib, numpy as np, xgboost as xgb
from sklearn import datasets, ensemble, svm
out = sys.argv[1]
x, y = datasets.load_iris(return_X_y=True)
for name, model in [
    ("svc", svm.SVC(gamma="scale", probability=True, random_state=0)),
    ("forest", ensemble.RandomForestClassifier(n_estimators=100, random_state=0)),
    ("hgb", ensemble.HistGradientBoostingClassifier(max_iter=100, random_state=0)),
]:
    import os; os.makedirs(os.path.join(out, name))
    joblib.dump(model.fit(x, y), os.path.join(out, name, "model.joblib"))
os.makedirs(os.path.join(out, "xgboost"))
booster = xgb.XGBClassifier(n_estimators=100, max_depth=6, objective="multi:softprob").fit(x, y)
booster.save_model(os.path.join(out, "xgboost", "model.json"))
`;

function irisRows(n: number): Tensor {
  const rows = (
    JSON.parse(readFileSync(join(fixturesDir, 'sklearn', 'data', 'iris.json'), 'utf8')) as { X: number[][] }
  ).X;
  const data = new Float64Array(n * 4);
  for (let r = 0; r < n; r++) data.set(rows[r % rows.length]!, r * 4);
  return { name: 'input-0', datatype: 'FP64', shape: [n, 4], data };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeCalls(model: Model, input: Tensor, calls: number): Promise<number> {
  for (let i = 0; i < Math.max(5, calls / 10); i++) await model.predict([input]); // warm-up
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await model.predict([input]);
    times.push(performance.now() - t0);
  }
  return median(times);
}

interface Row {
  model: string;
  path: string;
  oneRowUs: number;
  batchPerRowUs: number;
}

async function measure(model: Model, name: string, path: string): Promise<Row> {
  const oneRowMs = await timeCalls(model, irisRows(1), CALLS);
  const batchMs = await timeCalls(model, irisRows(BATCH), Math.max(10, Math.round(CALLS / 10)));
  return { model: name, path, oneRowUs: oneRowMs * 1000, batchPerRowUs: (batchMs * 1000) / BATCH };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-microbench-'));
  const loaded: Model[] = [];
  try {
    execFileSync(PYTHON, ['-c', TRAIN, dir], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
    const fallback = withPythonFallback(sklearnRuntime, { python: PYTHON, preferPython: true });
    const rows: Row[] = [];
    for (const [name, label] of [
      ['svc', 'SVC (rbf, iris)'],
      ['forest', 'RandomForest (100 trees)'],
      ['hgb', 'HistGradientBoosting (100 iter)'],
    ] as const) {
      const modelDir = join(dir, name);
      const native = await sklearnRuntime.load({ name, modelDir });
      loaded.push(native);
      rows.push(await measure(native, label, 'native'));
      const python = await fallback.load({ name, modelDir });
      loaded.push(python);
      rows.push(await measure(python, label, 'python fallback'));
      await python.unload?.();
    }
    const booster = await xgboostRuntime.load({ name: 'xgb', modelDir: join(dir, 'xgboost') });
    loaded.push(booster);
    rows.push(await measure(booster, 'XGBoost (100 rounds, depth 6)', 'native'));
    const fmt = (us: number) => (us >= 100 ? us.toFixed(0) : us.toFixed(2));
    process.stdout.write(`| model | path | 1 row (µs/call) | ${BATCH} rows (µs/row) |\n|---|---|---|---|\n`);
    for (const r of rows) {
      process.stdout.write(`| ${r.model} | ${r.path} | ${fmt(r.oneRowUs)} | ${fmt(r.batchPerRowUs)} |\n`);
    }
    process.stdout.write(`\n${JSON.stringify({ calls: CALLS, batch: BATCH, node: process.version, rows })}\n`);
  } finally {
    for (const m of loaded) await m.unload?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
