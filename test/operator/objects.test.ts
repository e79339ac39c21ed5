// The objects the operator generates: valid against the official Kubernetes schemas (kubernetes-models),
// named and labelled per the contract, credentials as secretKeyRefs (never values), HPA only where one fits.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Service } from 'kubernetes-models/v1/Service';
import type { InferenceService, Secret } from '../../src/api/types.js';
import { scaleSettingsOf } from '../../src/controllers/autoscaler/scale-source.js';
import { covers, deploymentFor, hpaFor, serviceFor, storageEnv } from '../../src/operator/objects.js';

const isvc = (predictor: Record<string, unknown> = {}): InferenceService =>
  ({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'mlflow-v2', namespace: 'kserve-test', uid: 'u-1' },
    spec: {
      predictor: {
        serviceAccountName: 'sa',
        model: {
          modelFormat: { name: 'mlflow' },
          protocolVersion: 'v2',
          storageUri: 's3://mlflow/1/run/artifacts/model',
        },
        ...predictor,
      },
    },
  }) as InferenceService;

const minio: Secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: {
    name: 's3creds',
    namespace: 'kserve-test',
    annotations: {
      'serving.kserve.io/s3-endpoint': 'minio-service.kubeflow:9000',
      'serving.kserve.io/s3-usehttps': '0',
      'serving.kserve.io/s3-region': 'us-east-1',
    },
  },
  data: {
    AWS_ACCESS_KEY_ID: Buffer.from('minio').toString('base64'),
    AWS_SECRET_ACCESS_KEY: Buffer.from('minio123').toString('base64'),
  },
} as Secret;

function input(i: InferenceService) {
  return {
    isvc: i,
    revision: 'mlflow-v2-predictor-00001',
    number: 1,
    templateHash: 'abc',
    createdAt: '2026-01-01T00:00:00Z',
    settings: scaleSettingsOf(i),
    replicas: 1 as number | undefined,
    credentials: { secrets: [minio] },
  };
}

test('the Deployment validates against apps/v1 and follows the contract (init container, /mnt/models, ports)', () => {
  const d = deploymentFor(input(isvc()), { image: 'ghcr.io/inferd/inferd:0.1.0' });
  new Deployment(d as never).validate();
  const spec = d.spec as { template: { spec: Record<string, never> } };
  const pod = spec.template.spec as unknown as {
    initContainers: { args: string[]; env: { name: string; value?: string; valueFrom?: unknown }[] }[];
    containers: { name: string; args: string[]; ports: { containerPort: number }[] }[];
    volumes: { name: string; emptyDir?: object }[];
    serviceAccountName: string;
  };
  assert.equal(d.metadata.name, 'mlflow-v2-predictor-00001');
  assert.equal(d.metadata.labels?.['app.kubernetes.io/managed-by'], 'inferd');
  assert.equal(d.metadata.labels?.['serving.kserve.io/inferenceservice'], 'mlflow-v2');
  assert.deepEqual(d.metadata.ownerReferences?.[0], {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    name: 'mlflow-v2',
    uid: 'u-1',
    controller: true,
    blockOwnerDeletion: true,
  });
  assert.deepEqual(pod.initContainers[0]!.args, [
    'storage-initializer',
    's3://mlflow/1/run/artifacts/model',
    '/mnt/models',
  ]);
  assert.equal(pod.containers[0]!.name, 'kserve-container');
  assert.deepEqual(
    pod.containers[0]!.ports.map((p) => p.containerPort),
    [8080, 8081],
  );
  assert.ok(pod.volumes.some((v) => v.name === 'kserve-provision-location' && v.emptyDir));
  assert.equal(pod.serviceAccountName, 'sa');
  // Keys by reference, settings by value; no secret value in the Deployment.
  const env = Object.fromEntries(pod.initContainers[0]!.env.map((e) => [e.name, e]));
  assert.deepEqual(env['AWS_SECRET_ACCESS_KEY']?.valueFrom, {
    secretKeyRef: { name: 's3creds', key: 'AWS_SECRET_ACCESS_KEY' },
  });
  assert.equal(env['S3_ENDPOINT']?.value, 'http://minio-service.kubeflow:9000');
  assert.equal(env['AWS_REGION']?.value, 'us-east-1');
  assert.ok(!JSON.stringify(d).includes('minio123'));
});

test('the Service validates against v1 and selects the revision', () => {
  const s = serviceFor(isvc(), 'mlflow-v2-predictor-00001');
  new Service(s as never).validate();
  assert.deepEqual((s.spec as { selector: object }).selector, {
    'serving.kserve.io/inferenceservice': 'mlflow-v2',
    'serving.inferd.dev/revision': 'mlflow-v2-predictor-00001',
  });
});

test('an HPA (autoscaling/v2) for cpu scaling between min and max; none for concurrency or a fixed count', () => {
  const cpu = isvc({ minReplicas: 1, maxReplicas: 4, scaleMetric: 'cpu', scaleTarget: 60 });
  const h = hpaFor(cpu, 'r', scaleSettingsOf(cpu));
  assert.ok(h);
  new HorizontalPodAutoscaler(h as never).validate();
  assert.deepEqual((h.spec as { metrics: unknown[] }).metrics, [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
  ]);
  // The Deployment leaves replicas to the HPA.
  assert.equal(
    (deploymentFor({ ...input(cpu), replicas: undefined }, { image: 'i' }).spec as { replicas?: number }).replicas,
    undefined,
  );
  const conc = isvc({ minReplicas: 1, maxReplicas: 4, scaleMetric: 'concurrency' });
  assert.equal(hpaFor(conc, 'r', scaleSettingsOf(conc)), undefined);
  const fixed = isvc({ minReplicas: 2, maxReplicas: 2, scaleMetric: 'cpu' });
  assert.equal(hpaFor(fixed, 'r', scaleSettingsOf(fixed)), undefined);
});

test('storageEnv: no service account secrets, no env', () => {
  assert.deepEqual(storageEnv(undefined), { env: [] });
});

test('covers: server defaults in the live object are not differences; a changed value is', () => {
  const desired = { a: 1, list: [{ x: 1 }], nested: { b: 'v' } };
  assert.ok(covers({ a: 1, list: [{ x: 1, d: 0 }], nested: { b: 'v', extra: true }, more: 2 }, desired));
  assert.ok(!covers({ a: 2, list: [{ x: 1 }], nested: { b: 'v' } }, desired));
  assert.ok(!covers({ a: 1, list: [{ x: 1 }, { x: 2 }], nested: { b: 'v' } }, desired));
});
