// The seeds' manifests (shared/seeds) go through admission as KServe would take them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { admit, type InferenceService, parseManifests, type Secret, type ServiceAccount } from '../../src/api/index.js';
import { ctx, one, SERVED_SOON, throwsAt } from './helpers.js';
import {
  SEED_000_NEW_STYLE,
  SEED_002_MLFLOW,
  SEED_002_SA,
  SEED_004_OLD_STYLE,
  SKLEARN_IRIS_V2,
} from './seed-manifests.js';

describe('seed manifests', () => {
  test('seed 000: new style, applied with -n kserve-test', () => {
    const obj = one(SEED_000_NEW_STYLE);
    obj.metadata.namespace = 'kserve-test'; // what `kubectl apply -n kserve-test` / `inferd apply -n` sets
    const out = admit(obj, 'CREATE', undefined, ctx()) as InferenceService;
    assert.deepEqual(out, {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'sklearn-iris', namespace: 'kserve-test' },
      spec: {
        predictor: {
          model: {
            modelFormat: { name: 'sklearn' },
            runtime: 'kserve-sklearnserver',
            protocolVersion: 'v1',
            storageUri: 'gs://kfserving-examples/models/sklearn/1.0/model',
          },
        },
      },
    });
  });

  test('seed 004: old style (predictor.sklearn), no namespace → default', () => {
    const out = admit(one(SEED_004_OLD_STYLE), 'CREATE', undefined, ctx()) as InferenceService;
    assert.equal(out.metadata.namespace, 'default');
    assert.deepEqual(out.spec!.predictor, {
      model: {
        modelFormat: { name: 'sklearn' },
        runtime: 'kserve-sklearnserver',
        protocolVersion: 'v1',
        storageUri: 'gs://kfserving-samples/models/sklearn/iris',
      },
    });
  });

  test('seed 002: Secret + ServiceAccount + mlflow isvc with serviceAccountName and protocolVersion v2', () => {
    const [secret, sa] = parseManifests(SEED_002_SA, 'sa.yaml') as [Secret, ServiceAccount];
    const storedSecret = admit(secret, 'CREATE', undefined, ctx()) as Secret;
    assert.equal(storedSecret.metadata.namespace, 'default');
    assert.equal(storedSecret.type, 'Opaque');
    assert.equal(storedSecret.stringData, undefined, 'stringData is merged into data');
    assert.equal(Buffer.from(storedSecret.data!['AWS_SECRET_ACCESS_KEY']!, 'base64').toString(), 'minio123');
    assert.equal(storedSecret.metadata.annotations!['serving.kserve.io/s3-usehttps'], '0');
    const storedSa = admit(sa, 'CREATE', undefined, ctx()) as ServiceAccount;
    assert.deepEqual(storedSa.secrets, [{ name: 's3creds' }]);

    const isvc = admit(one(SEED_002_MLFLOW), 'CREATE', undefined, ctx(SERVED_SOON)) as InferenceService;
    assert.equal(isvc.spec!.predictor.serviceAccountName, 'sa');
    assert.deepEqual(isvc.spec!.predictor.model, {
      modelFormat: { name: 'mlflow' },
      runtime: 'kserve-mlserver',
      protocolVersion: 'v2',
      storageUri: 's3://mlflow/1/d9a3dd7164bd423b9482ab8a77316c33/artifacts/iris_model',
    });
  });

  test('seed 002 on a build that does not serve mlflow: a clear refusal naming the served formats', () => {
    throwsAt(
      () => admit(one(SEED_002_MLFLOW), 'CREATE', undefined, ctx(['sklearn'])),
      'spec.predictor.model.modelFormat.name',
      /"mlflow" is not served by inferd yet; inferd serves sklearn/,
    );
  });

  test('seed 001: sklearn-irisv2 (V2, explicit kserve-sklearnserver, its own namespace)', () => {
    const out = admit(one(SKLEARN_IRIS_V2), 'CREATE', undefined, ctx()) as InferenceService;
    assert.equal(out.metadata.namespace, 'kubeflow-user-example-com');
    assert.equal(out.spec!.predictor.model!.runtime, 'kserve-sklearnserver');
    assert.equal(out.spec!.predictor.model!.protocolVersion, 'v2');
  });

  test('all of them in one multi-document file', () => {
    const text = [SEED_002_SA, SEED_000_NEW_STYLE, SEED_002_MLFLOW, SKLEARN_IRIS_V2].join('---\n');
    const stored = parseManifests(text, 'all.yaml').map((r) => admit(r, 'CREATE', undefined, ctx(SERVED_SOON)));
    assert.deepEqual(
      stored.map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`),
      [
        'Secret/default/s3creds',
        'ServiceAccount/default/sa',
        'InferenceService/default/sklearn-iris',
        'InferenceService/default/irish-s3',
        'InferenceService/kubeflow-user-example-com/sklearn-irisv2',
      ],
    );
  });
});
