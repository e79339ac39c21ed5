// Checks the runtime against the xgboost installed on this machine, not only the committed fixtures: trains a
// few small models with Debian's /usr/bin/python3 (python3-xgboost; the first python3 on PATH may lack it),
// saves them as JSON, UBJSON and legacy binary, and compares predictions. Skips, saying why, where that xgboost
// is missing; fails instead on CI, where it must be installed.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { xgboostRuntime } from '../../../src/runtimes/xgboost/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { assertClose, caseNames, inputRows, matrixTensor, readExpected } from './golden.js';

const PYTHON = '/usr/bin/python3';

function xgboostVersion(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import xgboost, sklearn; print(xgboost.__version__)'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

test('predictions equal the installed xgboost on freshly trained models', async (t) => {
  const version = xgboostVersion();
  if (version === null) {
    const reason = `${PYTHON} cannot import xgboost and sklearn (on Debian: apt-get install python3-xgboost python3-sklearn)`;
    assert.notEqual(process.env.CI, 'true', `CI must be able to check against real xgboost: ${reason}`);
    t.skip(reason);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'inferd-fresh-xgboost-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  await promisify(execFile)(
    PYTHON,
    [join(repoRoot, 'scripts', 'fixtures', 'gen_xgboost.py'), '--out', out, '--cases', 'quick'],
    { timeout: 120_000 },
  );

  const names = caseNames(out);
  assert.ok(names.length >= 3, `generator wrote ${names.join(', ')}`);
  for (const name of names) {
    const expected = readExpected(out, name);
    assert.equal(expected.xgboost_version, version);
    const input = matrixTensor(inputRows(out, expected));
    for (const format of expected.formats) {
      const model = await xgboostRuntime.load({ name, modelDir: join(out, 'models', name, format) });
      const [result] = await model.predict([input]);
      assert.deepEqual(result!.shape, expected.output_shape, `${name}/${format}`);
      assertClose(result!.data as Float32Array, expected.predict, `${name}/${format} (xgboost ${version})`);
    }
  }
});
