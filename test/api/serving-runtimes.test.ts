import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BUILTIN_CLUSTER_SERVING_RUNTIMES,
  inferdRuntimeFor,
  type ModelSpec,
  type ServingRuntime,
  type SupportedModelFormat,
  selectRuntime,
  withBuiltinRuntimes,
} from '../../src/api/index.js';
import { throwsAt } from './helpers.js';

const builtins = withBuiltinRuntimes([]);
const byName = (name: string) => BUILTIN_CLUSTER_SERVING_RUNTIMES.find((r) => r.metadata.name === name)!;

function model(name: string, extra: Partial<ModelSpec> = {}): ModelSpec {
  return { modelFormat: { name }, storageUri: 'gs://b/m', ...extra };
}

function runtime(
  name: string,
  formats: SupportedModelFormat[],
  opts: {
    kind?: string;
    namespace?: string;
    protocols?: string[];
    disabled?: boolean;
    created?: string;
    multiModel?: boolean;
  } = {},
): ServingRuntime {
  const kind = opts.kind ?? 'ClusterServingRuntime';
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind,
    metadata: {
      name,
      ...(kind === 'ServingRuntime' ? { namespace: opts.namespace ?? 'default' } : {}),
      ...(opts.created ? { creationTimestamp: opts.created } : {}),
    },
    spec: {
      supportedModelFormats: formats,
      ...(opts.protocols ? { protocolVersions: opts.protocols } : {}),
      ...(opts.disabled === undefined ? {} : { disabled: opts.disabled }),
      ...(opts.multiModel === undefined ? {} : { multiModel: opts.multiModel }),
      containers: [{ name: 'kserve-container', command: ['serve'] }],
    },
  };
}

describe('BUILTIN_CLUSTER_SERVING_RUNTIMES', () => {
  test("KServe's runtimes by name", () => {
    assert.deepEqual(BUILTIN_CLUSTER_SERVING_RUNTIMES.map((r) => r.metadata.name).sort(), [
      'kserve-huggingfaceserver',
      'kserve-lgbserver',
      'kserve-mlserver',
      'kserve-paddleserver',
      'kserve-pmmlserver',
      'kserve-sklearnserver',
      'kserve-tensorflow-serving',
      'kserve-torchserve',
      'kserve-tritonserver',
      'kserve-xgbserver',
    ]);
    for (const rt of BUILTIN_CLUSTER_SERVING_RUNTIMES) {
      assert.equal(rt.kind, 'ClusterServingRuntime');
      assert.ok(rt.spec!.containers[0]!.image, `${rt.metadata.name} has an image`);
      assert.equal(rt.spec!.containers[0]!.name, 'kserve-container');
    }
  });

  test("KServe's supportedModelFormats and protocolVersions", () => {
    const sk = byName('kserve-sklearnserver').spec!;
    assert.deepEqual(sk.supportedModelFormats, [{ name: 'sklearn', version: '1', autoSelect: true, priority: 1 }]);
    assert.deepEqual(sk.protocolVersions, ['v1', 'v2']);
    const ml = byName('kserve-mlserver').spec!;
    assert.deepEqual(ml.protocolVersions, ['v2']);
    assert.deepEqual(
      ml.supportedModelFormats.map((f) => `${f.name}:${f.version}:${f.priority}`),
      [
        'sklearn:0:2',
        'sklearn:1:2',
        'xgboost:1:2',
        'xgboost:2:2',
        'lightgbm:3:2',
        'lightgbm:4:2',
        'mlflow:1:1',
        'mlflow:2:1',
      ],
    );
    assert.deepEqual(byName('kserve-tensorflow-serving').spec!.protocolVersions, ['v1', 'grpc-v1']);
    assert.deepEqual(byName('kserve-tritonserver').spec!.protocolVersions, ['v2', 'grpc-v2']);
    const tritonPytorch = byName('kserve-tritonserver').spec!.supportedModelFormats.find((f) => f.name === 'pytorch');
    assert.equal(tritonPytorch?.autoSelect, undefined, 'triton does not auto-select pytorch');
  });

  test('the inferd runtime that serves each natively', () => {
    assert.equal(byName('kserve-sklearnserver').metadata.annotations!['inferd.dev/runtime'], 'sklearn');
    assert.equal(inferdRuntimeFor(byName('kserve-mlserver'), 'mlflow'), 'mlflow');
    assert.equal(inferdRuntimeFor(byName('kserve-mlserver'), 'sklearn'), 'sklearn');
    assert.equal(inferdRuntimeFor(byName('kserve-tritonserver'), 'onnx'), 'onnx');
    assert.equal(inferdRuntimeFor(byName('kserve-tritonserver'), 'tensorflow'), undefined);
    assert.equal(inferdRuntimeFor(byName('kserve-tensorflow-serving'), 'tensorflow'), undefined);
    // KServe's own YAML re-applied under the built-in name keeps the native mapping
    const reapplied = runtime('kserve-sklearnserver', [
      { name: 'sklearn', version: '1', autoSelect: true, priority: 1 },
    ]);
    assert.equal(inferdRuntimeFor(reapplied, 'sklearn'), 'sklearn');
  });

  test('they are frozen; withBuiltinRuntimes lets a stored runtime replace one', () => {
    assert.ok(Object.isFrozen(BUILTIN_CLUSTER_SERVING_RUNTIMES[0]!.spec));
    const mine = runtime('kserve-sklearnserver', [{ name: 'sklearn', autoSelect: true, priority: 1 }]);
    const merged = withBuiltinRuntimes([mine]);
    assert.equal(merged.filter((r) => r.metadata.name === 'kserve-sklearnserver').length, 1);
    assert.ok(merged.includes(mine));
  });
});

