// Shared helpers for the api tests.
import assert from 'node:assert/strict';
import {
  type AdmissionContext,
  type InferenceService,
  type Problem,
  parseManifests,
  type Resource,
  withBuiltinRuntimes,
} from '../../src/api/index.js';
import { type InferdError, isInferdError } from '../../src/errors.js';

export const SERVED_NOW = ['sklearn'] as const;
export const SERVED_SOON = ['sklearn', 'xgboost', 'lightgbm', 'onnx', 'mlflow'] as const;

export function ctx(servedFormats: readonly string[] = SERVED_NOW, stored: Resource[] = []): AdmissionContext {
  return { runtimes: withBuiltinRuntimes(stored as never), servedFormats };
}

/** The single resource in `yaml`. */
export function one<T extends Resource = InferenceService>(yaml: string): T {
  const list = parseManifests(yaml, 'test.yaml');
  assert.equal(list.length, 1);
  return list[0] as T;
}

/** A minimal valid new-style isvc; `predictor` replaces the default predictor. */
export function isvc(predictor: Record<string, unknown> = sklearnModel(), name = 'sklearn-iris'): InferenceService {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name },
    spec: { predictor: predictor as never },
  };
}

export function sklearnModel(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://bucket/model', ...extra } };
}

/** Asserts that `fn` throws INVALID_MANIFEST with `details.path` = path; returns the error. */
export function throwsAt(fn: () => unknown, path: string, message?: RegExp): InferdError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(isInferdError(caught), `expected an InferdError, got ${String(caught)}`);
  assert.equal(caught.code, 'INVALID_MANIFEST');
  assert.equal(caught.details.path, path, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Asserts that `problems` has one at `path` (whose message matches) and returns it. */
export function problemAt(problems: readonly Problem[], path: string, message?: RegExp): Problem {
  const p = problems.find((x) => x.path === path && (!message || message.test(x.message)));
  assert.ok(p, `no problem at ${path}${message ? ` matching ${message}` : ''}; got ${JSON.stringify(problems)}`);
  return p;
}
