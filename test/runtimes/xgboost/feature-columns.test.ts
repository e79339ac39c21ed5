// KServe's pandas path for tree models: V1 records (or V2 inputs with `content_type: "pd"`) arrive as one named
// column tensor each, and are matched to the model's feature names.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InferdError } from '../../../src/errors.js';
import { lightgbmRuntime } from '../../../src/runtimes/lightgbm/index.js';
import type { Tensor } from '../../../src/runtimes/model.js';
import { columnsToMatrix } from '../../../src/runtimes/xgboost/feature-matrix.js';
import { xgboostRuntime } from '../../../src/runtimes/xgboost/index.js';
import { fixturesDir } from '../../helpers/paths.js';

const column = (name: string, values: (number | null)[]): Tensor => ({
  name,
  datatype: 'FP64',
  shape: [values.length],
  data: values as number[],
});
const pd = { parameters: { content_type: 'pd' } };
const row = (values: number[]): Tensor => ({
  name: 'input-0',
  datatype: 'FP64',
  shape: [1, values.length],
  data: values,
});

test('lightgbm: records by feature name, in any order; absent columns are NaN, unknown ones dropped (lgbserver)', async () => {
  const model = await lightgbmRuntime.load({
    name: 'rf',
    modelDir: join(fixturesDir, 'lightgbm', 'models', 'leaves_rf_iris'),
  });
  const byRow = (await model.predict([row([5.8, 2.8, 5.1, 2.4])]))[0]!.data;
  const byName = (
    await model.predict(
      [
        column('Column_3', [2.4]),
        column('extra', [7]),
        column('Column_1', [2.8]),
        column('Column_0', [5.8]),
        column('Column_2', [5.1]),
      ],
      pd,
    )
  )[0]!.data;
  assert.deepEqual(Array.from(byName as Float64Array), Array.from(byRow as Float64Array));
  const absent = (
    await model.predict([column('Column_0', [5.8]), column('Column_1', [2.8]), column('Column_2', [5.1])], pd)
  )[0]!.data;
  const nan = (await model.predict([row([5.8, 2.8, 5.1, Number.NaN])]))[0]!.data;
  assert.deepEqual(Array.from(absent as Float64Array), Array.from(nan as Float64Array));
  assert.throws(() => model.predict([{ name: 'Column_0', datatype: 'BYTES', shape: [1], data: ['x'] }], pd), {
    code: 'INVALID_INPUT',
    message: /takes numeric columns, got BYTES/,
  });
});

test('xgboost: columns are matched to feature_names, and a mismatch is refused naming the columns', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-xgb-names-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = JSON.parse(
    readFileSync(join(fixturesDir, 'xgboost', 'models', 'multi_softprob_iris', 'json', 'model.json'), 'utf8'),
  ) as { learner: { feature_names: string[] } };
  doc.learner.feature_names = ['sl', 'sw', 'pl', 'pw'];
  mkdirSync(join(dir, 'named'));
  writeFileSync(join(dir, 'named', 'model.json'), JSON.stringify(doc));
  const named = await xgboostRuntime.load({ name: 'n', modelDir: join(dir, 'named') });
  const byRow = (await named.predict([row([6.1, 2.8, 4.7, 1.2])]))[0]!.data;
  const byName = (
    await named.predict([column('pw', [1.2]), column('pl', [4.7]), column('sl', [6.1]), column('sw', [2.8])], pd)
  )[0]!.data;
  assert.deepEqual(Array.from(byName as Float32Array), Array.from(byRow as Float32Array));
  await assert.rejects(
    async () => named.predict([column('sl', [6.1]), column('sw', [2.8]), column('pl', [4.7]), column('x', [1])], pd),
    {
      code: 'INVALID_INPUT',
      message:
        /feature_names mismatch: missing column\(s\) pw; unknown column\(s\) x; the model's features are sl, sw, pl, pw/,
    },
  );

  const unnamed = await xgboostRuntime.load({
    name: 'u',
    modelDir: join(fixturesDir, 'xgboost', 'models', 'multi_softprob_iris', 'json'),
  });
  const inOrder = (
    await unnamed.predict([column('a', [6.1]), column('b', [2.8]), column('c', [4.7]), column('d', [1.2])], pd)
  )[0]!.data;
  assert.deepEqual(Array.from(inOrder as Float32Array), Array.from(byRow as Float32Array));
  await assert.rejects(async () => unnamed.predict([column('a', [6.1])], pd), {
    code: 'INVALID_INPUT',
    message: /expects 4 columns, got 1/,
  });
});

test('absent columns filled with NaN cannot make a matrix far larger than what was sent', () => {
  const names = Array.from({ length: 100 }, (_, i) => `f${i}`);
  const spec = { runtime: 'lightgbm', nFeatures: 100, featureNames: names, absent: 'nan' as const };
  // 50,000 rows of one column: 5,000,000 cells from 50,000 values (100 per value, over 2^22 in all): refused.
  const many = new Array<number>(50_000).fill(1);
  assert.throws(
    () => columnsToMatrix([column('f3', many)], spec),
    (err: InferdError) =>
      err.code === 'INVALID_INPUT' && /1 column\(s\) of 50000 rows would make a 50000 × 100 matrix/.test(err.message),
  );
  // Small tables are fine whatever the ratio, and so is a table with most columns sent.
  const small = columnsToMatrix([column('f3', many.slice(0, 1_000))], spec);
  assert.deepEqual(small.shape, [1_000, 100]);
  assert.equal(small.data[3], 1);
  assert.ok(Number.isNaN(small.data[0] as number));
  const wide = columnsToMatrix(
    names.slice(0, 10).map((n) => column(n, many)),
    spec,
  );
  assert.deepEqual(wide.shape, [50_000, 100]);
});
