// The runtime registry: format lookup like KServe's (case-insensitive), first registration wins.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RuntimeFactory } from '../../src/runtimes/model.js';
import { createRuntimeRegistry, defaultRuntimes } from '../../src/runtimes/registry.js';

const rt = (name: string, formats: string[]): RuntimeFactory => ({
  name,
  formats,
  load: async () => {
    throw new Error('not used');
  },
});

test('forFormat finds a runtime by any of its formats, case-insensitively; first wins', () => {
  const a = rt('a', ['sklearn']);
  const b = rt('b', ['SKLearn', 'xgboost']);
  const reg = createRuntimeRegistry([a, b]);
  assert.equal(reg.forFormat('sklearn'), a);
  assert.equal(reg.forFormat('SKLEARN'), a);
  assert.equal(reg.forFormat('XGBoost'), b);
  assert.equal(reg.forFormat('onnx'), undefined);
  assert.deepEqual(reg.formats(), ['sklearn', 'xgboost']);
  assert.deepEqual(reg.runtimes, [a, b]);
});

test('the default runtimes serve sklearn', () => {
  const reg = createRuntimeRegistry(defaultRuntimes());
  assert.equal(reg.forFormat('sklearn')?.name, 'sklearn');
});
