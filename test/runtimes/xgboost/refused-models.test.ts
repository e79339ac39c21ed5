// Model files the xgboost runtime must refuse with MODEL_LOAD_FAILED and a message that says what is wrong:
// corrupt JSON, UBJSON and legacy binary, unknown objectives, broken trees, and model directories KServe's
// xgbserver would also reject.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InferdError } from '../../../src/errors.js';
import { xgboostRuntime } from '../../../src/runtimes/xgboost/index.js';
import { fixturesDir } from '../../helpers/paths.js';

const models = join(fixturesDir, 'xgboost', 'models');
const binary = 'binary_logistic_breast_cancer';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-xgb-refused-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeModel(dir: string, name: string, content: string | Uint8Array): string {
  const modelDir = join(dir, name);
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(join(modelDir, name.includes('.') ? name : 'model.json'), content);
  return modelDir;
}

async function assertRefused(modelDir: string, reason: string, message: RegExp): Promise<void> {
  await assert.rejects(xgboostRuntime.load({ name: 'm', modelDir }), (err: unknown) => {
    assert.ok(err instanceof InferdError, String(err));
    assert.equal(err.code, 'MODEL_LOAD_FAILED');
    assert.equal(err.details.reason, reason);
    assert.match(err.message, message);
    return true;
  });
}

/** The parts of xgboost's JSON schema these tests edit. */
interface ModelDoc {
  learner: {
    objective: { name: string };
    learner_model_param: { base_score: string };
    gradient_booster: {
      model: {
        tree_info: number[];
        trees: {
          left_children: number[];
          right_children: number[];
          split_indices: number[];
          split_conditions: unknown;
          tree_param: { size_leaf_vector: string };
        }[];
      };
    };
  };
}

function modelJson(): ModelDoc {
  return JSON.parse(readFileSync(join(models, binary, 'json', 'model.json'), 'utf8')) as ModelDoc;
}

test('EXPECTED FAILURE - truncated JSON names the file and the JSON error', async (t) => {
  const text = readFileSync(join(models, binary, 'json', 'model.json'), 'utf8');
  const dir = writeModel(scratch(t), 'trunc', text.slice(0, text.length / 2));
  await assertRefused(dir, 'ModelLoadFailed', /cannot load xgboost model .*model\.json: not valid JSON/);
});

test('EXPECTED FAILURE - truncated UBJSON says where the data ended', async (t) => {
  const bytes = readFileSync(join(models, binary, 'ubj', 'model.ubj'));
  const dir = join(scratch(t), 'ubj');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.ubj'), bytes.subarray(0, 700));
  await assertRefused(dir, 'ModelLoadFailed', /invalid UBJSON at byte \d+/);
});

test('EXPECTED FAILURE - truncated legacy binary says which part is cut off', async (t) => {
  const bytes = readFileSync(join(models, binary, 'bst', 'model.bst'));
  const dir = join(scratch(t), 'bst');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.bst'), bytes.subarray(0, 600));
  await assertRefused(dir, 'ModelLoadFailed', /legacy binary model ends early: .* needs \d+ bytes/);
});

test('EXPECTED FAILURE - random bytes are not a model', async (t) => {
  const dir = join(scratch(t), 'noise');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.bst'), Buffer.from('this is not an xgboost model at all, only text\n'.repeat(20)));
  await assertRefused(dir, 'ModelLoadFailed', /not an xgboost model, or a corrupt one/);
});

test('EXPECTED FAILURE - an empty file and a base64 ("bs64") model', async (t) => {
  const root = scratch(t);
  await assertRefused(writeModel(root, 'empty', ''), 'ModelLoadFailed', /empty/);
  const dir = join(root, 'b64');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.bst'), 'bs64AAAA');
  await assertRefused(dir, 'ModelLoadFailed', /base64/);
});

test('EXPECTED FAILURE - an unknown objective is named, with the supported list', async (t) => {
  const doc = modelJson();
  doc.learner.objective.name = 'reg:made_up';
  await assertRefused(
    writeModel(scratch(t), 'objective', JSON.stringify(doc)),
    'ModelLoadFailed',
    /unsupported xgboost objective "reg:made_up"; .*binary:logistic/,
  );
});

test('EXPECTED FAILURE - a logistic model with base_score outside (0,1)', async (t) => {
  const doc = modelJson();
  doc.learner.learner_model_param.base_score = '1.5E0';
  await assertRefused(
    writeModel(scratch(t), 'base', JSON.stringify(doc)),
    'ModelLoadFailed',
    /base_score must be in \(0,1\)/,
  );
});

test('EXPECTED FAILURE - a tree whose child loops back is refused before it can hang prediction', async (t) => {
  const doc = modelJson();
  const tree = doc.learner.gradient_booster.model.trees[0]!;
  tree.left_children[1] = 0; // node 1 becomes internal and points back at the root
  tree.right_children[1] = 2;
  await assertRefused(writeModel(scratch(t), 'loop', JSON.stringify(doc)), 'ModelLoadFailed', /tree 0 node 1: child/);
});

test('EXPECTED FAILURE - a split on a feature the model does not have', async (t) => {
  const doc = modelJson();
  doc.learner.gradient_booster.model.trees[2]!.split_indices[0] = 999;
  await assertRefused(writeModel(scratch(t), 'feat', JSON.stringify(doc)), 'ModelLoadFailed', /splits on feature 999/);
});

