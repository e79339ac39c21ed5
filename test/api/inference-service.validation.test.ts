import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { admit, type InferenceService, validateInferenceService } from '../../src/api/index.js';
import { ctx, isvc, problemAt, SERVED_SOON, sklearnModel, throwsAt } from './helpers.js';

/** admit(CREATE) must refuse `obj` with INVALID_MANIFEST whose details.path is `path`. */
function rejects(obj: unknown, path: string, message?: RegExp, served: readonly string[] = SERVED_SOON) {
  return throwsAt(() => admit(obj as InferenceService, 'CREATE', undefined, ctx(served)), path, message);
}

function withMeta(meta: Record<string, unknown>, predictor = sklearnModel()): InferenceService {
  const o = isvc(predictor);
  o.metadata = { ...o.metadata, ...meta } as never;
  return o;
}

describe('validateInferenceService: metadata', () => {
  test('BAD CALL - the name must be a DNS-1035 label', () => {
    const err = rejects(withMeta({ name: 'Sklearn_Iris' }), 'metadata.name');
    assert.equal(
      err.message,
      `metadata.name: "Sklearn_Iris" must be a DNS-1035 label: lower case alphanumerics or '-', starting with a letter, ending with an alphanumeric, at most 63 characters`,
    );
    rejects(withMeta({ name: '1-iris' }), 'metadata.name', /DNS-1035/);
    rejects(withMeta({ name: 'iris-' }), 'metadata.name', /DNS-1035/);
    rejects(withMeta({ name: 'a'.repeat(64) }), 'metadata.name', /at most 63/);
  });

  test("BAD CALL - name and namespace must fit KServe's host label ({name}-predictor-{namespace} ≤ 63)", () => {
    const name = 'a'.repeat(30);
    const ns = 'n'.repeat(23); // 30 + 11 + 23 = 64
    const err = rejects(withMeta({ name, namespace: ns }), 'metadata.name', /has 64 characters and KServe allows 63/);
    assert.match(err.message, /together at most 52/);
    assert.deepEqual(
      validateInferenceService(withMeta({ name, namespace: 'n'.repeat(22) }), { servedFormats: ['sklearn'] }),
      [],
    );
    // an empty namespace counts as "default"
    assert.deepEqual(validateInferenceService(withMeta({ name: 'a'.repeat(45) }), { servedFormats: ['sklearn'] }), []);
    rejects(withMeta({ name: 'a'.repeat(46) }), 'metadata.name', /too long/);
  });

  test('BAD CALL - namespace, labels and annotations', () => {
    rejects(withMeta({ namespace: 'Kserve_Test' }), 'metadata.namespace', /DNS-1123 label/);
    rejects(withMeta({ labels: { app: 'a b' } }), 'metadata.labels.app', /valid label value/);
    rejects(
      withMeta({ annotations: { 'serving.kserve.io/s3-usehttps': 0 } }),
      'metadata.annotations["serving.kserve.io/s3-usehttps"]',
      /must be a string, got a number \(0\) \(quote it: "0"\)/,
    );
    rejects(
      withMeta({ annotations: { 'serving.kserve.io/deploymentMode': 'ModelMesh' } }),
      'metadata.annotations["serving.kserve.io/deploymentMode"]',
      /ModelMesh is not supported/,
    );
    rejects(
      withMeta({ annotations: { 'serving.kserve.io/autoscalerClass': 'kpa' } }),
      'metadata.annotations["serving.kserve.io/autoscalerClass"]',
      /\[kpa\] is not a supported autoscaler class type/,
    );
    rejects(withMeta({ nme: 'x' }), 'metadata.nme', /unknown field; did you mean "name"\?/);
  });
});

