// Loading MLflow model directories: which flavor serves, and every way a directory is refused (missing or broken
// MLmodel, flavors inferd cannot serve, paths leaving the directory, unsafe pickles), each error naming the cause.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ClassLabels, createMlflowRuntime, mlflowRuntime } from '../../../src/runtimes/mlflow/index.js';
import type { LoadOptions, Model, RuntimeFactory, Tensor } from '../../../src/runtimes/model.js';
import { fixturesDir } from '../../helpers/paths.js';
import { fixture, IRIS_COLUMNS, irisPickle, modelDir, values } from './helpers.js';

const load = (dir: string) => mlflowRuntime.load({ name: 'm', modelDir: dir });

const SKLEARN_MLMODEL = (
  extra = '',
  sklearn = 'pickled_model: model.pkl\n    serialization_format: cloudpickle',
) => `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl${extra}
  sklearn:
    ${sklearn}
`;

test('a python_function flavor alone (loader_module mlflow.sklearn, model_path) is enough', async (t) => {
  const dir = await modelDir(t, {
    MLmodel: 'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n',
    'model.pkl': irisPickle(),
  });
  const model = await load(dir);
  assert.equal(model.flavor, 'sklearn');
  const rows = [[5.1, 3.5, 1.4, 0.2]];
  const out = await model.predict(
    IRIS_COLUMNS.map((name, c) => ({ name, datatype: 'FP64', shape: [1], data: [rows[0]![c]!] })),
  );
  assert.deepEqual(values(out[0]), [0]);
});

test('without python_function, the first flavor inferd serves is used', async (t) => {
  const dir = await modelDir(t, {
    MLmodel: 'flavors:\n  sklearn:\n    pickled_model: nested/model.pkl\n    serialization_format: pickle\n',
    'nested/model.pkl': irisPickle(),
  });
  assert.equal((await load(dir)).flavor, 'sklearn');
});

test('EXPECTED FAILURE - no MLmodel: ModelMissing, pointing at a subdirectory that has one', async (t) => {
  const dir = await modelDir(t, { 'iris_model/MLmodel': 'flavors: {}\n', 'notes.txt': 'x' });
  await assert.rejects(load(dir), (err: Error & { code?: string; details?: { reason?: string } }) => {
    assert.equal(err.code, 'MODEL_LOAD_FAILED');
    assert.equal(err.details?.reason, 'ModelMissing');
    assert.match(err.message, /^no MLmodel file in .*: an MLflow model directory holds MLmodel/);
    assert.match(err.message, /found iris_model\/MLmodel: point storageUri at that directory$/);
    return true;
  });
  await assert.rejects(load(join(dir, 'notes.txt')), { message: /is a file; an MLflow model is a directory/ });
  await assert.rejects(load(join(dir, 'nope')), { message: /model directory .*nope does not exist/ });
});

test('EXPECTED FAILURE - MLmodel that is not YAML, or lists no flavors', async (t) => {
  const bad = await modelDir(t, { MLmodel: 'flavors: [unclosed\n' });
  await assert.rejects(load(bad), { code: 'MODEL_LOAD_FAILED', message: /MLmodel is not valid YAML/ });
  const empty = await modelDir(t, { MLmodel: 'artifact_path: model\nflavors: {}\n' });
  await assert.rejects(load(empty), { message: /no "flavors" mapping; an MLflow model lists at least one flavor/ });
});

test('EXPECTED FAILURE - a custom python_function model (needs Python) is UNSUPPORTED, naming its loader', async (t) => {
  const dir = await modelDir(t, {
    MLmodel:
      'flavors:\n  python_function:\n    cloudpickle_version: 2.2.1\n    loader_module: mlflow.pyfunc.model\n    python_model: python_model.pkl\n',
    'python_model.pkl': Buffer.from([0x80, 0x05, 0x2e]),
  });
  await assert.rejects(load(dir), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'UNSUPPORTED');
    assert.match(
      err.message,
      /python_function loader_module "mlflow\.pyfunc\.model" \(flavors: python_function\) is not served natively/,
    );
    assert.match(err.message, /inferd serves the MLflow flavors sklearn, xgboost, lightgbm, onnx/);
    return true;
  });
  const torch = await modelDir(t, { MLmodel: 'flavors:\n  pytorch:\n    model_data: data\n' });
  await assert.rejects(load(torch), { code: 'UNSUPPORTED', message: /flavors pytorch: none is served natively/ });
});

