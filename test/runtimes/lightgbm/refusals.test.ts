// LightGBM model files the runtime must refuse (MODEL_LOAD_FAILED saying what is wrong) and inputs it must
// refuse (INVALID_INPUT), plus the input conversions LightGBM's Python predict performs.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InferdError } from '../../../src/errors.js';
import { lightgbmFromText, lightgbmRuntime } from '../../../src/runtimes/lightgbm/index.js';
import type { Tensor } from '../../../src/runtimes/model.js';
import { fixturesDir } from '../../helpers/paths.js';

const models = join(fixturesDir, 'lightgbm', 'models');
const stumpText = readFileSync(join(models, 'hand_checked_stumps', 'stump_00.txt'), 'utf8');
const categoricalText = readFileSync(join(models, 'binary_categorical', 'model.txt'), 'utf8');

function assertBadModel(text: string, message: RegExp): void {
  assert.throws(
    () => lightgbmFromText('m', text),
    (err: unknown) => {
      assert.ok(err instanceof InferdError, String(err));
      assert.equal(err.code, 'MODEL_LOAD_FAILED');
      assert.equal(err.details.reason, 'ModelLoadFailed');
      assert.match(err.message, message);
      return true;
    },
  );
}

test('EXPECTED FAILURE - text that is not a LightGBM model', () => {
  assertBadModel('{"learner": {}}', /not a LightGBM text model: the first line is "\{\\"learner/);
  assertBadModel('', /first line is ""/);
});

test('EXPECTED FAILURE - a header without num_class or max_feature_idx', () => {
  assertBadModel(stumpText.replace(/^num_class=1\n/m, ''), /the model has no num_class/);
  assertBadModel(stumpText.replace(/^max_feature_idx=0\n/m, ''), /no max_feature_idx/);
});

test('EXPECTED FAILURE - an unknown objective is named with the supported list', () => {
  assertBadModel(
    stumpText.replace('objective=regression', 'objective=made_up_loss'),
    /unsupported LightGBM objective "made_up_loss"; .*multiclass/,
  );
  assertBadModel(
    stumpText.replace('objective=regression', 'objective=binary sigmoid:-1'),
    /sigmoid parameter should be greater than zero/,
  );
});

test('EXPECTED FAILURE - tree arrays of the wrong length, bad numbers, loops and bad leaves', () => {
  assertBadModel(stumpText.replace('leaf_value=10 20', 'leaf_value=10'), /Tree=0 leaf_value has 1 values, expected 2/);
  assertBadModel(stumpText.replace('threshold=1.5', 'threshold=one'), /Tree=0 threshold: "one" is not a number/);
  assertBadModel(stumpText.replace('left_child=-1', 'left_child=0'), /Tree=0 node 0: bad child 0/);
  assertBadModel(stumpText.replace('right_child=-2', 'right_child=-7'), /Tree=0 node 0: bad leaf -7/);
  assertBadModel(
    stumpText.replace('split_feature=0', 'split_feature=3'),
    /splits on feature 3, beyond max_feature_idx 0/,
  );
  assertBadModel(stumpText.replace(/^tree_sizes=.*$/m, 'tree_sizes=10 20'), /tree_sizes lists 2 trees, the file has 1/);
});

test('EXPECTED FAILURE - outputs per row that no tree fills are refused at load', () => {
  // num_tree_per_iteration 100,000,000 and one tree: loaded, then every one-row call allocated 800 MB (3 s).
  const huge = stumpText.replace('num_tree_per_iteration=1', 'num_tree_per_iteration=100000000');
  assertBadModel(huge, /num_tree_per_iteration=100000000 outputs but only 1 trees to fill them/);
  // A few outputs beyond the trees (a model saved before its first iteration) still load.
  const few = lightgbmFromText('m', stumpText.replace('num_tree_per_iteration=1', 'num_tree_per_iteration=3'));
  assert.equal(few.outputs, 3);
});

test('EXPECTED FAILURE - categorical splits pointing outside cat_boundaries / cat_threshold', () => {
  assertBadModel(
    categoricalText.replace(/cat_threshold=[0-9 ]+/, 'cat_threshold=1'),
    /cat_threshold has 1 words, expected \d+/,
  );
  assertBadModel(
    categoricalText.replace(/^num_cat=2$/m, 'num_cat=1'),
    /cat_boundaries has 3 values, expected 2|is not one of the tree's/,
  );
});