describe('validateInferenceService: predictor implementation', () => {
  test('BAD CALL - spec and spec.predictor are required', () => {
    rejects({ ...isvc(), spec: undefined }, 'spec', /required/);
    rejects({ ...isvc(), spec: {} }, 'spec.predictor', /required/);
  });

  test('BAD CALL - exactly one of model, <framework> or containers; lists what was found', () => {
    const both = { sklearn: { storageUri: 'gs://b/m' }, xgboost: { storageUri: 'gs://b/x' } };
    const err = rejects(isvc(both), 'spec.predictor');
    assert.match(
      err.message,
      /^spec\.predictor: exactly one of model, sklearn, xgboost, lightgbm, onnx, pytorch, tensorflow, triton, pmml, paddle, huggingface or containers must be set; found sklearn and xgboost$/,
    );
    // model next to an old-style key is converted first (the key replaces model), as KServe's webhook does.
    const converted = admit(
      isvc({ sklearn: { storageUri: 'gs://b/m' }, model: { modelFormat: { name: 'sklearn' } } }),
      'CREATE',
      undefined,
      ctx(SERVED_SOON),
    ) as InferenceService;
    assert.equal(converted.spec?.predictor.model?.storageUri, 'gs://b/m');
    rejects(isvc({ minReplicas: 1 }), 'spec.predictor', /found none$/);
    rejects(
      isvc({ ...sklearnModel(), containers: [{ name: 'kserve-container', command: ['x'] }] }),
      'spec.predictor',
      /found model and containers/,
    );
  });

  test('BAD CALL - unknown fields name the field and suggest the closest', () => {
    const err = rejects(isvc({ sklean: { storageUri: 'gs://b/m' } }), 'spec.predictor.sklean');
    assert.match(err.message, /^spec\.predictor\.sklean: unknown field; did you mean "sklearn"\?/);
    rejects(
      isvc(sklearnModel({ storageURI: 'gs://b/m' })),
      'spec.predictor.model.storageURI',
      /did you mean "storageUri"\?/,
    );
    rejects(isvc({ ...sklearnModel(), minReplica: 0 }), 'spec.predictor.minReplica', /did you mean "minReplicas"\?/);
    rejects(
      { ...isvc(), spec: { predictor: sklearnModel(), transfomer: {} } },
      'spec.transfomer',
      /did you mean "transformer"\?/,
    );
    rejects({ ...isvc(), sepc: {} }, 'sepc', /did you mean "spec"\?/);
  });

  test('BAD CALL - modelFormat.name is required; version is "major[.minor[.patch]]"', () => {
    rejects(isvc({ model: { storageUri: 'gs://b/m' } }), 'spec.predictor.model.modelFormat', /required/);
    rejects(isvc({ model: { modelFormat: {} } }), 'spec.predictor.model.modelFormat.name', /required/);
    rejects(
      isvc({ model: { modelFormat: { name: 'sklearn', version: 1 } } }),
      'spec.predictor.model.modelFormat.version',
      /quote it: "1"/,
    );
    rejects(
      isvc({ model: { modelFormat: { name: 'sklearn', version: 'v1' } } }),
      'spec.predictor.model.modelFormat.version',
      /"major"/,
    );
  });

  test('BAD CALL - unknown model format names the formats inferd serves; a known one not served yet says so', () => {
    const err = rejects(
      isvc({ model: { modelFormat: { name: 'sklern' } } }),
      'spec.predictor.model.modelFormat.name',
      undefined,
      ['sklearn'],
    );
    assert.equal(
      err.message,
      'spec.predictor.model.modelFormat.name: unknown model format "sklern"; did you mean "sklearn"?; inferd serves sklearn',
    );
    rejects(
      isvc({ model: { modelFormat: { name: 'tensorflow' } } }),
      'spec.predictor.model.modelFormat.name',
      /"tensorflow" is not served by inferd yet; inferd serves sklearn, xgboost/,
    );
    // old style: the path is the key the user wrote
    rejects(
      isvc({ pytorch: { storageUri: 'gs://b/m' } }),
      'spec.predictor.pytorch',
      /"pytorch" is not served by inferd yet/,
    );
  });

  test("BAD CALL - storageUri must use one of KServe's schemes or be a local path", () => {
    const err = rejects(isvc(sklearnModel({ storageUri: 'ftp://host/model' })), 'spec.predictor.model.storageUri');
    assert.match(
      err.message,
      /must be one of: \[gs:\/\/, s3:\/\/, pvc:\/\/, file:\/\/, https:\/\/, http:\/\/, hdfs:\/\/, webhdfs:\/\/, oci:\/\/, hf:\/\/\] or match https:\/\/\{\}\.blob\.core\.windows\.net\/\{\}\/\{\} or be an absolute or relative local path\. StorageUri \[ftp:\/\/host\/model\] is not supported/,
    );
    rejects(isvc({ sklearn: { storageUri: 's3:/mlflow/1' } }), 'spec.predictor.sklearn.storageUri', /missing '\/'/);
    rejects(isvc({ sklearn: { storageUri: 42 } }), 'spec.predictor.sklearn.storageUri', /must be a string/);
    for (const ok of [
      'gs://b/m',
      's3://b/m',
      'pvc://claim/path',
      'file:///models/iris',
      'https://example.com/model.joblib',
      'http://minio:9000/m.tgz',
      'hdfs://nn/m',
      'webhdfs://nn/m',
      'https://acct.blob.core.windows.net/c/m',
      '/mnt/models/iris',
      './models/iris',
    ]) {
      assert.deepEqual(
        validateInferenceService(isvc(sklearnModel({ storageUri: ok })), { servedFormats: ['sklearn'] }),
        [],
        ok,
      );
    }
  });

  test('BAD CALL - protocolVersion is v1, v2, grpc-v1 or grpc-v2, and the runtime must support it', () => {
    rejects(
      isvc(sklearnModel({ protocolVersion: 'v3' })),
      'spec.predictor.model.protocolVersion',
      /must be one of "v1", "v2", "grpc-v1" or "grpc-v2", got a string \("v3"\)/,
    );
    rejects(
      isvc(sklearnModel({ protocolVersion: 'grpc-v1' })),
      'spec.predictor.model.modelFormat',
      /no runtime supports model format "sklearn" with protocol grpc-v1; kserve-sklearnserver supports it with protocolVersion v1 or v2/,
    );
    rejects(
      isvc(sklearnModel({ protocolVersion: 'grpc-v2', runtime: 'kserve-sklearnserver' })),
      'spec.predictor.model.protocolVersion',
      /specified runtime kserve-sklearnserver does not support protocol grpc-v2/,
    );
    rejects(
      isvc(sklearnModel({ runtime: 'kserve-sklearn' })),
      'spec.predictor.model.runtime',
      /did you mean "kserve-sklearnserver"\?/,
    );
  });

  test("an empty predictor name, as KServe's SDK sends in every framework and model spec, is accepted", () => {
    // V1beta1SKLearnSpec(..., name='') and V1beta1ModelSpec(..., name='') serialize "name": ""
    for (const predictor of [
      sklearnModel({ name: '' }),
      { sklearn: { storageUri: 'gs://bucket/model', name: '' } },
      { xgboost: { storageUri: 'gs://bucket/model', name: '' } },
    ]) {
      assert.doesNotThrow(() => admit(isvc(predictor), 'CREATE', undefined, ctx(SERVED_SOON)));
    }
  });

  test("BAD CALL - 'name' in a standard predictor, storage with a non-s3 URI", () => {
    rejects(
      isvc(sklearnModel({ name: 'kserve-container' })),
      'spec.predictor.model.name',
      /the 'name' field is not allowed in standard predictor/,
    );
    rejects(
      isvc(sklearnModel({ storageUri: 'gs://b/m', storage: { key: 'k' } })),
      'spec.predictor.model.storage',
      /with storage, storageUri must be one of: \[s3:\/\/, hdfs:\/\/, webhdfs:\/\/\]/,
    );
    rejects(
      isvc(sklearnModel({ storageUri: undefined, storage: { parameters: { type: 'gcs' } } })),
      'spec.predictor.model.storage.parameters.type',
      /storage\.spec\.type \[gcs\] is not supported/,
    );
  });

  test('BAD CALL - extension fields: env, args, resources', () => {
    rejects(isvc(sklearnModel({ env: [{ value: 'x' }] })), 'spec.predictor.model.env[0].name', /required/);
    rejects(
      isvc(sklearnModel({ env: [{ name: 'PREDICT_PROBA', value: true }] })),
      'spec.predictor.model.env[0].value',
      /quote it: "true"/,
    );
    rejects(isvc(sklearnModel({ args: '--x' })), 'spec.predictor.model.args', /must be a list of strings/);
    rejects(isvc(sklearnModel({ resources: 'big' })), 'spec.predictor.model.resources', /must be an object/);
  });

  test('BAD CALL - custom containers must be runnable', () => {
    rejects(
      isvc({ containers: [{ name: 'kserve-container' }] }),
      'spec.predictor.containers[0]',
      /needs an "image" or a "command"/,
    );
    rejects(
      isvc({ containers: [{ name: 'Kserve_Container', command: ['x'] }] }),
      'spec.predictor.containers[0].name',
      /DNS-1123 label/,
    );
    rejects(
      isvc({ containers: [{ name: 'c', command: ['x'], imagePullPolicy: 'Never', comand: [] }] }),
      'spec.predictor.containers[0].comand',
      /did you mean "command"\?/,
    );
    assert.deepEqual(
      validateInferenceService(isvc({ containers: [{ name: 'kserve-container', command: ['node', 'model.js'] }] }), {
        servedFormats: [],
      }),
      [],
    );
  });
});

