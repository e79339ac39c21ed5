import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { admit, type InferenceService, type Resource } from '../../src/api/index.js';
import { isInferdError } from '../../src/errors.js';
import { ctx, isvc, sklearnModel, throwsAt } from './helpers.js';

describe('admit', () => {
  test('checks the kind first', () => {
    throwsAt(
      () => admit({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }, 'CREATE', undefined, ctx()),
      'kind',
      /no kind "Pod"/,
    );
    throwsAt(
      () => admit({ ...isvc(), apiVersion: 'serving.kserve.io/v1alpha2' }, 'CREATE', undefined, ctx()),
      'apiVersion',
      /InferenceService must be serving\.kserve\.io\/v1beta1, got serving\.kserve\.io\/v1alpha2/,
    );
  });

  test('problems: message joins "path: message"; details.path is the first; details.causes all of them', () => {
    const bad = isvc({ ...sklearnModel(), minReplicas: -1, canaryTrafficPercent: 200 });
    try {
      admit(bad, 'CREATE', undefined, ctx());
      assert.fail('should throw');
    } catch (err) {
      assert.ok(isInferdError(err));
      assert.equal(err.code, 'INVALID_MANIFEST');
      assert.equal(err.httpStatus, 422);
      assert.equal(err.details.path, 'spec.predictor.minReplicas');
      const causes = err.details['causes'] as { path: string; message: string }[];
      assert.deepEqual(
        causes.map((c) => c.path),
        ['spec.predictor.minReplicas', 'spec.predictor.canaryTrafficPercent'],
      );
      assert.equal(err.message, causes.map((c) => `${c.path}: ${c.message}`).join('; '));
    }
  });

  test('returns a new defaulted object; status dropped on CREATE', () => {
    const input = { ...isvc({ sklearn: { storageUri: 'gs://b/m' } }), status: { url: 'http://x' } };
    const out = admit(input, 'CREATE', undefined, ctx()) as InferenceService;
    assert.notEqual(out, input);
    assert.equal(out.status, undefined);
    assert.ok(out.spec!.predictor.model);
    assert.ok(input.spec!.predictor.sklearn, 'input untouched');
  });

  test('UPDATE keeps the stored status and refuses a changed name, namespace or kind', () => {
    const old = admit(isvc(), 'CREATE', undefined, ctx()) as InferenceService;
    old.status = { url: 'http://sklearn-iris.default.example.com' };
    const next = isvc({ ...sklearnModel(), canaryTrafficPercent: 10 });
    const out = admit(next, 'UPDATE', old, ctx()) as InferenceService;
    assert.deepEqual(out.status, old.status);
    assert.equal(out.spec!.predictor.canaryTrafficPercent, 10);

    throwsAt(
      () => admit(isvc(sklearnModel(), 'other-name'), 'UPDATE', old, ctx()),
      'metadata.name',
      /field is immutable: was "sklearn-iris", got "other-name"/,
    );
    const moved = isvc();
    moved.metadata.namespace = 'elsewhere';
    throwsAt(() => admit(moved, 'UPDATE', old, ctx()), 'metadata.namespace', /immutable/);
    const asSecret: Resource = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sklearn-iris' } };
    throwsAt(() => admit(asSecret, 'UPDATE', old, ctx()), 'kind', /immutable/);
  });

  test('UPDATE may not change a recorded deploymentMode', () => {
    const old = { ...isvc(), status: { deploymentMode: 'Serverless' } } as InferenceService;
    const next = isvc();
    next.metadata.annotations = { 'serving.kserve.io/deploymentMode': 'RawDeployment' };
    throwsAt(
      () => admit(next, 'UPDATE', old, ctx()),
      'metadata.annotations["serving.kserve.io/deploymentMode"]',
      /deploymentMode cannot be changed from 'Serverless' to 'RawDeployment'/,
    );
  });

  test('cluster-scoped kinds lose a namespace; namespaced ones get default', () => {
    const ns = admit(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kserve-test', namespace: 'x' } },
      'CREATE',
      undefined,
      ctx(),
    );
    assert.equal(ns.metadata.namespace, undefined);
    const sa = admit(
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } },
      'CREATE',
      undefined,
      ctx(),
    );
    assert.equal(sa.metadata.namespace, 'default');
  });

  test('BAD CALL - a Namespace name must be a DNS-1123 label', () => {
    throwsAt(
      () => admit({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } }, 'CREATE', undefined, ctx()),
      'metadata.name',
      /DNS-1123 label/,
    );
  });
});

describe('admit: an old-style merge patch onto a stored new-style service', () => {
  test('the framework key replaces model before validation, on UPDATE and CREATE, as KServe defaults first', () => {
    const stored = admit(isvc(sklearnModel()), 'CREATE', undefined, ctx());
    // What RFC 7386 makes of {"spec":{"predictor":{"sklearn":{"storageUri":"gs://bucket/v2"}}}} on `stored`.
    const merged = structuredClone(stored);
    (merged.spec as unknown as Record<string, Record<string, unknown>>)['predictor']!['sklearn'] = {
      storageUri: 'gs://bucket/v2',
    };
    const out = admit(merged, 'UPDATE', stored, ctx()) as InferenceService;
    assert.equal(out.spec?.predictor.sklearn, undefined);
    assert.equal(out.spec?.predictor.model?.storageUri, 'gs://bucket/v2');
    assert.equal(out.spec?.predictor.model?.modelFormat.name, 'sklearn');
    const created = admit(merged, 'CREATE', undefined, ctx()) as InferenceService;
    assert.equal(created.spec?.predictor.model?.storageUri, 'gs://bucket/v2');
  });

  test('BAD CALL - problems in the converted spec are reported at model paths', () => {
    const both = isvc({ ...sklearnModel(), sklearn: { storageUri: 'gs://bucket/m', protocolVersion: 'v9' } });
    throwsAt(() => admit(both, 'UPDATE', isvc(), ctx()), 'spec.predictor.model.protocolVersion');
  });
});
