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
import { assertAllClose, inputRows, matrixTensor, modelDirs, readExpected } from './golden.js';

const PYTHON = '/usr/bin/python3';
const CASES = 'svc_rbf_iris,svc_proba_iris,forest_clf_iris';

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
  assert.ok(dirs.length >= 3, `generator wrote ${dirs.join(', ')}`);
  for (const dir of dirs) {
    const modelDir = join(out, 'models', dir);
    const expected = readExpected(modelDir);
    assert.equal(expected.sklearn_version, version);
    const input = matrixTensor(inputRows(out, expected));
    const model = await sklearnRuntime.load({ name: dir, modelDir });
    assert.deepEqual(Array.from((await model.predict([input]))[0]!.data as ArrayLike<unknown>), expected.predict, dir);
    if (expected.predict_proba) {
      const proba = await sklearnRuntime.load({ name: dir, modelDir, env: { PREDICT_PROBA: 'true' } });
      assertAllClose((await proba.predict([input]))[0]!.data as Float64Array, expected.predict_proba.flat(), dir);
    }
  }
});
