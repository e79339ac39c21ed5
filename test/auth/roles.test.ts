// The role table, case by case: which (role, verb, resource, namespace) each role is allowed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Grant } from '../../src/auth/identity.js';
import { type Action, authorize, inferNamespaces, type Role } from '../../src/auth/roles.js';

const grant = (role: Role, namespace = 'team-a'): Grant[] => [{ role, namespace }];
const act = (verb: Action['verb'], resource: string, namespace?: string): Action => ({ verb, resource, namespace });

// [role, action, allowed]
const CASES: [Role, Action, boolean][] = [
  ['predictor', act('infer', 'models', 'team-a'), true],
  ['predictor', act('infer', 'models', 'team-b'), false],
  ['predictor', act('get', 'inferenceservices', 'team-a'), false],
  ['predictor', act('get', 'clusterservingruntimes'), false],
  ['viewer', act('infer', 'models', 'team-a'), false],
  ['viewer', act('get', 'inferenceservices', 'team-a'), true],
  ['viewer', act('list', 'inferenceservices', 'team-a'), true],
  ['viewer', act('watch', 'events', 'team-a'), true],
  ['viewer', act('get', 'inferenceservices/log', 'team-a'), true],
  ['viewer', act('get', 'secrets', 'team-a'), false], // as Kubernetes' view: Secrets are credentials
  ['viewer', act('list', 'secrets', 'team-a'), false],
  ['viewer', act('get', 'inferenceservices', 'team-b'), false],
  ['viewer', act('list', 'inferenceservices'), false], // across namespaces: the cluster scope
  ['viewer', act('create', 'inferenceservices', 'team-a'), false],
  ['viewer', act('delete', 'inferenceservices', 'team-a'), false],
  ['viewer', act('get', 'namespaces', 'team-a'), true],
  ['viewer', act('list', 'namespaces'), false],
  ['viewer', act('list', 'clusterservingruntimes'), true],
  ['viewer', act('create', 'clusterservingruntimes'), false],
  ['viewer', act('list', 'tokens'), false],
  ['editor', act('infer', 'models', 'team-a'), true],
  ['editor', act('infer', 'models', 'team-b'), false],
  ['editor', act('create', 'inferenceservices', 'team-a'), true],
  ['editor', act('patch', 'inferenceservices', 'team-a'), true],
  ['editor', act('delete', 'inferenceservices', 'team-a'), true],
  ['editor', act('deletecollection', 'inferenceservices', 'team-a'), true],
  ['editor', act('create', 'secrets', 'team-a'), true],
  ['editor', act('get', 'secrets', 'team-a'), true],
  ['editor', act('create', 'inferenceservices', 'team-b'), false],
  ['editor', act('delete', 'namespaces', 'team-a'), false],
  ['editor', act('create', 'namespaces'), false],
  ['editor', act('create', 'tokens'), false],
  ['editor', act('update', 'clusterservingruntimes'), false],
  ['admin', act('infer', 'models', 'team-b'), true],
  ['admin', act('create', 'tokens'), true],
  ['admin', act('list', 'inferenceservices'), true],
  ['admin', act('delete', 'namespaces', 'team-b'), true],
  ['admin', act('get', 'secrets', 'team-b'), true],
];

for (const [role, action, allowed] of CASES) {
  test(`${role} ${allowed ? 'may' : 'may not'} ${action.verb} ${action.resource} ${action.namespace ?? '(cluster)'}`, () => {
    const d = authorize(grant(role), action);
    assert.equal(d.allowed, allowed);
    if (!d.allowed) assert.match(d.missing, new RegExp(action.namespace ? `"${action.namespace}"` : 'cluster scope'));
  });
}

test('no grants allow nothing; the missing permission is named in kubectl words', () => {
  const d = authorize([], act('create', 'secrets', 'team-b'));
  assert.deepEqual(d, { allowed: false, missing: 'cannot create resource "secrets" in the namespace "team-b"' });
});

test('grants add up across namespaces', () => {
  const g: Grant[] = [
    { role: 'viewer', namespace: 'a' },
    { role: 'predictor', namespace: 'b' },
  ];
  assert.equal(authorize(g, act('get', 'inferenceservices', 'a')).allowed, true);
  assert.equal(authorize(g, act('infer', 'models', 'b')).allowed, true);
  assert.equal(authorize(g, act('infer', 'models', 'a')).allowed, false);
  assert.deepEqual([...inferNamespaces(g)], ['b']);
  assert.deepEqual([...inferNamespaces([{ role: 'admin', namespace: 'a' }])], ['*']);
});
