// Client mistakes get scikit-learn's own messages (KServe's sklearn server passes them through), as
// INVALID_INPUT; accepted inputs (strings, ints, booleans, DataFrame columns) predict like numbers do.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Model, Tensor } from '../../../src/runtimes/model.js';
import { sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { checkFiniteness } from '../../../src/runtimes/sklearn/input-matrix.js';
import { numpyArrayStr } from '../../../src/runtimes/sklearn/numpy-array-str.js';
import { decodeV1Request } from '../../../src/server/v1-instances.js';
import { fixturesDir } from '../../helpers/paths.js';

const models = join(fixturesDir, 'sklearn', 'models');
const load = (dir: string) => sklearnRuntime.load({ name: dir, modelDir: join(models, dir) });
const fp64 = (shape: number[], data: number[]): Tensor => ({
  name: 'input-0',
  datatype: 'FP64',
  shape,
  data: Float64Array.from(data),
});
const IRIS_ROWS = [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6];
const RESHAPE =
  'Reshape your data either using array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) if it contains a single sample.';

async function rejects(model: Model, input: Tensor, message: string): Promise<void> {
  await assert.rejects(async () => model.predict([input]), { code: 'INVALID_INPUT', message });
}

describe('sklearn input checks (messages as scikit-learn 1.2 writes them)', async () => {
  const svc = await load('svc_rbf_iris');
  const tree = await load('tree_clf_iris');

  test('wrong feature count', async () => {
    await rejects(svc, fp64([1, 3], [6.8, 2.8, 4.8]), 'X has 3 features, but SVC is expecting 4 features as input.');
    await rejects(
      tree,
      fp64([1, 5], [1, 2, 3, 4, 5]),
      'X has 5 features, but DecisionTreeClassifier is expecting 4 features as input.',
    );
  });

  test('1-D, scalar and 3-D input', async () => {
    await rejects(
      svc,
      fp64([4], [6.8, 2.8, 4.8, 1.4]),
      `Expected 2D array, got 1D array instead:\narray=[6.8 2.8 4.8 1.4].\n${RESHAPE}`,
    );
    await rejects(svc, fp64([0], []), `Expected 2D array, got 1D array instead:\narray=[].\n${RESHAPE}`);
    await rejects(svc, fp64([], [6.8]), `Expected 2D array, got scalar array instead:\narray=6.8.\n${RESHAPE}`);
    // trees see float32 values, printed back as Python floats
    await rejects(
      tree,
      fp64([], [6.8]),
      `Expected 2D array, got scalar array instead:\narray=6.800000190734863.\n${RESHAPE}`,
    );
    await rejects(svc, fp64([1, 1, 4], [1, 2, 3, 4]), 'Found array with dim 3. SVC expected <= 2.');
  });

  test('zero rows or zero features', async () => {
    await rejects(
      svc,
      fp64([0, 4], []),
      'Found array with 0 sample(s) (shape=(0, 4)) while a minimum of 1 is required by SVC.',
    );
    await rejects(
      svc,
      fp64([2, 0], []),
      'Found array with 0 feature(s) (shape=(2, 0)) while a minimum of 1 is required by SVC.',
    );
  });

  test('data that does not fill the shape', async () => {
    await rejects(svc, fp64([2, 4], [1, 2, 3, 4]), 'cannot reshape array of size 4 into shape (2,4)');
  });

  test('a NaN or infinity anywhere is found, at any length (the four-lane pre-check and its remainder)', () => {
    for (let n = 1; n <= 9; n++) {
      assert.doesNotThrow(() => checkFiniteness(new Float64Array(n).fill(-2.5), 'SVC', 'finite'));
      for (let at = 0; at < n; at++) {
        const x = new Float32Array(n).fill(1e38);
        x[at] = Number.NaN;
        assert.throws(
          () => checkFiniteness(x, 'SVC', 'finite'),
          { message: /^Input X contains NaN\./ },
          `NaN at ${at}/${n}`,
        );
        assert.doesNotThrow(() => checkFiniteness(x, 'SVC', 'allow-nan'));
        x[at] = Number.NEGATIVE_INFINITY;
        assert.throws(
          () => checkFiniteness(x, 'SVC', 'allow-nan'),
          { message: /contains infinity/ },
          `-inf at ${at}/${n}`,
        );
      }
    }
  });

  test('NaN and infinity', async () => {
    await assert.rejects(async () => svc.predict([fp64([1, 4], [Number.NaN, 1, 2, 3])]), {
      code: 'INVALID_INPUT',
      message: /^Input X contains NaN\.\nSVC does not accept missing values encoded as NaN natively\./,
    });
    await rejects(
      svc,
      fp64([1, 4], [Number.POSITIVE_INFINITY, 1, 2, 3]),
      "Input X contains infinity or a value too large for dtype('float64').",
    );
    // 1e39 is finite as float64 but overflows float32, which trees cast to
    await rejects(
      tree,
      fp64([1, 4], [1e39, 1, 2, 3]),
      "Input X contains infinity or a value too large for dtype('float32').",
    );
    const [ok] = await svc.predict([fp64([1, 4], [1e39, 1, 2, 3])]);
    assert.equal(ok?.shape[0], 1);
  });

  test('strings are parsed like Python float()', async () => {
    const strings = IRIS_ROWS.map(String);
    strings[0] = ' 6.8 ';
    strings[1] = '2_8e-1'; // Python float() allows underscores between digits
    const [out] = await svc.predict([{ name: 'input-0', datatype: 'BYTES', shape: [2, 4], data: strings }]);
    assert.deepEqual(out?.data, BigInt64Array.of(1n, 1n));
    await rejects(
      svc,
      { name: 'input-0', datatype: 'BYTES', shape: [1, 4], data: ['a', 'b', 'c', 'd'] },
      "could not convert string to float: 'a'",
    );
    await rejects(
      svc,
      { name: 'input-0', datatype: 'BYTES', shape: [1, 4], data: ["it's", '1', '2', '3'] },
      'could not convert string to float: "it\'s"',
    );
    await rejects(
      svc,
      {
        name: 'input-0',
        datatype: 'BYTES',
        shape: [1, 4],
        data: [Buffer.from('a'), Buffer.from('1'), Buffer.from('2'), Buffer.from('3')],
      },
      "could not convert string to float: b'a'",
    );
  });

  test('integer, bigint and boolean tensors predict like the same numbers as float64', async () => {
    const asFloat = (await svc.predict([fp64([2, 4], [7, 3, 5, 1, 6, 3, 4, 2])]))[0]?.data;
    const asInt32 = (
      await svc.predict([
        { name: 'x', datatype: 'INT32', shape: [2, 4], data: Int32Array.from([7, 3, 5, 1, 6, 3, 4, 2]) },
      ])
    )[0]?.data;
    const asInt64 = (
      await svc.predict([
        { name: 'x', datatype: 'INT64', shape: [2, 4], data: BigInt64Array.from([7n, 3n, 5n, 1n, 6n, 3n, 4n, 2n]) },
      ])
    )[0]?.data;
    assert.deepEqual(asInt32, asFloat);
    assert.deepEqual(asInt64, asFloat);
    const [bools] = await svc.predict([
      { name: 'x', datatype: 'BOOL', shape: [1, 4], data: [true, false, true, true] },
    ]);
    const [ones] = await svc.predict([fp64([1, 4], [1, 0, 1, 1])]);
    assert.deepEqual(bools?.data, ones?.data);
  });

  test('only the first input tensor is used, as in KServe', async () => {
    const [out] = await svc.predict([fp64([2, 4], IRIS_ROWS), fp64([1, 3], [1, 2, 3])]);
    assert.deepEqual(out?.data, BigInt64Array.of(1n, 1n));
  });

  test('no input tensor at all', async () => {
    await assert.rejects(async () => svc.predict([]), { code: 'INVALID_INPUT' });
  });
});

describe('DataFrame input (content_type: pd)', async () => {
  const frameModel = await load('logreg_dataframe_iris');
  const columns = (names: string[]): Tensor[] =>
    names.map((name, c) => ({
      name,
      datatype: 'FP64',
      shape: [2],
      data: Float64Array.of(IRIS_ROWS[c]!, IRIS_ROWS[4 + c]!),
    }));
  const pd = { parameters: { content_type: 'pd' } };

  test('columns named as at fit time predict like the matrix', async () => {
    const [fromColumns] = await frameModel.predict(
      columns(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']),
      pd,
    );
    const [fromMatrix] = await frameModel.predict([fp64([2, 4], IRIS_ROWS)]);
    assert.deepEqual(fromColumns?.data, fromMatrix?.data);
  });

  test('V1 instances given as columns (one object of lists) predict like the matrix', async () => {
    const { inputs, options } = decodeV1Request({
      instances: [
        { sepal_length: [6.8, 6.0], sepal_width: [2.8, 3.4], petal_length: [4.8, 4.5], petal_width: [1.4, 1.6] },
      ],
    });
    const [fromColumns] = await frameModel.predict(inputs, options);
    const [fromMatrix] = await frameModel.predict([fp64([2, 4], IRIS_ROWS)]);
    assert.deepEqual(fromColumns?.data, fromMatrix?.data);
  });

  test("misnamed or reordered columns get sklearn's feature-name error", async () => {
    await assert.rejects(
      async () => frameModel.predict(columns(['sepal_length', 'sepal_width', 'petal_length', 'petal_wdth']), pd),
      {
        code: 'INVALID_INPUT',
        message:
          'The feature names should match those that were passed during fit.\nFeature names unseen at fit time:\n- petal_wdth\nFeature names seen at fit time, yet now missing:\n- petal_width\n',
      },
    );
    await assert.rejects(
      async () => frameModel.predict(columns(['sepal_width', 'sepal_length', 'petal_length', 'petal_width']), pd),
      {
        code: 'INVALID_INPUT',
        message:
          'The feature names should match those that were passed during fit.\nFeature names must be in the same order as they were in fit.\n',
      },
    );
  });
});

describe('numpy str() of 1-D arrays (the array=[...] in sklearn messages)', () => {
  const cases = JSON.parse(readFileSync(join(fixturesDir, 'sklearn', 'numpy', 'array-str.json'), 'utf8')) as {
    values: (number | string)[];
    float32: boolean;
    str: string;
  }[];
  for (const c of cases) {
    const values = c.values.map((v) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v)));
    test(`${c.float32 ? 'float32' : 'float64'} ${c.str.slice(0, 40).replace(/\n/g, ' ')}`, () => {
      assert.equal(numpyArrayStr(values, c.float32), c.str);
    });
  }
});
