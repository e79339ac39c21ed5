// The Python fallback worker (Debian's /usr/bin/python3 with python3-sklearn): serves estimators the native
// runtime does not implement, gives the same answers as native for ones it does, refuses malicious pickles with
// its own restricted unpickler, and never sees a pickle the native reader refused. Skips where that Python is
// missing; fails instead under CI=true.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Model, Tensor } from '../../../src/runtimes/model.js';
import { FallbackSklearnModel } from '../../../src/runtimes/sklearn/fallback/fallback-model.js';
import { PythonWorker } from '../../../src/runtimes/sklearn/fallback/python-worker.js';
import { createSklearnRuntime, sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { caseInput, readExpected } from './golden.js';

const PYTHON = '/usr/bin/python3';
const PWNED_MARKER = '/tmp/inferd-pwned-sklearn-os-system';
const root = join(fixturesDir, 'sklearn');
const models = join(root, 'models');
const refused = join(root, 'refused');

const hasSklearn = spawnSync(PYTHON, ['-c', 'import sklearn, joblib'], { timeout: 30_000 }).status === 0;
const skipReason = hasSklearn ? false : `${PYTHON} cannot import sklearn (on Debian: apt-get install python3-sklearn)`;
if (skipReason) assert.notEqual(process.env.CI, 'true', `CI must run the Python fallback tests: ${skipReason}`);

const iris: Tensor = {
  name: 'input-0',
  datatype: 'FP64',
  shape: [3, 4],
  data: Float64Array.of(6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6, 5.1, 3.5, 1.4, 0.2),
};

describe('Python fallback worker', { skip: skipReason }, () => {
  const worker = new PythonWorker({ command: PYTHON, requestTimeoutMs: 60_000, startTimeoutMs: 60_000 });
  after(() => worker.close());
  let key = 0;
  const viaPython = (file: string, predictProba = false) =>
    FallbackSklearnModel.create({ name: 'm', worker, path: file, key: `k${key++}`, predictProba, onUnload: () => {} });

  test('the same SVC answers identically through native and fallback (predict and predict_proba)', async () => {
    for (const dir of ['svc_rbf_iris', 'svc_proba_iris']) {
      const file = join(models, dir, 'model.joblib');
      for (const predictProba of [false, true]) {
        const native = await sklearnRuntime.load({
          name: dir,
          modelDir: join(models, dir),
          env: { PREDICT_PROBA: String(predictProba) },
        });
        const python = await viaPython(file, predictProba);
        assert.deepEqual(await python.predict([iris]), await native.predict([iris]), `${dir} proba=${predictProba}`);
      }
    }
  });

  test('DataFrame columns (content_type: pd) reach sklearn as a pandas DataFrame', async () => {
    const dir = 'ct_mixed_logreg_frame';
    const { inputs, options } = caseInput(root, readExpected(join(models, dir)));
    const python = await viaPython(join(models, dir, 'model.joblib'));
    const [out] = await python.predict(inputs, options);
    assert.deepEqual(out?.data, readExpected(join(models, dir)).predict);
  });

  test("sklearn's own input errors come back as INVALID_INPUT with its message", async () => {
    const python = await viaPython(join(models, 'svc_rbf_iris', 'model.joblib'));
    await assert.rejects(
      async () => python.predict([{ name: 'x', datatype: 'FP64', shape: [1, 3], data: Float64Array.of(1, 2, 3) }]),
      { code: 'INVALID_INPUT', message: 'X has 3 features, but SVC is expecting 4 features as input.' },
    );
  });

  test('a restarted worker reloads the model before the next predict', async () => {
    const python = await viaPython(join(models, 'forest_clf_iris', 'model.joblib'));
    const before = await python.predict([iris]);
    worker.close();
    assert.deepEqual(await python.predict([iris]), before);
  });

  for (const [dir, name] of [
    ['os-system', 'posix.system'],
    ['os-system-nested', 'posix.system'],
    ['os-system-object-array', 'posix.system'],
    ['function-transformer-custom', '__main__.double_it'],
  ] as const) {
    test(`EXPECTED FAILURE - ${dir}: the worker's unpickler refuses ${name} and nothing runs`, async () => {
      rmSync(PWNED_MARKER, { force: true });
      const file = join(refused, dir, dir === 'os-system' ? 'model.pkl' : 'model.joblib');
      await assert.rejects(viaPython(file), {
        code: 'UNSAFE_MODEL',
        message: `refusing to load model: pickle references '${name}', which is not an allowed class`,
      });
      assert.equal(existsSync(PWNED_MARKER), false, `${PWNED_MARKER} exists: pickle code ran in the worker`);
    });
  }
});

describe('the sklearn runtime with the fallback enabled', { skip: skipReason }, () => {
  const runtime = createSklearnRuntime({ python: { enabled: true, command: PYTHON } });
  const loaded: Model[] = [];
  after(async () => {
    for (const model of loaded) await model.unload?.();
  });

  test('serves an estimator without a native implementation through Python, as sklearn predicts', async () => {
    const dir = join(refused, 'unsupported-estimator'); // BayesianRidge
    const model = await runtime.load({ name: 'bayes', modelDir: dir });
    loaded.push(model);
    assert.ok(model instanceof FallbackSklearnModel);
    const [out] = await model.predict([iris]);
    const want = JSON.parse(
      execFileSync(PYTHON, [
        '-c',
        `import joblib, json, numpy as np; m = joblib.load(${JSON.stringify(join(dir, 'model.joblib'))}); ` +
          `print(json.dumps(m.predict(np.array(${JSON.stringify([...(iris.data as Float64Array)])}).reshape(3, 4)).tolist()))`,
      ]).toString(),
    ) as number[];
    assert.equal(out?.datatype, 'FP64');
    assert.deepEqual(Array.from(out?.data as Float64Array), want);
  });

  test('native models stay native', async () => {
    const model = await runtime.load({ name: 'svc', modelDir: join(models, 'svc_rbf_iris') });
    assert.ok(!(model instanceof FallbackSklearnModel));
  });

  test('a pickle the native reader refused as unsafe never reaches Python', async () => {
    rmSync(PWNED_MARKER, { force: true });
    await assert.rejects(runtime.load({ name: 'bad', modelDir: join(refused, 'os-system-object-array') }), {
      code: 'UNSAFE_MODEL',
    });
    assert.equal(existsSync(PWNED_MARKER), false);
  });
});

test('with the fallback off, UNSUPPORTED says so', async () => {
  await assert.rejects(sklearnRuntime.load({ name: 'm', modelDir: join(refused, 'unsupported-estimator') }), {
    code: 'UNSUPPORTED',
    message: /BayesianRidge'.*; the Python fallback is turned off$/,
  });
});