describe('selectRuntime: auto-selection', () => {
  test('sklearn (v1 by default) → kserve-sklearnserver; the others by format', () => {
    assert.deepEqual(selectRuntime(model('sklearn'), undefined, builtins), {
      runtime: 'kserve-sklearnserver',
      runtimeKind: 'ClusterServingRuntime',
      protocolVersion: 'v1',
    });
    assert.equal(selectRuntime(model('xgboost'), undefined, builtins).runtime, 'kserve-xgbserver');
    assert.equal(selectRuntime(model('lightgbm'), undefined, builtins).runtime, 'kserve-lgbserver');
    assert.equal(selectRuntime(model('tensorflow'), undefined, builtins).runtime, 'kserve-tensorflow-serving');
    assert.equal(selectRuntime(model('pytorch'), undefined, builtins).runtime, 'kserve-torchserve');
    assert.equal(selectRuntime(model('pmml'), undefined, builtins).runtime, 'kserve-pmmlserver');
    assert.equal(
      selectRuntime(model('triton', { protocolVersion: 'v2' }), undefined, builtins).runtime,
      'kserve-tritonserver',
    );
  });

  test('priority: sklearn with protocol v2 → kserve-mlserver (priority 2 beats sklearnserver 1), as in KServe', () => {
    const sel = selectRuntime(model('sklearn', { protocolVersion: 'v2' }), undefined, builtins);
    assert.equal(sel.runtime, 'kserve-mlserver');
    assert.equal(sel.protocolVersion, 'v2');
    // the protocolVersion argument overrides the model's
    assert.equal(
      selectRuntime(model('sklearn', { protocolVersion: 'v2' }), 'v1', builtins).runtime,
      'kserve-sklearnserver',
    );
  });

  test('format version must match a runtime version exactly', () => {
    assert.equal(
      selectRuntime(model('sklearn', { modelFormat: { name: 'sklearn', version: '1' } }), undefined, builtins).runtime,
      'kserve-sklearnserver',
    );
    assert.equal(
      selectRuntime(
        model('xgboost', { modelFormat: { name: 'xgboost', version: '1' }, protocolVersion: 'v2' }),
        undefined,
        builtins,
      ).runtime,
      'kserve-mlserver',
    );
    const err = throwsAt(
      () => selectRuntime(model('sklearn', { modelFormat: { name: 'sklearn', version: '2' } }), 'v1', builtins),
      'spec.predictor.model.modelFormat',
      /no runtime supports model format "sklearn" version "2" with protocol v1; runtimes support "sklearn" versions 1, 0/,
    );
    assert.equal(err.details.reason, 'NoSupportingRuntime');
  });

  test('protocol mismatch: an explicit protocol no runtime supports is refused, naming the ones that would', () => {
    const err = throwsAt(
      () => selectRuntime(model('mlflow', { protocolVersion: 'v1' }), undefined, builtins),
      'spec.predictor.model.modelFormat',
    );
    assert.match(
      err.message,
      /no runtime supports model format "mlflow" with protocol v1; kserve-mlserver supports it with protocolVersion v2/,
    );
    throwsAt(
      () =>
        selectRuntime(model('tensorflow', { protocolVersion: 'v2' }), undefined, [byName('kserve-tensorflow-serving')]),
      'spec.predictor.model.modelFormat',
    );
  });

  test('no protocol given and none supports v1: inferd falls back to the runtime for another protocol', () => {
    const mlflow = selectRuntime(model('mlflow'), undefined, builtins);
    assert.deepEqual(mlflow, {
      runtime: 'kserve-mlserver',
      runtimeKind: 'ClusterServingRuntime',
      protocolVersion: 'v2',
      protocolFallback: true,
    });
    const onnx = selectRuntime(model('onnx'), undefined, builtins);
    assert.equal(onnx.runtime, 'kserve-tritonserver');
    assert.equal(onnx.protocolVersion, 'v2');
  });

  test('disabled runtimes are skipped', () => {
    const hi = runtime('custom-hi', [{ name: 'custom', autoSelect: true, priority: 9 }], { disabled: true });
    const lo = runtime('custom-lo', [{ name: 'custom', autoSelect: true, priority: 1 }]);
    assert.equal(selectRuntime(model('custom'), undefined, [hi, lo]).runtime, 'custom-lo');
    throwsAt(
      () => selectRuntime(model('custom'), undefined, [hi]),
      'spec.predictor.model.modelFormat',
      /custom-hi \(disabled\)/,
    );
  });

  test('autoSelect is required unless the runtime is named', () => {
    const manual = runtime('manual', [{ name: 'custom', priority: 5 }]);
    throwsAt(() => selectRuntime(model('custom'), undefined, [manual]), 'spec.predictor.model.modelFormat');
    assert.equal(selectRuntime(model('custom', { runtime: 'manual' }), undefined, [manual]).runtime, 'manual');
    // KServe's triton lists pytorch without autoSelect: pytorch goes to torchserve unless triton is named
    assert.equal(
      selectRuntime(model('pytorch', { runtime: 'kserve-tritonserver' }), undefined, builtins).protocolVersion,
      'v2',
    );
  });

  test('highest priority wins; unset priority comes last', () => {
    const a = runtime('a', [{ name: 'custom', autoSelect: true }]);
    const b = runtime('b', [{ name: 'custom', autoSelect: true, priority: 1 }]);
    const c = runtime('c', [{ name: 'custom', autoSelect: true, priority: 3 }]);
    assert.equal(selectRuntime(model('custom'), undefined, [a, b, c]).runtime, 'c');
    assert.equal(selectRuntime(model('custom'), undefined, [a, b]).runtime, 'b');
  });

  test('ties: lower protocol first, then newest, then name (stable)', () => {
    const f = [{ name: 'custom', autoSelect: true, priority: 2 }];
    const v2only = runtime('a-v2', f, { protocols: ['v2'] });
    const v1v2 = runtime('z-v1v2', f, { protocols: ['v1', 'v2'] });
    assert.equal(
      selectRuntime(model('custom', { protocolVersion: 'v2' }), undefined, [v2only, v1v2]).runtime,
      'z-v1v2',
    );
    const old = runtime('old', f, { created: '2024-01-01T00:00:00Z' });
    const young = runtime('young', f, { created: '2025-01-01T00:00:00Z' });
    assert.equal(selectRuntime(model('custom'), undefined, [old, young]).runtime, 'young');
    const b = runtime('b', f);
    const a = runtime('a', f);
    assert.equal(selectRuntime(model('custom'), undefined, [b, a]).runtime, 'a');
  });

  test('namespace ServingRuntimes come before ClusterServingRuntimes; other namespaces are ignored', () => {
    const mine = runtime('team-sklearn', [{ name: 'sklearn', autoSelect: true }], {
      kind: 'ServingRuntime',
      namespace: 'team',
    });
    const all = [...builtins, mine];
    const sel = selectRuntime(model('sklearn'), undefined, all, { namespace: 'team' });
    assert.deepEqual([sel.runtime, sel.runtimeKind], ['team-sklearn', 'ServingRuntime']);
    assert.equal(
      selectRuntime(model('sklearn'), undefined, all, { namespace: 'other' }).runtime,
      'kserve-sklearnserver',
    );
  });

  test('multi-model runtimes are not selected for a single model', () => {
    const mm = runtime('mm', [{ name: 'custom', autoSelect: true, priority: 9 }], { multiModel: true });
    const single = runtime('single', [{ name: 'custom', autoSelect: true, priority: 1 }]);
    assert.equal(selectRuntime(model('custom'), undefined, [mm, single]).runtime, 'single');
  });
});

