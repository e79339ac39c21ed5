import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { admit, type Resource } from '../../src/api/index.js';
import { kindByAlias } from '../../src/api/types.js';
import { ctx, throwsAt } from './helpers.js';

function tm(
  spec: unknown = { inferenceService: 'mms', model: { storageUri: 's3://b/m', framework: 'sklearn', memory: '128Mi' } },
  name = 'model1',
): Resource {
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'TrainedModel',
    metadata: { name, namespace: 'default' },
    spec,
  };
}

const rejects = (obj: Resource, path: string, message?: RegExp) =>
  throwsAt(() => admit(obj, 'CREATE', undefined, ctx()), path, message);

describe('TrainedModel admission', () => {
  test('a valid TrainedModel is admitted as given; tm and trainedmodels name the kind', () => {
    const out = admit(tm(), 'CREATE', undefined, ctx());
    assert.deepEqual(out.spec, tm().spec);
    assert.equal(kindByAlias('tm')?.kind, 'TrainedModel');
    assert.equal(kindByAlias('trainedmodels')?.kind, 'TrainedModel');
    // memory as an integer (YAML `memory: 134217728`) is a quantity too
    admit(
      tm({ inferenceService: 'mms', model: { storageUri: 'gs://b/m', framework: 'xgboost', memory: 134217728 } }),
      'CREATE',
      undefined,
      ctx(),
    );
  });

  test('BAD CALL - required fields, each with its JSON path', () => {
    rejects({ ...tm(), spec: undefined }, 'spec', /required/);
    rejects(
      tm({ model: { storageUri: 's3://b/m', framework: 'sklearn', memory: '1Mi' } }),
      'spec.inferenceService',
      /required/,
    );
    rejects(tm({ inferenceService: 'mms' }), 'spec.model', /required/);
    rejects(tm({ inferenceService: 'mms', model: { framework: 'sklearn', memory: '1Mi' } }), 'spec.model.storageUri');
    rejects(tm({ inferenceService: 'mms', model: { storageUri: 's3://b/m', memory: '1Mi' } }), 'spec.model.framework');
    rejects(
      tm({ inferenceService: 'mms', model: { storageUri: 's3://b/m', framework: 'sklearn' } }),
      'spec.model.memory',
    );
  });

  test('BAD CALL - memory must be a quantity, storageUri a supported scheme, the name a DNS-1035 label', () => {
    rejects(
      tm({ inferenceService: 'mms', model: { storageUri: 's3://b/m', framework: 'sklearn', memory: 'lots' } }),
      'spec.model.memory',
      /128Mi/,
    );
    rejects(
      tm({ inferenceService: 'mms', model: { storageUri: 'ftp://b/m', framework: 'sklearn', memory: '1Mi' } }),
      'spec.model.storageUri',
    );
    rejects(tm(undefined, 'Model_1'), 'metadata.name', /DNS-1035/);
    rejects(
      tm({ inferenceService: 'mms', model: { storageUri: 's3://b/m', framework: 'sklearn', memory: '1Mi', extra: 1 } }),
      'spec.model.extra',
    );
  });

  test('BAD CALL - memory is immutable on update (KServe webhook)', () => {
    const old = admit(tm(), 'CREATE', undefined, ctx());
    const next = tm({
      inferenceService: 'mms',
      model: { storageUri: 's3://b/m2', framework: 'sklearn', memory: '256Mi' },
    });
    assert.throws(() => admit(next, 'UPDATE', old, ctx()), /memory field is immutable/);
    // storageUri may change (the model is swapped)
    const swapped = tm({
      inferenceService: 'mms',
      model: { storageUri: 's3://b/m2', framework: 'sklearn', memory: '128Mi' },
    });
    assert.equal(
      (admit(swapped, 'UPDATE', old, ctx()).spec as { model: { storageUri: string } }).model.storageUri,
      's3://b/m2',
    );
  });
});