test('EXPECTED FAILURE - tree_info pointing at a class the model does not have', async (t) => {
  const doc = modelJson();
  doc.learner.gradient_booster.model.tree_info[0] = 3;
  await assertRefused(writeModel(scratch(t), 'info', JSON.stringify(doc)), 'ModelLoadFailed', /output group 3/);
});

test('EXPECTED FAILURE - a field of the wrong type names its JSON path', async (t) => {
  const doc = modelJson();
  doc.learner.gradient_booster.model.trees[1]!.split_conditions = 'oops';
  await assertRefused(
    writeModel(scratch(t), 'type', JSON.stringify(doc)),
    'ModelLoadFailed',
    /learner\.gradient_booster\.model\.trees\[1\]\.split_conditions: expected a list of numbers/,
  );
});

test('EXPECTED FAILURE - vector-leaf trees (xgboost 2 multi_output_tree) are refused by name', async (t) => {
  const doc = modelJson();
  doc.learner.gradient_booster.model.trees[0]!.tree_param.size_leaf_vector = '3';
  await assertRefused(writeModel(scratch(t), 'vec', JSON.stringify(doc)), 'ModelLoadFailed', /multi_output_tree/);
});

test('EXPECTED FAILURE - model directories: missing, empty, or with two model files (KServe words)', async (t) => {
  const root = scratch(t);
  await assertRefused(join(root, 'nope'), 'ModelMissing', /does not exist/);
  mkdirSync(join(root, 'empty'));
  writeFileSync(join(root, 'empty', 'README.txt'), 'no model here');
  await assertRefused(join(root, 'empty'), 'ModelMissing', /no model found .*\.bst, \.json, \.ubj, \.model/);
  mkdirSync(join(root, 'two'));
  copyFileSync(join(models, binary, 'json', 'model.json'), join(root, 'two', 'model.json'));
  copyFileSync(join(models, binary, 'bst', 'model.bst'), join(root, 'two', 'model.bst'));
  await assertRefused(join(root, 'two'), 'ModelLoadFailed', /More than one model file is detected/);
});

test('EXPECTED FAILURE - a bad XGBOOST_MISSING setting', async () => {
  await assert.rejects(
    xgboostRuntime.load({ name: 'm', modelDir: join(models, binary, 'json'), env: { XGBOOST_MISSING: 'lots' } }),
    { code: 'MODEL_LOAD_FAILED', message: /XGBOOST_MISSING: expected a number, got "lots"/ },
  );
});

test('loads a `.model` file, a model path given directly, and JSON saved under a `.bst` name', async (t) => {
  const root = scratch(t);
  mkdirSync(join(root, 'dotmodel'));
  copyFileSync(join(models, binary, 'bst', 'model.bst'), join(root, 'dotmodel', 'xgb.model'));
  mkdirSync(join(root, 'json-as-bst'));
  copyFileSync(join(models, binary, 'json', 'model.json'), join(root, 'json-as-bst', 'model.bst'));
  const expected = (await xgboostRuntime.load({ name: 'a', modelDir: join(models, binary, 'json') })).metadata();
  for (const modelDir of [
    join(root, 'dotmodel'),
    join(root, 'json-as-bst'),
    join(models, binary, 'ubj', 'model.ubj'),
  ]) {
    const model = await xgboostRuntime.load({ name: 'a', modelDir });
    assert.deepEqual(model.metadata().inputs, expected.inputs, modelDir);
  }
});

/** A legacy binary gbtree model with no trees: the 136-byte learner header, the two names, the gbtree header. */
function legacyWithoutTrees(numClass: number): Buffer {
  const param = Buffer.alloc(136);
  param.writeFloatLE(0.5, 0);
  param.writeUInt32LE(4, 4); // num_feature
  param.writeInt32LE(numClass, 8);
  const name = (s: string) => {
    const b = Buffer.alloc(8 + s.length);
    b.writeBigUInt64LE(BigInt(s.length));
    b.write(s, 8, 'latin1');
    return b;
  };
  return Buffer.concat([param, name('multi:softprob'), name('gbtree'), Buffer.alloc(160)]);
}

test('EXPECTED FAILURE - output groups that the trees do not back are refused before anything is allocated for them', async (t) => {
  // 332 bytes saying num_class 50,000,000: loaded before (200 MB of base margins; 2^31-1 took 8.6 GB and 82 s).
  const started = Date.now();
  const dir = join(scratch(t), 'groups');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.bst'), legacyWithoutTrees(50_000_000));
  await assertRefused(
    dir,
    'ModelLoadFailed',
    /50000000 output groups \(num_class 50000000, num_target 1\) but only 0 trees/,
  );
  // The same in JSON, where the file has trees: more groups than trees cannot make whole rounds either.
  const doc = modelJson() as ModelDoc & { learner: { learner_model_param: { num_class?: string } } };
  doc.learner.learner_model_param.num_class = '50000000';
  await assertRefused(writeModel(scratch(t), 'json', JSON.stringify(doc)), 'ModelLoadFailed', /50000000 output groups/);
  assert.ok(Date.now() - started < 5_000, `refused in ${Date.now() - started} ms`);
  // A model saved before its first round, with a few classes, still loads (base margins only).
  const small = join(scratch(t), 'small');
  mkdirSync(small);
  writeFileSync(join(small, 'model.bst'), legacyWithoutTrees(3));
  const model = await xgboostRuntime.load({ name: 'm', modelDir: small });
  await model.unload?.();
});