describe('validateInferenceService: component extension', () => {
  const pred = (extra: Record<string, unknown>) => isvc({ ...sklearnModel(), ...extra });

  test('BAD CALL - minReplicas >= 0, maxReplicas >= minReplicas (0 = no limit)', () => {
    // KServe's wording (component.go validateReplicas), then what to write.
    rejects(
      pred({ minReplicas: -1 }),
      'spec.predictor.minReplicas',
      /^spec\.predictor\.minReplicas: MinReplicas cannot be less than 0, got -1 \(0 scales to zero\)$/,
    );
    rejects(
      pred({ minReplicas: 3, maxReplicas: 2 }),
      'spec.predictor.maxReplicas',
      /MinReplicas cannot be greater than MaxReplicas: minReplicas is 3, maxReplicas 2 \(set maxReplicas >= 3, or 0 for no limit\)/,
    );
    rejects(pred({ maxReplicas: -2 }), 'spec.predictor.maxReplicas', /MaxReplicas cannot be less than 0, got -2/);
    rejects(pred({ minReplicas: '1' }), 'spec.predictor.minReplicas', /must be an integer, got a string/);
    rejects(pred({ minReplicas: 1.5 }), 'spec.predictor.minReplicas', /must be an integer/);
    assert.deepEqual(
      validateInferenceService(pred({ minReplicas: 0, maxReplicas: 0 }), { servedFormats: ['sklearn'] }),
      [],
    );
    assert.deepEqual(
      validateInferenceService(pred({ minReplicas: 2, maxReplicas: 2 }), { servedFormats: ['sklearn'] }),
      [],
    );
  });

  test('BAD CALL - canaryTrafficPercent 0..100', () => {
    rejects(pred({ canaryTrafficPercent: 101 }), 'spec.predictor.canaryTrafficPercent', /between 0 and 100, got 101/);
    rejects(pred({ canaryTrafficPercent: -1 }), 'spec.predictor.canaryTrafficPercent', /between 0 and 100/);
    assert.deepEqual(validateInferenceService(pred({ canaryTrafficPercent: 0 }), { servedFormats: ['sklearn'] }), []);
  });

  test('BAD CALL - scaleMetric, scaleTarget, containerConcurrency, timeout', () => {
    rejects(
      pred({ scaleMetric: 'qps' }),
      'spec.predictor.scaleMetric',
      /\[qps\] is not a supported metric; must be one of "cpu", "memory", "concurrency" or "rps"/,
    );
    rejects(pred({ scaleMetric: 'concurency' }), 'spec.predictor.scaleMetric', /did you mean "concurrency"\?/);
    rejects(pred({ scaleTarget: 0 }), 'spec.predictor.scaleTarget', /greater than 0/);
    rejects(pred({ scaleMetric: 'cpu', scaleTarget: 150 }), 'spec.predictor.scaleTarget', /\[1-100\]/);
    rejects(
      pred({ containerConcurrency: -1 }),
      'spec.predictor.containerConcurrency',
      /Parallelism cannot be less than 0, got -1 \(containerConcurrency .* 0 means no limit\)/,
    );
    rejects(pred({ timeout: 0 }), 'spec.predictor.timeout', /greater than 0 \(seconds\)/);
    assert.deepEqual(
      validateInferenceService(
        pred({ minReplicas: 0, scaleTarget: 5, scaleMetric: 'concurrency', containerConcurrency: 10, timeout: 30 }),
        { servedFormats: ['sklearn'] },
      ),
      [],
    );
  });

  test("BAD CALL - autoscaling.knative.dev annotations out of Knative's bounds, at their path, saying the range", () => {
    const ann = (a: Record<string, string>) => withMeta({ annotations: a });
    const at = (k: string) => `metadata.annotations["autoscaling.knative.dev/${k}"]`;
    rejects(
      ann({ 'autoscaling.knative.dev/window': '5s' }),
      at('window'),
      /expected 6s <= 5s <= 1h \(the stable window, from 6s to 1h\)/,
    );
    rejects(ann({ 'autoscaling.knative.dev/window': '2h' }), at('window'), /expected 6s <= 2h <= 1h/);
    rejects(ann({ 'autoscaling.knative.dev/window': '6500ms' }), at('window'), /at most second precision/);
    rejects(
      ann({ 'autoscaling.knative.dev/window': 'soon' }),
      at('window'),
      /invalid value: soon; .* like 30s, 2m or 1h/,
    );
    rejects(
      ann({ 'autoscaling.knative.dev/panic-window-percentage': '0.5' }),
      at('panic-window-percentage'),
      /expected 1 <= 0.5 <= 100/,
    );
    rejects(
      ann({ 'autoscaling.knative.dev/panic-threshold-percentage': '100' }),
      at('panic-threshold-percentage'),
      /expected 110 <= 100 <= 1000/,
    );
    rejects(ann({ 'autoscaling.knative.dev/target': '0' }), at('target'), /target 0 should be at least 0.01/);
    rejects(
      ann({ 'autoscaling.knative.dev/target-utilization-percentage': '101' }),
      at('target-utilization-percentage'),
      /expected 1 <= 101 <= 100/,
    );
    rejects(
      ann({ 'autoscaling.knative.dev/metric': 'qps' }),
      at('metric'),
      /invalid value: qps; must be one of concurrency, rps, cpu or memory/,
    );
    rejects(
      ann({ 'autoscaling.knative.dev/class': 'foo.autoscaling.knative.dev' }),
      at('class'),
      /kpa\.autoscaling\.knative\.dev/,
    );
    rejects(ann({ 'autoscaling.knative.dev/min-scale': '-1' }), at('min-scale'), /expected 0 <= -1 <= 2147483647/);
    rejects(ann({ 'autoscaling.knative.dev/max-scale': 'many' }), at('max-scale'), /invalid value: many/);
    rejects(
      ann({ 'autoscaling.knative.dev/initial-scale': '0' }),
      at('initial-scale'),
      /initial-scale=0 is not allowed/,
    );
    rejects(
      ann({ 'autoscaling.knative.dev/min-scale': '3', 'autoscaling.knative.dev/max-scale': '2' }),
      at('max-scale'),
      /max-scale=2 is less than min-scale=3/,
    );
    rejects(
      ann({ 'autoscaling.knative.dev/scale-down-delay': '2h' }),
      at('scale-down-delay'),
      /expected 0s <= 2h <= 1h/,
    );
    rejects(
      ann({ 'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '-1s' }),
      at('scale-to-zero-pod-retention-period'),
      /invalid value: -1s/,
    );
    // The predictor's own annotations are checked at their path too.
    rejects(
      isvc({ ...sklearnModel(), annotations: { 'autoscaling.knative.dev/window': '1s' } }),
      'spec.predictor.annotations["autoscaling.knative.dev/window"]',
      /expected 6s <= 1s <= 1h/,
    );
    const good = {
      'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev',
      'autoscaling.knative.dev/metric': 'rps',
      'autoscaling.knative.dev/target': '2.5',
      'autoscaling.knative.dev/target-utilization-percentage': '80',
      'autoscaling.knative.dev/window': '30s',
      'autoscaling.knative.dev/panic-window-percentage': '20',
      'autoscaling.knative.dev/panic-threshold-percentage': '150',
      'autoscaling.knative.dev/scale-down-delay': '1m30s',
      'autoscaling.knative.dev/initial-scale': '2',
      'autoscaling.knative.dev/min-scale': '0',
      'autoscaling.knative.dev/max-scale': '5',
      'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '0s',
    };
    assert.deepEqual(validateInferenceService(ann(good), { servedFormats: ['sklearn'] }), []);
  });

  test('BAD CALL - min above max split over a spec field and an annotation, or metadata and the predictor', () => {
    rejects(
      withMeta({ annotations: { 'autoscaling.knative.dev/max-scale': '2' } }, { ...sklearnModel(), minReplicas: 3 }),
      'metadata.annotations["autoscaling.knative.dev/max-scale"]',
      /MinReplicas cannot be greater than MaxReplicas: minReplicas is 3 and autoscaling.knative.dev\/max-scale is 2/,
    );
    rejects(
      withMeta(
        { annotations: { 'autoscaling.knative.dev/min-scale': '4' } },
        { ...sklearnModel(), annotations: { 'autoscaling.knative.dev/max-scale': '2' } },
      ),
      'spec.predictor.annotations["autoscaling.knative.dev/max-scale"]',
      /autoscaling.knative.dev\/min-scale is 4 and autoscaling.knative.dev\/max-scale is 2/,
    );
    rejects(
      withMeta({ annotations: { 'autoscaling.knative.dev/min-scale': '4' } }, { ...sklearnModel(), maxReplicas: 2 }),
      'spec.predictor.maxReplicas',
      /autoscaling.knative.dev\/min-scale is 4 and maxReplicas is 2/,
    );
    // The spec field wins over its annotation: minReplicas 1 makes min-scale 4 moot.
    assert.deepEqual(
      validateInferenceService(
        withMeta(
          { annotations: { 'autoscaling.knative.dev/min-scale': '4' } },
          { ...sklearnModel(), minReplicas: 1, maxReplicas: 2 },
        ),
        { servedFormats: ['sklearn'] },
      ),
      [],
    );
  });

  test('BAD CALL - logger and batcher', () => {
    rejects(pred({ logger: { mode: 'everything' } }), 'spec.predictor.logger.mode', /"all", "request" or "response"/);
    rejects(pred({ logger: { url: 'broker' } }), 'spec.predictor.logger.url', /absolute http/);
    rejects(pred({ logger: 'on' }), 'spec.predictor.logger', /must be an object/);
    rejects(pred({ batcher: { maxBatchSize: '32' } }), 'spec.predictor.batcher.maxBatchSize', /must be an integer/);
    rejects(
      pred({ batcher: { maxLatency: 0 } }),
      'spec.predictor.batcher.maxLatency',
      /greater than 0 \(milliseconds\)/,
    );
    rejects(
      pred({ batcher: { maxBatchsize: 3 } }),
      'spec.predictor.batcher.maxBatchsize',
      /did you mean "maxBatchSize"\?/,
    );
  });

  test('BAD CALL - serviceAccountName is a DNS-1123 subdomain', () => {
    rejects(pred({ serviceAccountName: 'My_SA' }), 'spec.predictor.serviceAccountName', /DNS-1123 subdomain/);
    rejects(pred({ serviceAccountName: 7 }), 'spec.predictor.serviceAccountName', /must be a string/);
  });

  test('BAD CALL - transformer needs containers; explainer art or containers', () => {
    const withSpec = (spec: Record<string, unknown>) => ({ ...isvc(), spec: { predictor: sklearnModel(), ...spec } });
    rejects(withSpec({ transformer: { minReplicas: 1 } }), 'spec.transformer', /containers must be set/);
    rejects(
      withSpec({ transformer: { containers: [{ name: 'kserve-container', command: ['t'] }], minReplicas: -1 } }),
      'spec.transformer.minReplicas',
    );
    rejects(withSpec({ explainer: {} }), 'spec.explainer', /exactly one of art or containers/);
    rejects(withSpec({ canary: [] }), 'spec.canary', /canaryTrafficPercent/);
    const ok = withSpec({
      transformer: {
        containers: [
          { name: 'kserve-container', image: 'me/transformer', env: [{ name: 'PREDICTOR_HOST', value: 'x' }] },
        ],
      },
    });
    assert.deepEqual(validateInferenceService(ok as InferenceService, { servedFormats: ['sklearn'] }), []);
  });
});

describe('validateInferenceService: every problem at once', () => {
  test('problems are collected, not just the first', () => {
    const bad = withMeta(
      { name: 'Bad_Name' },
      { ...sklearnModel({ storageUri: 'ftp://x/y' }), minReplicas: -1, sklean: {} },
    );
    const problems = validateInferenceService(bad, { servedFormats: ['sklearn'] });
    problemAt(problems, 'metadata.name');
    problemAt(problems, 'spec.predictor.model.storageUri');
    problemAt(problems, 'spec.predictor.minReplicas');
    problemAt(problems, 'spec.predictor.sklean');
  });

  test('without runtimes in the context, no runtime checks', () => {
    assert.deepEqual(
      validateInferenceService(isvc(sklearnModel({ runtime: 'whatever' })), { servedFormats: ['sklearn'] }),
      [],
    );
  });
});
