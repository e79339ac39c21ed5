// Each packed model's worker thread imports only what its model needs (docs/benchmarks.md, "Per-worker RSS by
// runtime"): a fresh node process loads one model through its runtime while a module loader hook records every
// inferd module it evaluates; an SVC must not load the forest, tree or MLP code, a JSON xgboost model not the
// UBJSON or legacy-binary parsers, and so on. Checked by module URL, not by timing or memory.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const distSrc = fileURLToPath(new URL('../../src/', import.meta.url));
const fixtures = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'inferd-lazy-imports-'));
  // Runs in the loader's thread: appends each module URL to the file named by the process's env, synchronously,
  // so the list is complete when the process exits.
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:') || url.startsWith('node:')) appendFileSync(process.env.INFERD_TEST_MODULE_LOG, url + '\\n');
  return next(url, context);
}
`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
  );
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let runs = 0;

/**
 * The inferd modules (paths under dist/src/) and node builtins (`node:zlib`) a fresh process's ES module loader
 * evaluates to load `modelDir` with `runtime`.
 */
async function modulesLoaded(runtime: string, exportName: string, modelDir: string): Promise<string[]> {
  const log = join(dir, `modules-${++runs}.log`);
  writeFileSync(log, '');
  const runtimeUrl = pathToFileURL(join(distSrc, 'runtimes', runtime, 'index.js')).href;
  const script = `const { ${exportName}: rt } = await import(${JSON.stringify(runtimeUrl)});
const model = await rt.load({ name: 'm', modelDir: ${JSON.stringify(modelDir)}, env: {} });
process.stdout.write(model.name === 'm' ? 'loaded' : 'wrong model');`;
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', script],
      { env: { ...process.env, INFERD_TEST_MODULE_LOG: log }, timeout: 60_000 },
      (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
    );
  });
  assert.equal(stdout, 'loaded');
  const prefix = pathToFileURL(distSrc).href;
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith(prefix) || u.startsWith('node:'))
    .map((u) => (u.startsWith(prefix) ? u.slice(prefix.length) : u));
}

function assertLoads(modules: string[], expected: string[], notExpected: string[]): void {
  for (const m of expected) assert.ok(modules.includes(m), `${m} was loaded; loaded: ${modules.join(', ')}`);
  for (const m of notExpected) assert.ok(!modules.includes(m), `${m} was loaded too; loaded: ${modules.join(', ')}`);
}

const sk = (name: string) => join(fixtures, 'sklearn', 'models', name);
const est = (file: string) => `runtimes/sklearn/estimators/${file}.js`;

describe('sklearn: a model loads only its estimator families', () => {
  test('an SVC loads svm.js, not the tree, forest, MLP or ONNX code', async () => {
    const modules = await modulesLoaded('sklearn', 'sklearnRuntime', sk('svc_proba_iris'));
    assertLoads(
      modules,
      [est('registry'), est('svm'), est('svm-kernel')],
      [
        est('forest'),
        est('tree'),
        est('mlp'),
        est('mlp-graph'),
        est('linear'),
        est('gradient-boosting'),
        est('pipeline'),
        est('scalers'),
        est('function-transformer'),
        'runtimes/sklearn/ort-kernel.js',
        'runtimes/onnx/model-proto.js',
        'node:zlib', // an uncompressed file
      ],
    );
  });

  test('a zlib-compressed joblib file loads node:zlib', async () => {
    const modules = await modulesLoaded('sklearn', 'sklearnRuntime', sk('svc_rbf_iris-zlib'));
    assertLoads(modules, ['node:zlib', est('svm')], [est('forest')]);
  });

  test('a random forest loads forest.js and tree.js, not svm.js', async () => {
    const modules = await modulesLoaded('sklearn', 'sklearnRuntime', sk('forest_clf_iris'));
    // One intra-op thread (the default): the pool's code stays unloaded though a forest can split its calls.
    assertLoads(
      modules,
      [est('forest'), est('tree'), 'runtimes/intra-op/settings.js'],
      [est('svm'), est('mlp'), 'runtimes/sklearn/ort-kernel.js', 'runtimes/intra-op/pool.js'],
    );
  });

  test('a Pipeline loads the families of its steps (scaler, SVC), not the others', async () => {
    const modules = await modulesLoaded('sklearn', 'sklearnRuntime', sk('pipe_scaler_svc_wine'));
    assertLoads(modules, [est('pipeline'), est('scalers'), est('svm')], [est('forest'), est('mlp'), est('linear')]);
  });

  test('an MLP loads its ONNX graph writer and ort-kernel.js', async () => {
    const modules = await modulesLoaded('sklearn', 'sklearnRuntime', sk('mlp_clf_iris'));
    assertLoads(
      modules,
      [est('mlp'), est('mlp-graph'), 'runtimes/sklearn/ort-kernel.js', 'runtimes/onnx/model-proto.js'],
      [est('svm'), est('forest')],
    );
  });
});

describe('xgboost: a model file loads only its format reader', () => {
  const xgb = (format: string) => join(fixtures, 'xgboost', 'models', 'multi_softmax_iris', format);
  const reader = (file: string) => `runtimes/xgboost/${file}.js`;

  test('JSON: not the UBJSON or legacy-binary readers', async () => {
    const modules = await modulesLoaded('xgboost', 'xgboostRuntime', xgb('json'));
    assertLoads(
      modules,
      [reader('xgb-json-model')],
      [reader('ubjson'), reader('xgb-legacy-binary'), 'runtimes/intra-op/pool.js'],
    );
  });

  test('UBJSON: the UBJSON decoder, not the legacy-binary reader', async () => {
    const modules = await modulesLoaded('xgboost', 'xgboostRuntime', xgb('ubj'));
    assertLoads(modules, [reader('ubjson'), reader('xgb-json-model')], [reader('xgb-legacy-binary')]);
  });

  test('legacy binary: not the JSON or UBJSON readers', async () => {
    const modules = await modulesLoaded('xgboost', 'xgboostRuntime', xgb('bst'));
    assertLoads(modules, [reader('xgb-legacy-binary')], [reader('ubjson'), reader('xgb-json-model')]);
  });
});

test('lightgbm: one intra-op thread (the default) leaves the pool unloaded', async () => {
  const dir = join(fixtures, 'lightgbm', 'models', 'leaves_rf_iris');
  const modules = await modulesLoaded('lightgbm', 'lightgbmRuntime', dir);
  assertLoads(modules, ['runtimes/lightgbm/lgb-text-model.js'], ['runtimes/intra-op/pool.js']);
});