test('EXPECTED FAILURE - flavor paths that leave the model directory are refused', async (t) => {
  for (const path of ['../model.pkl', '/etc/passwd', 'a/../../x.pkl']) {
    const dir = await modelDir(t, { MLmodel: `flavors:\n  sklearn:\n    pickled_model: ${JSON.stringify(path)}\n` });
    await assert.rejects(load(dir), { message: /must be a path inside the model directory/ }, path);
  }
  const outside = await modelDir(t, { 'model.pkl': irisPickle() });
  const dir = await modelDir(t, { MLmodel: SKLEARN_MLMODEL() });
  await symlink(join(outside, 'model.pkl'), join(dir, 'model.pkl'));
  await assert.rejects(load(dir), {
    message: 'MLmodel flavors.sklearn.pickled_model: "model.pkl" leads outside the model directory',
  });
  const missing = await modelDir(t, { MLmodel: SKLEARN_MLMODEL() });
  await assert.rejects(load(missing), { message: /names "model\.pkl", which does not exist in/ });
});

test('EXPECTED FAILURE - a malicious model.pkl is refused and never runs', async (t) => {
  const marker = '/tmp/inferd-pwned-sklearn-os-system';
  const dir = await modelDir(t, {
    MLmodel: SKLEARN_MLMODEL(),
    'model.pkl': readFileSync(join(fixturesDir, 'sklearn', 'refused', 'os-system', 'model.pkl')),
  });
  await assert.rejects(load(dir), { code: 'UNSAFE_MODEL' });
  assert.equal(existsSync(marker), false, 'the pickle payload ran');
});

test('EXPECTED FAILURE - skops serialization, predict_fn other than predict/predict_proba', async (t) => {
  const skops = await modelDir(t, {
    MLmodel: SKLEARN_MLMODEL('', 'pickled_model: model.skops\n    serialization_format: skops'),
    'model.skops': 'zip',
  });
  await assert.rejects(load(skops), { code: 'UNSUPPORTED', message: /serialization_format "skops"/ });
  const decision = await modelDir(t, {
    MLmodel: SKLEARN_MLMODEL('\n    predict_fn: decision_function'),
    'model.pkl': irisPickle(),
  });
  await assert.rejects(load(decision), {
    code: 'UNSUPPORTED',
    message: 'MLmodel python_function.predict_fn "decision_function": inferd serves predict and predict_proba',
  });
  const wine = readFileSync(join(fixture('wine_quality'), 'model.pkl'));
  const noProba = await modelDir(t, { MLmodel: SKLEARN_MLMODEL('\n    predict_fn: predict_proba'), 'model.pkl': wine });
  await assert.rejects(load(noProba), {
    code: 'MODEL_LOAD_FAILED',
    message: /predict_proba, but this ElasticNet has no predict_proba/,
  });
});

test('EXPECTED FAILURE - a pickled LightGBM scikit-learn model is UNSUPPORTED, naming its class', async (t) => {
  const dir = await modelDir(t, {
    MLmodel:
      'flavors:\n  lightgbm:\n    data: model.pkl\n    model_class: lightgbm.sklearn.LGBMClassifier\n  python_function:\n    loader_module: mlflow.lightgbm\n    data: model.pkl\n',
    'model.pkl': irisPickle(),
  });
  await assert.rejects(load(dir), {
    code: 'UNSUPPORTED',
    message: /pickled lightgbm\.sklearn\.LGBMClassifier .*inferd reads LightGBM text models/,
  });
});

/** A fake runtime that records the directory it was shown. */
function recordingRuntime(name: string): RuntimeFactory & { seen: { dir: string; files: string[]; bytes: Buffer }[] } {
  const seen: { dir: string; files: string[]; bytes: Buffer }[] = [];
  return {
    name,
    formats: [name],
    seen,
    async load({ name: modelName, modelDir: dir }: LoadOptions): Promise<Model> {
      const files = await readdir(dir);
      seen.push({ dir, files, bytes: readFileSync(join(dir, files[0]!)) });
      return {
        name: modelName,
        metadata: () => ({ platform: 'fake', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [] }),
        predict: (inputs: Tensor[]) => [
          { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: Float32Array.of(0.1, 0.7, 0.2) },
          ...inputs.slice(0, 0),
        ],
      };
    },
  };
}

