// The level-by-level tree walk (FlatTree.leaves) against Debian's scikit-learn on freshly trained forests:
// deep trees (max_depth=None, past the level walk's bound, walked row by row) and shallow ones, a row count
// that is not a multiple of 4, values on the thresholds. Labels identical, probabilities and values within
// 1e-12. Skips, saying why, where that sklearn is missing; fails instead on CI.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { estimatorFromBytes } from '../../../src/runtimes/sklearn/load-estimator.js';

const PYTHON = '/usr/bin/python3';

const TRAIN = `
import json, sys
import joblib, numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import ExtraTreesRegressor, GradientBoostingClassifier, RandomForestClassifier
out = sys.argv[1]
x, y = make_classification(n_samples=3000, n_features=8, n_informative=5, flip_y=0.3, random_state=2)
x = np.round(x, 1).astype(np.float32)  # a coarse grid: many rows sit exactly on thresholds
batch = np.concatenate([x[:600], np.round(np.random.default_rng(4).normal(size=(401, 8)), 1)]).astype(np.float32)
batch.tofile(out + "/batch.f32")
models = {
    "deep_forest": RandomForestClassifier(n_estimators=8, random_state=1).fit(x, y),
    "shallow_forest": RandomForestClassifier(n_estimators=8, max_depth=7, random_state=1).fit(x, y),
    "gb": GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=1).fit(x, y),
    "extra_reg": ExtraTreesRegressor(n_estimators=5, random_state=1).fit(x, y * 1.5),
}
info = {}
for name, m in models.items():
    joblib.dump(m, out + "/" + name + ".joblib")
    depths = [e.tree_.max_depth for e in np.ravel(m.estimators_)]
    info[name] = {
        "predict": m.predict(batch).tolist(),
        "proba": m.predict_proba(batch).ravel().tolist() if hasattr(m, "predict_proba") else None,
        "max_depth": max(depths), "min_depth": min(depths),
    }
json.dump(info, open(out + "/expected.json", "w"))
`;

test('tree ensembles predict what freshly trained scikit-learn predicts, deep and shallow trees', async (t) => {
  const probe = spawnSync(PYTHON, ['-c', 'import sklearn'], { timeout: 30_000 });
  if (probe.status !== 0) {
    const reason = `${PYTHON} cannot import sklearn (on Debian: apt-get install python3-sklearn)`;
    assert.notEqual(process.env.CI, 'true', `CI must be able to check against real scikit-learn: ${reason}`);
    t.skip(reason);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'inferd-tree-kernels-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await promisify(execFile)(PYTHON, ['-c', TRAIN, dir], { timeout: 120_000 });
  const buf = readFileSync(join(dir, 'batch.f32'));
  const x = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const rows = x.length / 8;
  assert.equal(rows, 1001);
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
    string,
    { predict: number[]; proba: number[] | null; max_depth: number; min_depth: number }
  >;
  assert.ok(
    expected.deep_forest!.max_depth > 20,
    `deep trees reach past the level walk (${expected.deep_forest!.max_depth})`,
  );
  assert.ok(expected.shallow_forest!.max_depth <= 20);
  for (const [name, want] of Object.entries(expected)) {
    const est = await estimatorFromBytes(readFileSync(join(dir, `${name}.joblib`)), `${name}.joblib`);
    const got = est.predict(x, rows).data as ArrayLike<number | bigint>;
    if (name === 'extra_reg') {
      for (let i = 0; i < rows; i++)
        assert.ok(
          Math.abs(Number(got[i]) - want.predict[i]!) <= 1e-12,
          `${name} row ${i}: ${got[i]} vs ${want.predict[i]}`,
        );
    } else {
      assert.deepEqual(Array.from(got, Number), want.predict, `${name}: labels`);
      const proba = est.predictProba!(x, rows).data as Float64Array;
      for (let i = 0; i < proba.length; i++)
        assert.ok(
          Math.abs(proba[i]! - want.proba![i]!) <= 1e-12,
          `${name} proba ${i}: ${proba[i]} vs ${want.proba![i]}`,
        );
    }
  }
});
