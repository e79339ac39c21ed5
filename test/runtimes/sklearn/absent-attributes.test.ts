// An attribute a fitted estimator lacks means "not checked", as in scikit-learn: check_n_features skips the
// feature-count check when `n_features_in_` is absent (a DummyClassifier pickled that way predicts for any
// number of columns). The models are pickled at run time by Debian's scikit-learn with the attribute removed.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';

const PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, os, sys, joblib, numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import make_pipeline
out = sys.argv[1]
X = np.array([[1.0, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 6]])
models = {
    "dummy_clf": DummyClassifier(strategy="most_frequent").fit(X, [2, 1, 2]),
    "dummy_reg": DummyRegressor().fit(X, [1.0, 2.0, 6.0]),
    "pipe_dummy_clf": make_pipeline(DummyClassifier(strategy="prior")).fit(X, [0, 1, 1]),
}
expected = {}
for name, model in models.items():
    for m in [model] + [s for _, s in getattr(model, "steps", [])]:
        if hasattr(m, "n_features_in_"):
            del m.n_features_in_
    os.makedirs(os.path.join(out, name))
    joblib.dump(model, os.path.join(out, name, "model.joblib"))
    # five columns: scikit-learn predicts, since nothing records how many it was fitted on
    expected[name] = model.predict(np.ones((2, 5))).tolist()
print(json.dumps(expected))
`;

test('estimators without n_features_in_ predict for any feature count, as scikit-learn does', async (t) => {
  const probe = spawnSync(PYTHON, ['-c', 'import sklearn'], { timeout: 30_000 });
  if (probe.status !== 0) {
    const reason = `${PYTHON} cannot import sklearn (on Debian: apt-get install python3-sklearn)`;
    assert.notEqual(process.env.CI, 'true', `CI must check against real scikit-learn: ${reason}`);
    t.skip(reason);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'inferd-absent-attrs-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const expected = JSON.parse(
    execFileSync(PYTHON, ['-c', SCRIPT, out], { encoding: 'utf8', timeout: 120_000 }),
  ) as Record<string, number[]>;
  for (const [name, want] of Object.entries(expected)) {
    const model = await sklearnRuntime.load({ name, modelDir: join(out, name) });
    const [result] = await model.predict([
      { name: 'input-0', datatype: 'FP64', shape: [2, 5], data: new Float64Array(10).fill(1) },
    ]);
    const got = Array.from(result!.data as ArrayLike<number>, Number);
    assert.equal(got.length, want.length, name);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-9, `${name}: ${got} vs ${want}`);
  }
});
