// Experiment: what one idle worker thread costs in RSS when it imports a native runtime and loads one iris-size
// model of its format -- the part of a packed model's `mib_per_extra_model` the runtime's own modules decide
// (docs/benchmarks.md, "Per-worker RSS by runtime"). Each sample is a fresh child process that starts N workers
// (`new Worker` + `import()` of the runtime + `load()`), waits until all have loaded, then 5 s, and reads its
// RSS; the per-worker figure is (RSS after - RSS before the workers) / N; then each worker's V8 heap used after
// a full GC. A bare worker (no import) is measured in the same run. Several builds can be compared in one run
// (--dist=dist,OTHER_DIST): samples interleave builds and scenarios round by round, so drift on the machine hits
// them alike.
// Usage: node dist/bench/experiments/worker-rss.js [--n=25] [--runs=3] [--settle-ms=5000]
//          [--dist=dist[,other-dist]] [--scenarios=bare,esm,sklearn,xgboost,lightgbm,onnx]

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root: dist/bench/experiments/ -> ../../.. */
const repoRoot = resolve(here, '..', '..', '..');

interface Scenario {
  /** Module under the build's src/runtimes/ and its RuntimeFactory export; none for a bare worker. */
  runtime?: { module: string; exportName: string };
  modelDir?: string;
}

/** The density bench's models (bench/run.ts, DENSITY_MODELS). */
const SCENARIOS: Record<string, Scenario> = {
  bare: {},
  // A worker's first import() starts its ES module loader: a cost every runtime pays, whatever it imports.
  esm: { runtime: { module: '../errors.js', exportName: '' } },
  sklearn: {
    runtime: { module: 'sklearn/index.js', exportName: 'sklearnRuntime' },
    modelDir: join(repoRoot, 'models', 'sklearn-iris'),
  },
  xgboost: {
    runtime: { module: 'xgboost/index.js', exportName: 'xgboostRuntime' },
    modelDir: join(repoRoot, 'test', 'fixtures', 'xgboost', 'models', 'multi_softmax_iris', 'json'),
  },
  lightgbm: {
    runtime: { module: 'lightgbm/index.js', exportName: 'lightgbmRuntime' },
    modelDir: join(repoRoot, 'test', 'fixtures', 'lightgbm', 'models', 'leaves_rf_iris'),
  },
  onnx: {
    runtime: { module: 'onnx/index.js', exportName: 'onnxRuntime' },
    modelDir: join(repoRoot, 'test', 'fixtures', 'onnx', 'fixed'),
  },
};