describe('selectRuntime: explicit runtime', () => {
  test('a named runtime that supports the format and protocol', () => {
    const sel = selectRuntime(
      model('sklearn', { runtime: 'kserve-sklearnserver', protocolVersion: 'v2' }),
      undefined,
      builtins,
    );
    assert.deepEqual(sel, {
      runtime: 'kserve-sklearnserver',
      runtimeKind: 'ClusterServingRuntime',
      protocolVersion: 'v2',
    });
    // without a protocol: the runtime's lowest (MLServer: v2)
    assert.equal(
      selectRuntime(model('sklearn', { runtime: 'kserve-mlserver' }), undefined, builtins).protocolVersion,
      'v2',
    );
  });

  test('the namespace ServingRuntime wins over a ClusterServingRuntime of the same name', () => {
    const ns = runtime('kserve-sklearnserver', [{ name: 'sklearn' }], { kind: 'ServingRuntime' });
    assert.equal(
      selectRuntime(model('sklearn', { runtime: 'kserve-sklearnserver' }), undefined, [...builtins, ns]).runtimeKind,
      'ServingRuntime',
    );
  });

  test('BAD CALL - an unknown runtime name', () => {
    const err = throwsAt(
      () => selectRuntime(model('sklearn', { runtime: 'kserve-sklearn-server' }), undefined, builtins),
      'spec.predictor.model.runtime',
      /no ServingRuntime or ClusterServingRuntime named "kserve-sklearn-server"; did you mean "kserve-sklearnserver"\?/,
    );
    assert.equal(err.details.reason, 'RuntimeNotRecognized');
  });

  test('BAD CALL - a named runtime that does not support the format, or the protocol, or is disabled', () => {
    throwsAt(
      () => selectRuntime(model('sklearn', { runtime: 'kserve-xgbserver' }), undefined, builtins),
      'spec.predictor.model.runtime',
      /specified runtime kserve-xgbserver does not support model format "sklearn"; it supports xgboost 2/,
    );
    throwsAt(
      () =>
        selectRuntime(
          model('tensorflow', { runtime: 'kserve-tensorflow-serving', protocolVersion: 'v2' }),
          undefined,
          builtins,
        ),
      'spec.predictor.model.protocolVersion',
      /does not support protocol v2; it supports v1 and grpc-v1/,
    );
    const off = runtime('off', [{ name: 'sklearn' }], { disabled: true });
    const err = throwsAt(
      () => selectRuntime(model('sklearn', { runtime: 'off' }), undefined, [off]),
      'spec.predictor.model.runtime',
      /is disabled/,
    );
    assert.equal(err.details.reason, 'RuntimeDisabled');
  });
});
