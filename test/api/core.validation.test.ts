import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  admit,
  type Resource,
  type ServingRuntime,
  validateSecret,
  validateServingRuntime,
} from '../../src/api/index.js';
import { ctx, one, throwsAt } from './helpers.js';

const secret = (extra: Record<string, unknown>): Resource => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's3creds' },
  ...extra,
});

function runtime(spec: Record<string, unknown>, name = 'my-runtime', kind = 'ServingRuntime'): ServingRuntime {
  return { apiVersion: 'serving.kserve.io/v1alpha1', kind, metadata: { name }, spec: spec as never };
}

const CONTAINER = { name: 'kserve-container', image: 'me/server:1', args: ['--model_name={{.Name}}'] };

describe('Secret', () => {
  test('data values are base64; stringData values are strings', () => {
    assert.deepEqual(
      validateSecret(secret({ data: { AWS_ACCESS_KEY_ID: Buffer.from('minio').toString('base64') } })),
      [],
    );
    throwsAt(
      () => admit(secret({ data: { AWS_ACCESS_KEY_ID: 'minio!' } }), 'CREATE', undefined, ctx()),
      'data.AWS_ACCESS_KEY_ID',
      /base64/,
    );
    throwsAt(
      () => admit(secret({ stringData: { S3_USE_HTTPS: 0 } }), 'CREATE', undefined, ctx()),
      'stringData.S3_USE_HTTPS',
      /must be a string.*quote it/,
    );
    throwsAt(
      () => admit(secret({ data: { 'bad key': 'eA==' } }), 'CREATE', undefined, ctx()),
      'data["bad key"]',
      /valid config key/,
    );
    throwsAt(
      () => admit(secret({ strngData: {} }), 'CREATE', undefined, ctx()),
      'strngData',
      /did you mean "stringData"\?/,
    );
  });

  test('stringData is merged over data on admission', () => {
    const out = admit(secret({ data: { A: 'eA==', B: 'eA==' }, stringData: { B: 'y' } }), 'CREATE', undefined, ctx());
    assert.deepEqual(out['data'], { A: 'eA==', B: 'eQ==' });
    assert.equal(out['stringData'], undefined);
  });
});

describe('ServiceAccount', () => {
  test('BAD CALL - secrets[] entries need a name', () => {
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' }, secrets: [{}] };
    throwsAt(() => admit(sa, 'CREATE', undefined, ctx()), 'secrets[0].name', /required/);
    throwsAt(() => admit({ ...sa, secrets: 's3creds' }, 'CREATE', undefined, ctx()), 'secrets', /must be a list/);
  });
});

describe('ServingRuntime / ClusterServingRuntime', () => {
  test("KServe's own runtime YAML is accepted", () => {
    const rt = one<ServingRuntime>(`apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: kserve-sklearnserver
spec:
  annotations:
    prometheus.kserve.io/port: '8080'
    prometheus.kserve.io/path: "/metrics"
  supportedModelFormats:
    - name: sklearn
      version: "1"
      autoSelect: true
      priority: 1
  protocolVersions:
    - v1
    - v2
  containers:
    - name: kserve-container
      image: kserve-sklearnserver:replace
      args:
        - --model_name={{.Name}}
        - --model_dir=/mnt/models
        - --http_port=8080
      securityContext:
        allowPrivilegeEscalation: false
        privileged: false
        runAsNonRoot: true
        capabilities:
          drop:
            - ALL
      resources:
        requests:
          cpu: "1"
          memory: 2Gi
        limits:
          cpu: "1"
          memory: 2Gi
`);
    assert.deepEqual(validateServingRuntime(rt), []);
    const stored = admit(rt, 'CREATE', undefined, ctx());
    assert.equal(stored.metadata.namespace, undefined);
  });

  test('BAD CALL - supportedModelFormats must be non-empty; containers present', () => {
    const admitRt = (spec: Record<string, unknown>) => () => admit(runtime(spec), 'CREATE', undefined, ctx());
    throwsAt(admitRt({ containers: [CONTAINER] }), 'spec.supportedModelFormats', /required/);
    throwsAt(
      admitRt({ supportedModelFormats: [], containers: [CONTAINER] }),
      'spec.supportedModelFormats',
      /at least one/,
    );
    throwsAt(admitRt({ supportedModelFormats: [{ name: 'custom' }] }), 'spec.containers', /required/);
    throwsAt(
      admitRt({ supportedModelFormats: [{ name: 'custom' }], containers: [] }),
      'spec.containers',
      /at least one/,
    );
    throwsAt(
      admitRt({ supportedModelFormats: [{ version: '1' }], containers: [CONTAINER] }),
      'spec.supportedModelFormats[0].name',
      /required/,
    );
    throwsAt(
      admitRt({ supportedModelFormats: [{ name: 'c', priority: 0 }], containers: [CONTAINER] }),
      'spec.supportedModelFormats[0].priority',
      /greater than 0/,
    );
    throwsAt(
      admitRt({ supportedModelFormats: [{ name: 'c', autoselect: true }], containers: [CONTAINER] }),
      'spec.supportedModelFormats[0].autoselect',
      /did you mean "autoSelect"\?/,
    );
    throwsAt(
      admitRt({ supportedModelFormats: [{ name: 'c' }], protocolVersions: ['v3'], containers: [CONTAINER] }),
      'spec.protocolVersions[0]',
      /"v1", "v2"/,
    );
    throwsAt(
      admitRt({ supportedModelFormats: [{ name: 'c' }], containers: [{ name: 'kserve-container' }] }),
      'spec.containers[0]',
      /"image" or a "command"/,
    );
    throwsAt(
      () => admit(runtime({ containers: [CONTAINER] }), 'CREATE', undefined, ctx()),
      'spec.supportedModelFormats',
    );
  });

  test("BAD CALL - KServe's priority rules (within a runtime, and across runtimes of one scope)", () => {
    const within = runtime({
      supportedModelFormats: [
        { name: 'custom', version: '1', autoSelect: true, priority: 1 },
        { name: 'custom', version: '2', autoSelect: true, priority: 2 },
      ],
      containers: [CONTAINER],
    });
    throwsAt(
      () => admit(within, 'CREATE', undefined, ctx()),
      'spec.supportedModelFormats[1].priority',
      /different priorities assigned for the model format custom under the servingruntime my-runtime/,
    );
    const clash = runtime(
      {
        supportedModelFormats: [{ name: 'sklearn', version: '1', autoSelect: true, priority: 1 }],
        protocolVersions: ['v1'],
        containers: [CONTAINER],
      },
      'my-sklearn',
      'ClusterServingRuntime',
    );
    throwsAt(
      () => admit(clash, 'CREATE', undefined, ctx()),
      'spec.supportedModelFormats[0].priority',
      /same priority assigned for the model format sklearn in the clusterservingruntimes kserve-sklearnserver and my-sklearn/,
    );
    // a different priority, or the disabled flag, is fine
    const fine = structuredClone(clash);
    fine.spec!.supportedModelFormats[0]!.priority = 5;
    assert.equal(admit(fine, 'CREATE', undefined, ctx()).metadata.name, 'my-sklearn');
    const disabled = structuredClone(clash);
    disabled.spec!.disabled = true;
    assert.equal(admit(disabled, 'CREATE', undefined, ctx()).metadata.name, 'my-sklearn');
  });
});
