// Checks the runtime against the scikit-learn installed on this machine, not only the committed fixtures:
// trains an iris SVC and a random forest with Debian's /usr/bin/python3 (the first python3 on PATH may lack
// sklearn) and compares predictions. Skips, saying why, where that sklearn is missing; fails instead on CI.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { assertAllClose, caseInput, isClassifier, modelDirs, predictedValues, readExpected } from './golden.js';

const PYTHON = '/usr/bin/python3';
/** One or two cases from each family: enough to notice when a new sklearn changes what it pickles or predicts. */
const CASES = [
  'svc_rbf_iris',
  'svc_proba_iris',
  'forest_clf_iris',
  'ct_mixed_logreg_frame',
  'pipe_poly_interaction_logreg_iris',
  'gb_clf_iris',
  'hgb_clf_categorical',
  'ada_samme_r_iris',
  'stacking_clf_iris',
  'knn_clf_grid_iris_rounded',
  'mlp_clf_iris',
  'gaussian_nb_iris',
].join(',');

function sklearnVersion(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import sklearn; print(sklearn.__version__)'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

test('predictions equal the installed scikit-learn on freshly trained models', async (t) => {
  const version = sklearnVersion();
  if (version === null) {
    const reason = `${PYTHON} cannot import sklearn (on Debian: apt-get install python3-sklearn)`;
    assert.notEqual(process.env.CI, 'true', `CI must be able to check against real scikit-learn: ${reason}`);
    t.skip(reason);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'inferd-fresh-sklearn-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  await promisify(execFile)(
    PYTHON,
    [join(repoRoot, 'scripts', 'fixtures', 'gen_sklearn.py'), '--out', out, '--cases', CASES],
    {
      timeout: 120_000,
    },
  );

  const dirs = modelDirs(out);
  assert.ok(dirs.length >= CASES.split(',').length, `generator wrote ${dirs.join(', ')}`);
  for (const dir of dirs) {
    const modelDir = join(out, 'models', dir);
    const expected = readExpected(modelDir);
    assert.equal(expected.sklearn_version, version);
    const { inputs, options } = caseInput(out, expected);
    const model = await sklearnRuntime.load({ name: dir, modelDir });
    const got = predictedValues((await model.predict(inputs, options))[0]!);
    if (expected.output_datatype === 'FP64' && !isClassifier(expected)) {
      assertAllClose(got as number[], (expected.predict as unknown[]).flat() as number[], dir);
    } else {
      assert.deepEqual(got, expected.predict, dir);
    }
    if (expected.predict_proba) {
      const proba = await sklearnRuntime.load({ name: dir, modelDir, env: { PREDICT_PROBA: 'true' } });
      assertAllClose(
        (await proba.predict(inputs, options))[0]!.data as Float64Array,
        expected.predict_proba.flat(),
        dir,
      );
    }
  }
});