// The worker: import the runtime, load the model, keep it referenced, stay alive (a parentPort listener).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { getHeapStatistics } = require('node:v8');
parentPort.on('message', () => {
  globalThis.gc?.(); // after RSS was read: the heap the worker keeps, without garbage not yet collected
  const h = getHeapStatistics();
  parentPort.postMessage({ heapUsed: h.used_heap_size, heapPhysical: h.total_physical_size });
});
(async () => {
  const { url, exportName, modelDir } = workerData;
  if (url) {
    const mod = await import(url);
    if (modelDir) globalThis.__model = await mod[exportName].load({ name: 'm', modelDir, env: {} });
  }
  parentPort.postMessage({ loaded: true });
})().catch((err) => parentPort.postMessage({ error: String((err && err.stack) || err) }));
`;

const rssBytes = (): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage.rss();
};

function arg(name: string, fallback: string): string {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : fallback;
}

/** Child: N workers of one scenario from one build; prints {before, after} RSS in bytes as one JSON line. */
async function child(): Promise<void> {
  const n = Number(arg('n', '25'));
  const settleMs = Number(arg('settle-ms', '5000'));
  const dist = resolve(arg('dist', 'dist'));
  const scenario = SCENARIOS[arg('scenario', 'bare')];
  if (!scenario) throw new Error(`unknown scenario ${arg('scenario', '')}`);
  const data = scenario.runtime
    ? {
        url: pathToFileURL(join(dist, 'src', 'runtimes', scenario.runtime.module)).href,
        exportName: scenario.runtime.exportName,
        modelDir: scenario.modelDir,
      }
    : {};
  const before = rssBytes();
  const workers: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
    workers.push(w);
    // One at a time, so that peak compile memory of many concurrent imports does not inflate the figure.
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('worker did not load within 60 s')), 60_000);
      w.once('message', (m: { loaded?: boolean; error?: string }) => {
        clearTimeout(timer);
        if (m.error) rej(new Error(m.error));
        else res();
      });
      w.once('error', (e) => {
        clearTimeout(timer);
        rej(e);
      });
    });
  }
  await new Promise((r) => setTimeout(r, settleMs)); // the brief's "RSS 5 s after the last load"
  const after = rssBytes();
  // Each worker's V8 heap after a full GC (what its modules and model keep as JS objects and code): steadier
  // than RSS.
  const heaps = await Promise.all(
    workers.map(
      (w) =>
        new Promise<{ heapUsed: number; heapPhysical: number }>((res) => {
          w.once('message', res);
          w.postMessage('stats');
        }),
    ),
  );
  const heapUsed = heaps.reduce((a, h) => a + h.heapUsed, 0);
  const heapPhysical = heaps.reduce((a, h) => a + h.heapPhysical, 0);
  process.stdout.write(`${JSON.stringify({ before, after, n, heapUsed, heapPhysical })}\n`);
  await Promise.all(workers.map((w) => w.terminate()));
}

const MiB = 1024 * 1024;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};

function parent(): void {
  const n = arg('n', '25');
  const runs = Number(arg('runs', '3'));
  const settle = arg('settle-ms', '5000');
  const dists = arg('dist', 'dist').split(',');
  const names = arg('scenarios', Object.keys(SCENARIOS).join(',')).split(',');
  const samples = new Map<string, number[]>(); // `${dist}\t${scenario}` -> RSS MiB per worker
  const heapSamples = new Map<string, number[]>(); // the same key -> V8 heap used, MiB per worker
  const self = fileURLToPath(import.meta.url);
  for (let run = 0; run < runs; run++) {
    for (const name of names) {
      for (const dist of dists) {
        const out = execFileSync(
          process.execPath,
          ['--expose-gc', self, '--child', `--n=${n}`, `--settle-ms=${settle}`, `--dist=${dist}`, `--scenario=${name}`],
          { encoding: 'utf8', timeout: 300_000 },
        );
        const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, number>;
        const per = ((r.after ?? 0) - (r.before ?? 0)) / Number(n) / MiB;
        const heap = (r.heapUsed ?? 0) / Number(n) / MiB;
        const key = `${dist}\t${name}`;
        samples.set(key, [...(samples.get(key) ?? []), per]);
        heapSamples.set(key, [...(heapSamples.get(key) ?? []), heap]);
        process.stderr.write(
          `run ${run + 1}/${runs} ${dist} ${name}: ${per.toFixed(2)} MiB RSS, ${heap.toFixed(2)} MiB heap used /worker\n`,
        );
      }
    }
  }
  process.stdout.write(`N=${n} workers per sample, ${runs} runs, RSS ${settle} ms after the last load\n`);
  process.stdout.write('build\tscenario\tRSS MiB/worker (mean ± sd)\tover bare\tover esm\theap used MiB/worker\n');
  for (const dist of dists) {
    const over = (name: string, base: string) => {
      const b = samples.get(`${dist}\t${base}`);
      return b && name !== base ? (mean(samples.get(`${dist}\t${name}`) ?? []) - mean(b)).toFixed(2) : '';
    };
    for (const name of names) {
      const xs = samples.get(`${dist}\t${name}`) ?? [];
      const heap = heapSamples.get(`${dist}\t${name}`) ?? [];
      const row = [
        dist,
        name,
        `${mean(xs).toFixed(2)} ± ${sd(xs).toFixed(2)}`,
        over(name, 'bare'),
        over(name, 'esm'),
        mean(heap).toFixed(2),
      ];
      process.stdout.write(`${row.join('\t')}\n`);
    }
  }
}

if (process.argv.includes('--child')) {
  child().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
} else {
  parent();
}