test("xgboost / lightgbm / onnx flavors: the file is shown to the flavor's runtime under the name it expects", async (t) => {
  const xgb = recordingRuntime('xgboost');
  const lgb = recordingRuntime('lightgbm');
  const onnx = recordingRuntime('onnx');
  const runtime = createMlflowRuntime({ xgboost: xgb, lightgbm: lgb, onnx });
  const cases: [string, string, Buffer | string, string, ReturnType<typeof recordingRuntime>][] = [
    ['xgboost', 'model.xgb', '{"learner": {}}', 'model.json', xgb],
    ['xgboost', 'model.xgb', Buffer.from([0x7b, 0x69, 0x07]), 'model.ubj', xgb],
    ['xgboost', 'model.xgb', Buffer.from([0x00, 0x00, 0x00, 0x3f]), 'model.bst', xgb],
    ['xgboost', 'model.json', '{"learner": {}}', 'model.json', xgb],
    ['lightgbm', 'model.lgb', 'tree\nversion=v3\n', 'model.txt', lgb],
    ['onnx', 'model.onnx', 'onnx bytes', 'model.onnx', onnx],
  ];
  for (const [flavor, file, body, staged, rt] of cases) {
    const dir = await modelDir(t, {
      MLmodel: `flavors:\n  ${flavor}:\n    data: ${file}\n  python_function:\n    loader_module: mlflow.${flavor}\n    data: ${file}\n`,
      [file]: body,
    });
    const model = await runtime.load({ name: 'm', modelDir: dir });
    const seen = rt.seen.at(-1)!;
    assert.deepEqual(seen.files, [staged], `${flavor} ${file}`);
    assert.deepEqual(seen.bytes, Buffer.from(body));
    assert.equal(existsSync(seen.dir), false, 'the staging directory is removed after loading');
    assert.deepEqual(
      model.metadata().inputs,
      [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      "no signature: the runtime's metadata",
    );
  }
});

test('an XGBClassifier flavor turns probabilities into class labels, as its pyfunc predict does', async (t) => {
  const runtime = createMlflowRuntime({ xgboost: recordingRuntime('xgboost') });
  const dir = await modelDir(t, {
    MLmodel: 'flavors:\n  xgboost:\n    data: model.xgb\n    model_class: xgboost.sklearn.XGBClassifier\n',
    'model.xgb': '{"learner": {}}',
  });
  const model = await runtime.load({ name: 'm', modelDir: dir });
  const [o] = await model.predict([{ name: 'x', datatype: 'FP32', shape: [1, 4], data: Float32Array.of(1, 2, 3, 4) }]);
  assert.deepEqual([o!.name, o!.datatype, o!.shape, values(o)], ['output-1', 'INT64', [1, 1], [1]]);

  const binary: Model = {
    name: 'b',
    metadata: () => ({ platform: '', inputs: [], outputs: [] }),
    predict: () => [{ name: 'p', datatype: 'FP32', shape: [3], data: Float32Array.of(0.2, 0.5, 0.51) }],
  };
  assert.deepEqual(values((await new ClassLabels(binary).predict([]))[0]), [0, 0, 1]);
});

test("EXPECTED FAILURE - a broken model.onnx fails with the onnx runtime's error", async (t) => {
  const dir = await modelDir(t, {
    MLmodel: 'flavors:\n  onnx:\n    data: model.onnx\n',
    'model.onnx': 'not an onnx model',
  });
  await assert.rejects(mlflowRuntime.load({ name: 'm', modelDir: dir }), { code: 'MODEL_LOAD_FAILED' });
});

test('the staging directory is removed when the flavor runtime fails to load', async (t) => {
  let shown = '';
  const failing: RuntimeFactory = {
    name: 'onnx',
    formats: ['onnx'],
    async load({ modelDir: staged }) {
      shown = staged;
      throw new Error('corrupt');
    },
  };
  const dir = await modelDir(t, { MLmodel: 'flavors:\n  onnx:\n    data: model.onnx\n', 'model.onnx': 'x' });
  await assert.rejects(createMlflowRuntime({ onnx: failing }).load({ name: 'm', modelDir: dir }), {
    message: 'corrupt',
  });
  assert.notEqual(shown, '');
  assert.equal(existsSync(shown), false);
});