test('EXPECTED FAILURE - a binary file and a directory without a model (KServe words)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'inferd-lgb-refused-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'bin'));
  writeFileSync(join(root, 'bin', 'model.bst'), Buffer.from([1, 0, 2, 0, 3, 0]));
  await assert.rejects(lightgbmRuntime.load({ name: 'm', modelDir: join(root, 'bin') }), {
    code: 'MODEL_LOAD_FAILED',
    message: /binary file; the native runtime reads LightGBM's text format/,
  });
  mkdirSync(join(root, 'empty'));
  await assert.rejects(lightgbmRuntime.load({ name: 'm', modelDir: join(root, 'empty') }), (err: InferdError) => {
    assert.equal(err.details.reason, 'ModelMissing');
    assert.match(err.message, /no model found .*expected a file ending in \.bst, \.txt/);
    return true;
  });
  mkdirSync(join(root, 'bad'));
  writeFileSync(join(root, 'bad', 'model.txt'), stumpText.replace('objective=regression', 'objective=nope'));
  await assert.rejects(lightgbmRuntime.load({ name: 'm', modelDir: join(root, 'bad') }), {
    code: 'MODEL_LOAD_FAILED',
    message: /cannot load LightGBM model .*model\.txt: unsupported LightGBM objective "nope"/,
  });
});

const tensor = (shape: number[], data: Tensor['data'], datatype: Tensor['datatype'] = 'FP64'): Tensor => ({
  name: 'input-0',
  datatype,
  shape,
  data,
});

test('BAD CALL - wrong feature count, rank, strings', () => {
  const model = lightgbmFromText('m', categoricalText);
  const invalid = (t: Tensor, message: RegExp) =>
    assert.throws(() => model.predict([t]), { code: 'INVALID_INPUT', message });
  invalid(tensor([1, 4], [1, 2, 3, 4]), /expects 5 features per row, got 4/);
  invalid(tensor([5], [1, 2, 3, 4, 5]), /rank-2 tensor \[rows, 5\]/);
  invalid(tensor([1, 5], ['1', '2', '3', '4', '5'], 'BYTES'), /got BYTES/);
  assert.throws(() => model.predict([]), { code: 'INVALID_INPUT', message: /lightgbm expects one input tensor/ });
});

test('integer tensors pass through float32 first, as LightGBM’s Python predict copies them', async () => {
  // A stump at threshold 16777216.5: 16777217 stays above it in float64 but rounds to 16777216 in float32.
  const text = stumpText.replace('threshold=1.5', 'threshold=16777216.5');
  const model = lightgbmFromText('m', text);
  const asDouble = (await model.predict([tensor([1, 1], [16777217])]))[0]!.data as Float64Array;
  const asInt = (await model.predict([tensor([1, 1], BigInt64Array.from([16777217n]), 'INT64')]))[0]!
    .data as Float64Array;
  assert.deepEqual([asDouble[0], asInt[0]], [20, 10]);
});

test('metadata and output shapes: [n] for one output, [n, k] for multiclass', async () => {
  const multi = await lightgbmRuntime.load({ name: 'mc', modelDir: join(models, 'multiclass_categorical') });
  assert.deepEqual(multi.metadata(), {
    platform: 'lightgbm',
    inputs: [{ name: 'input-0', datatype: 'FP64', shape: [-1, 5] }],
    outputs: [{ name: 'output-0', datatype: 'FP64', shape: [-1, 3] }],
  });
  const [out] = await multi.predict([tensor([2, 5], new Float64Array(10))]);
  assert.deepEqual(out!.shape, [2, 3]);
  const sums = [0, 1].map((r) =>
    Array.from((out!.data as Float64Array).subarray(r * 3, r * 3 + 3)).reduce((a, b) => a + b),
  );
  for (const s of sums) assert.ok(Math.abs(s - 1) < 1e-12, 'softmax rows sum to 1');
});

test('BAD CALL - no rows to a model declaring 100 million features allocates nothing for them', async () => {
  // The level walk's block of expanded rows was sized by the feature count alone: 64 × 2 × 1e8 doubles asked for
  // by a request of no data (a RangeError; 2 million features took 2 GB, kept for the next call).
  const text = stumpText.replace(/max_feature_idx=\d+/, 'max_feature_idx=99999999').replace(/feature_names=.*\n/, '');
  const model = lightgbmFromText('m', text);
  const before = process.memoryUsage().arrayBuffers;
  const [out] = await model.predict([tensor([0, 100_000_000], new Float64Array(0))]);
  assert.deepEqual(out!.shape, [0]);
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'no block sized by the feature count');
});
