// Regenerates every ONNX fixture with the onnx/numpy/scikit-learn installed on this machine (Debian's
// /usr/bin/python3; the first python3 on PATH may lack them) and runs the fresh models against their fresh
// expectations, so a library upgrade that changes what the generator writes cannot pass unnoticed.
// Skips, saying why, where python3-onnx is missing; fails instead on CI.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { onnxRuntime } from '../../../src/runtimes/onnx/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { assertTensorEqual, fixtureDir, fixtureNames, readExpected, toTensor } from './golden.js';

const PYTHON = '/usr/bin/python3';

function canGenerate(): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import onnx, numpy, sklearn'], { timeout: 30_000 });
  return probe.status === 0;
}

test('fixtures regenerated with the installed onnx and scikit-learn give their expected outputs', async (t) => {
  if (!canGenerate()) {
    const reason = `${PYTHON} cannot import onnx, numpy and sklearn (on Debian: apt-get install python3-onnx python3-sklearn)`;
    assert.notEqual(process.env.CI, 'true', `CI must regenerate the ONNX fixtures: ${reason}`);
    t.skip(reason);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'inferd-fresh-onnx-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  await promisify(execFile)(PYTHON, [join(repoRoot, 'scripts', 'fixtures', 'gen_onnx.py'), '--out', out], {
    timeout: 120_000,
  });

  assert.deepEqual(fixtureNames(out), fixtureNames(), 'the generator writes exactly the committed fixtures');
  for (const name of fixtureNames(out)) {
    const expected = readExpected(name, out);
    // Names, datatypes and shapes: exact by nature. The values are checked below with the fixture's tolerance
    // (0 only for outputs no arithmetic touches: copies, casts, transposes).
    assert.deepEqual(expected.inputs, readExpected(name).inputs, `${name}: inputs`);
    assert.deepEqual(expected.outputs, readExpected(name).outputs, `${name}: outputs`);
    const model = await onnxRuntime.load({ name, modelDir: fixtureDir(name, out) });
    try {
      for (const c of expected.cases) {
        const outputNames = c.select_outputs ? c.outputs.map((o) => o.name) : [];
        const got = await model.predict(c.inputs.map(toTensor), { outputNames });
        c.outputs.forEach((want, i) => {
          assertTensorEqual(got[i]!, want, expected.tolerance ?? 0, `${name} ${c.name}`);
        });
      }
    } finally {
      await model.unload?.();
    }
  }
});
