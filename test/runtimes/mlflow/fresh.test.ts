// Checks the mlflow runtime against the scikit-learn installed on this machine, not only the committed fixtures:
// runs scripts/fixtures/gen_mlflow.py into a temporary directory with Debian's /usr/bin/python3 and serves what it
// wrote. Skips, saying why, where that python lacks sklearn; fails instead on CI.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { mlflowRuntime } from '../../../src/runtimes/mlflow/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { assertClose, columnInputs, readExpected, values } from './helpers.js';

const PYTHON = '/usr/bin/python3';

function hasSklearn(): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import sklearn, pandas, yaml'], { timeout: 30_000 });
  return probe.status === 0;
}

test('freshly generated MLflow models predict what the installed scikit-learn predicts', async (t) => {
  if (!hasSklearn()) {
    const reason = `${PYTHON} cannot import sklearn, pandas and yaml (on Debian: apt-get install python3-sklearn python3-pandas python3-yaml)`;
    assert.notEqual(process.env.CI, 'true', `CI must check against real scikit-learn: ${reason}`);
    t.skip(reason);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'inferd-fresh-mlflow-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  await promisify(execFile)(PYTHON, [join(repoRoot, 'scripts', 'fixtures', 'gen_mlflow.py'), '--out', out], {
    timeout: 120_000,
  });

  const iris = await mlflowRuntime.load({ name: 'iris', modelDir: join(out, 'iris_model') });
  const e = readExpected<{ columns: string[]; all: { rows: number[][]; predictions: number[] } }>(
    join(out, 'iris_model'),
  );
  assert.deepEqual(values((await iris.predict(columnInputs(e.columns, e.all.rows)))[0]), e.all.predictions);

  const wine = await mlflowRuntime.load({ name: 'wine', modelDir: join(out, 'wine_quality') });
  const w = readExpected<{ columns: string[]; rows: number[][]; predictions: number[] }>(join(out, 'wine_quality'));
  assertClose(values((await wine.predict(columnInputs(w.columns, w.rows)))[0]), w.predictions, 1e-12, 'wine');
});
