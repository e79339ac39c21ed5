// Who may make inferd start a process (issue 15, item 8), as a table: the parts of a manifest that start
// one, and the decision for auth on (admin only) and off (loopback only), and for writes that leave them as
// they were.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '../../src/api/types.js';
import type { Identity } from '../../src/auth/identity.js';
import { processParts, processPermissionProblem } from '../../src/auth/process-permission.js';

const isvc = (command: string[] | undefined, component = 'predictor'): Resource =>
  ({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'x', namespace: 'team-a' },
    spec: command
      ? { [component]: { containers: [{ name: 'c', command }] } }
      : { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/x' } } },
  }) as Resource;
const runtime = (container: Record<string, unknown>, kind = 'ServingRuntime'): Resource =>
  ({ kind, metadata: { name: 'rt', namespace: 'team-a' }, spec: { containers: [container] } }) as Resource;
const who = (role: 'admin' | 'editor'): Identity => ({
  user: `token:${role}`,
  groups: [],
  source: 'token',
  grants: [{ namespace: 'team-a', role }],
});
const ON = { authRequired: true, loopbackOnly: true };

test('the parts that start a process: component containers, runtime containers with a command', () => {
  assert.deepEqual(Object.keys(processParts(isvc(['sh']))), ['spec.predictor.containers']);
  assert.deepEqual(Object.keys(processParts(isvc(['sh'], 'transformer'))), ['spec.transformer.containers']);
  assert.deepEqual(Object.keys(processParts(isvc(undefined))), []);
  assert.deepEqual(Object.keys(processParts(runtime({ command: ['sh'] }))), ['spec.containers[0]']);
  assert.deepEqual(Object.keys(processParts(runtime({ command: ['sh'] }, 'ClusterServingRuntime'))), [
    'spec.containers[0]',
  ]);
  // KServe's own runtimes name only an image and args: inferd serves them natively.
  assert.deepEqual(Object.keys(processParts(runtime({ image: 'kserve/sklearnserver', args: ['--x'] }))), []);
});

test('auth on: admin only; an unchanged container needs nothing', () => {
  assert.equal(processPermissionProblem(isvc(['sh']), undefined, who('admin'), ON), undefined);
  const e = processPermissionProblem(isvc(['sh']), undefined, who('editor'), ON);
  assert.equal(e?.code, 'FORBIDDEN');
  assert.match(e?.message ?? '', /only the admin role.*User "token:editor" is not admin/);
  assert.equal(processPermissionProblem(isvc(['sh']), undefined, undefined, ON)?.code, 'FORBIDDEN');
  assert.equal(processPermissionProblem(runtime({ command: ['sh'] }), undefined, who('editor'), ON)?.code, 'FORBIDDEN');
  assert.equal(processPermissionProblem(isvc(undefined), undefined, who('editor'), ON), undefined);
  assert.equal(processPermissionProblem(isvc(['sh']), isvc(['sh']), who('editor'), ON), undefined);
  assert.equal(processPermissionProblem(isvc(['sh', '-c', 'x']), isvc(['sh']), who('editor'), ON)?.code, 'FORBIDDEN');
});

test('auth off: allowed on a loopback-only server, refused beyond it', () => {
  const off = { authRequired: false, loopbackOnly: true };
  assert.equal(processPermissionProblem(isvc(['sh']), undefined, undefined, off), undefined);
  const e = processPermissionProblem(isvc(['sh']), undefined, undefined, { ...off, loopbackOnly: false });
  assert.equal(e?.code, 'FORBIDDEN');
  assert.match(e?.message ?? '', /--insecure-allow-anonymous.*--auth/);
});
