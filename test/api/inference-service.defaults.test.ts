import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultInferenceService, FRAMEWORK_KEYS, type InferenceService } from '../../src/api/index.js';
import { ctx, isvc, one } from './helpers.js';
import { SEED_000_NEW_STYLE, SEED_004_OLD_STYLE } from './seed-manifests.js';

const runtimes = ctx().runtimes;

describe('defaultInferenceService', () => {
  test('old style → new style: predictor.sklearn becomes predictor.model with modelFormat sklearn', () => {
    const input = one(SEED_004_OLD_STYLE);
    const out = defaultInferenceService(input, { runtimes });
    assert.deepEqual(out.spec!.predictor, {
      model: {
        modelFormat: { name: 'sklearn' },
        runtime: 'kserve-sklearnserver',
        protocolVersion: 'v1',
        storageUri: 'gs://kfserving-samples/models/sklearn/iris',
      },
    });
    assert.equal(out.metadata.namespace, 'default');
    assert.ok(input.spec!.predictor.sklearn, 'the input is not changed');
    assert.equal(input.metadata.namespace, undefined);
  });

  test('old and new style of the same model default to the same spec', () => {
    const a = defaultInferenceService(one(SEED_000_NEW_STYLE), { runtimes });
    const b = defaultInferenceService(
      isvc({ sklearn: { storageUri: 'gs://kfserving-examples/models/sklearn/1.0/model' } }),
      { runtimes },
    );
    assert.deepEqual(a.spec, b.spec);
  });

  test('every old-style key maps to the same-named modelFormat, carrying the extension fields', () => {
    for (const key of FRAMEWORK_KEYS) {
      const ext = {
        storageUri: 's3://b/m',
        runtimeVersion: '1.2.3',
        env: [{ name: 'A', value: 'b' }],
        resources: { limits: { cpu: '2' } },
        args: ['--x'],
      };
      const out = defaultInferenceService(isvc({ [key]: ext, minReplicas: 0 }), { runtimes });
      const p = out.spec!.predictor;
      assert.equal(p[key], undefined, `${key} removed`);
      assert.equal(p.minReplicas, 0);
      assert.equal(p.model!.modelFormat.name, key);
      for (const [k, v] of Object.entries(ext)) assert.deepEqual((p.model as never)[k], v, `${key}.${k}`);
    }
  });

  test('protocolVersion: v1 by default, v2 for old-style triton/onnx/huggingface and modelFormat triton', () => {
    const proto = (predictor: Record<string, unknown>) =>
      defaultInferenceService(isvc(predictor), { runtimes }).spec!.predictor.model!.protocolVersion;
    assert.equal(proto({ sklearn: { storageUri: 'gs://b/m' } }), 'v1');
    assert.equal(proto({ tensorflow: { storageUri: 'gs://b/m' } }), 'v1');
    assert.equal(proto({ pytorch: { storageUri: 'gs://b/m' } }), 'v1');
    assert.equal(proto({ triton: { storageUri: 'gs://b/m' } }), 'v2');
    assert.equal(proto({ onnx: { storageUri: 'gs://b/m' } }), 'v2');
    assert.equal(proto({ huggingface: { storageUri: 'gs://b/m' } }), 'v2');
    assert.equal(proto({ model: { modelFormat: { name: 'triton' } } }), 'v2');
    assert.equal(proto({ onnx: { storageUri: 'gs://b/m', protocolVersion: 'grpc-v2' } }), 'grpc-v2');
    assert.equal(proto({ model: { modelFormat: { name: 'sklearn' }, protocolVersion: 'v2' } }), 'v2');
  });

  test('runtime auto-selection sets spec.predictor.model.runtime', () => {
    const runtimeOf = (predictor: Record<string, unknown>) =>
      defaultInferenceService(isvc(predictor), { runtimes }).spec!.predictor.model!.runtime;
    assert.equal(runtimeOf({ onnx: { storageUri: 'gs://b/m' } }), 'kserve-tritonserver');
    assert.equal(runtimeOf({ xgboost: { storageUri: 'gs://b/m' } }), 'kserve-xgbserver');
    assert.equal(runtimeOf({ model: { modelFormat: { name: 'sklearn' }, protocolVersion: 'v2' } }), 'kserve-mlserver');
    assert.equal(
      runtimeOf({
        model: { modelFormat: { name: 'sklearn' }, protocolVersion: 'v2', runtime: 'kserve-sklearnserver' },
      }),
      'kserve-sklearnserver',
    );
  });

  test('no supporting runtime: runtime stays unset, protocol v1; defaulting never throws', () => {
    const out = defaultInferenceService(isvc({ model: { modelFormat: { name: 'nope' } } }), { runtimes });
    assert.equal(out.spec!.predictor.model!.runtime, undefined);
    assert.equal(out.spec!.predictor.model!.protocolVersion, 'v1');
    const broken = { ...isvc(), spec: 'nonsense' } as unknown as InferenceService;
    assert.equal(defaultInferenceService(broken, { runtimes }).spec, 'nonsense' as never);
  });

  test('a given namespace is kept; logger.mode defaults to all', () => {
    const input = isvc({ ...{ model: { modelFormat: { name: 'sklearn' } } }, logger: { url: 'http://broker' } });
    input.metadata.namespace = 'kserve-test';
    const out = defaultInferenceService(input, { runtimes });
    assert.equal(out.metadata.namespace, 'kserve-test');
    assert.deepEqual(out.spec!.predictor.logger, { url: 'http://broker', mode: 'all' });
  });

  test('ServingRuntimes of the isvc namespace are preferred', () => {
    const mine = {
      apiVersion: 'serving.kserve.io/v1alpha1',
      kind: 'ServingRuntime',
      metadata: { name: 'team-sklearn', namespace: 'team' },
      spec: { supportedModelFormats: [{ name: 'sklearn', autoSelect: true }], containers: [{ command: ['x'] }] },
    };
    const input = isvc();
    input.metadata.namespace = 'team';
    const out = defaultInferenceService(input, { runtimes: [...runtimes, mine] });
    assert.equal(out.spec!.predictor.model!.runtime, 'team-sklearn');
  });
});
