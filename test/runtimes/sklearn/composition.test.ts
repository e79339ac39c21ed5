// Pipelines and ColumnTransformers as a client meets them: DataFrame columns by name (any order, extra ones
// ignored, missing ones named), plain 2-D arrays by position, sklearn's messages from the step that raises
// them, unknown categories, NaN where only some steps accept it.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Model, PredictOptions, Tensor } from '../../../src/runtimes/model.js';
import { sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { caseInput, readExpected } from './golden.js';

const root = join(fixturesDir, 'sklearn');
const models = join(root, 'models');
const load = (dir: string) => sklearnRuntime.load({ name: dir, modelDir: join(models, dir) });
const pd: PredictOptions = { parameters: { content_type: 'pd' } };

const column = (name: string, values: (number | string | null)[]): Tensor =>
  values.every((v) => typeof v === 'number')
    ? { name, datatype: 'FP64', shape: [values.length], data: Float64Array.from(values as number[]) }
    : { name, datatype: 'BYTES', shape: [values.length], data: values as string[] };

async function predictData(model: Model, inputs: Tensor[], options?: PredictOptions): Promise<unknown[]> {
  const [out] = await model.predict(inputs, options);
  assert.ok(out);
  return Array.from(out.data as ArrayLike<unknown>);
}

describe('ColumnTransformer with DataFrame input (content_type: pd)', async () => {
  const dir = 'ct_mixed_logreg_frame';
  const model = await load(dir);
  const expected = readExpected(join(models, dir));
  const { inputs } = caseInput(root, expected);

  test('columns are picked by name: reordered columns and extra columns give the same predictions', async () => {
    const shuffled = [...inputs].reverse();
    const extra = column(
      'cabin',
      inputs[0]!.data.length ? Array.from({ length: inputs[0]!.data.length }, () => 'B5') : [],
    );
    assert.deepEqual(await predictData(model, [extra, ...shuffled], pd), expected.predict);
  });

  test('a missing column is named in the error', async () => {
    const withoutFare = inputs.filter((t) => t.name !== 'fare');
    await assert.rejects(async () => model.predict(withoutFare, pd), {
      code: 'INVALID_INPUT',
      message: "columns are missing: {'fare'}",
    });
  });

  test('a plain 2-D array (V1 rows, strings and numbers) is read by position, in fit order', async () => {
    const rows = [
      [22.0, 7.25, 3, 'male', 'S'],
      [38.0, 71.28, 1, 'female', 'C'],
    ];
    const flat = rows.flat().map((v) => String(v)); // numpy makes a str array of mixed rows, as V1 does
    const asArray = await predictData(model, [{ name: 'input-0', datatype: 'BYTES', shape: [2, 5], data: flat }]);
    const asFrame = await predictData(
      model,
      ['age', 'fare', 'pclass', 'sex', 'embarked'].map((name, c) =>
        column(
          name,
          rows.map((r) => r[c]!),
        ),
      ),
      pd,
    );
    assert.deepEqual(asArray, asFrame);
    await assert.rejects(
      async () => model.predict([{ name: 'input-0', datatype: 'BYTES', shape: [1, 4], data: flat.slice(0, 4) }]),
      { code: 'INVALID_INPUT', message: 'X has 4 features, but ColumnTransformer is expecting 5 features as input.' },
    );
  });

  test('None in a string column is a missing value (imputed), as a missing V1 record key is', async () => {
    const one = (embarked: string | null) =>
      predictData(
        model,
        [
          column('age', [30]),
          column('fare', [20]),
          column('pclass', [2]),
          column('sex', ['male']),
          column('embarked', [embarked]),
        ],
        pd,
      );
    // the imputer's most frequent value is 'S'
    assert.deepEqual(await one(null), await one('S'));
  });
});

describe('OneHotEncoder(handle_unknown="error")', async () => {
  const model = await load('ct_onehot_error_frame');
  const frame = (sex: string, embarked: string | null) => [
    column('age', [30]),
    column('fare', [20]),
    column('pclass', [2]),
    column('sex', [sex]),
    column('embarked', [embarked]),
  ];

  test('a known category predicts', async () => {
    assert.equal((await predictData(model, frame('male', 'C'), pd)).length, 1);
  });

  test("an unseen category gets sklearn's message", async () => {
    await assert.rejects(async () => model.predict(frame('male', 'Z'), pd), {
      code: 'INVALID_INPUT',
      message: "Found unknown categories ['Z'] in column 1 during transform",
    });
    await assert.rejects(async () => model.predict(frame('robot', 'S'), pd), {
      code: 'INVALID_INPUT',
      message: "Found unknown categories ['robot'] in column 0 during transform",
    });
  });
});

describe('Pipeline input checks come from the step that makes them in sklearn', async () => {
  const scalerSvc = await load('pipe_scaler_svc_wine');

  test('the first step checks the feature count', async () => {
    await assert.rejects(
      async () => scalerSvc.predict([{ name: 'x', datatype: 'FP64', shape: [1, 3], data: Float64Array.of(1, 2, 3) }]),
      { code: 'INVALID_INPUT', message: 'X has 3 features, but StandardScaler is expecting 13 features as input.' },
    );
  });

  test('NaN passes StandardScaler and is refused by the SVC after it', async () => {
    const row = Float64Array.from({ length: 13 }, (_, i) => (i === 2 ? Number.NaN : 1));
    await assert.rejects(async () => scalerSvc.predict([{ name: 'x', datatype: 'FP64', shape: [1, 13], data: row }]), {
      code: 'INVALID_INPUT',
      message: /^Input X contains NaN\.\nSVC does not accept missing values encoded as NaN natively\./,
    });
  });

  test('HistGradientBoosting takes NaN and infinity as they are', async () => {
    const hgb = await load('hgb_clf_iris_nan');
    const [out] = await hgb.predict([
      {
        name: 'x',
        datatype: 'FP64',
        shape: [2, 4],
        data: Float64Array.of(Number.NaN, 3, Number.NaN, 1, Number.POSITIVE_INFINITY, 3, 5, Number.NEGATIVE_INFINITY),
      },
    ]);
    assert.equal(out?.shape[0], 2);
  });
});
