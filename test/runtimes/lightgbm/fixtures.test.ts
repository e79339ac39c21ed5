// Every LightGBM fixture predicts what it should: the generated models match the generator's independent
// evaluator, the hand-checked stumps match their hand-worked answers, and the real LightGBM model matches
// LightGBM's own recorded output.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type LightgbmModel, lightgbmFromText, lightgbmRuntime } from '../../../src/runtimes/lightgbm/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { assertClose, caseNames, type Expected, type HandChecked, matrix, readJson } from './golden.js';

const root = join(fixturesDir, 'lightgbm');

test('hand-checked stumps: every decision_type bit answers as worked out by hand', async () => {
  const dir = join(root, 'models', 'hand_checked_stumps');
  const { cases } = readJson<HandChecked>(join(dir, 'expected.json'));
  assert.ok(cases.length >= 30);
  for (const c of cases) {
    const model = lightgbmFromText(c.model, readFileSync(join(dir, c.model), 'utf8'));
    const [out] = await model.predict([matrix([[c.x]]).tensor]);
    assert.equal((out!.data as Float64Array)[0], c.expected, `decision_type ${c.decision_type}, x=${c.x}: ${c.why}`);
  }
});

test('leaves_rf_iris: a real LightGBM rf model reproduces LightGBM’s recorded averages, then the sigmoid', async () => {
  const dir = join(root, 'models', 'leaves_rf_iris');
  const expected = readJson<Expected>(join(dir, 'expected.json'));
  const model = (await lightgbmRuntime.load({ name: 'rf', modelDir: dir })) as LightgbmModel;
  const { tensor, x } = matrix(expected.rows);
  assertClose(model.rawScores(x, expected.rows.length), expected.raw, 'raw');
  const [out] = await model.predict([tensor]);
  assertClose(
    out!.data as Float64Array,
    expected.raw.map((r) => 1 / (1 + Math.exp(-r))),
    'sigmoid of the averages',
  );
});

for (const name of caseNames(root).filter((n) => n !== 'leaves_rf_iris')) {
  test(`${name} matches the generator's evaluator`, async () => {
    const dir = join(root, 'models', name);
    const expected = readJson<Expected>(join(dir, 'expected.json'));
    const model = (await lightgbmRuntime.load({ name, modelDir: dir })) as LightgbmModel;
    const { tensor, x } = matrix(expected.rows);
    assertClose(model.rawScores(x, expected.rows.length), expected.raw, `${name} raw`);
    const [out] = await model.predict([tensor]);
    assert.equal(out!.name, 'output-0');
    assert.equal(out!.datatype, 'FP64');
    assert.deepEqual(out!.shape, expected.output_shape);
    assertClose(out!.data as Float64Array, expected.predict!, name);
  });
}
