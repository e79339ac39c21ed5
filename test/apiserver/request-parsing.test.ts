import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../../src/api/types.js';
import { jsonErrorOffset, positionAt } from '../../src/apiserver/json-error-position.js';
import { matchesFields, parseFieldSelector, parseLabelSelector, parseListQuery } from '../../src/apiserver/query.js';
import { bodyFormat, parseBody } from '../../src/apiserver/request-body.js';
import { objectForTarget } from '../../src/apiserver/request-object.js';

test('jsonErrorOffset finds the first syntax error, or none for valid JSON', () => {
  assert.equal(jsonErrorOffset('{"a": [1, 2, {"b": null}], "c": "x\\n"}'), undefined);
  assert.equal(jsonErrorOffset('{"a":}'), 5);
  assert.equal(jsonErrorOffset('{\n  "a": 1,\n}'), 12);
  assert.equal(jsonErrorOffset('[1 2]'), 3);
  assert.equal(jsonErrorOffset('{"a":1} x'), 8);
  assert.deepEqual(positionAt('{\n  "a": 1,\n}', 12), { line: 3, column: 1 });
});

test('parseBody reports JSON and YAML errors with line:column as BadRequest', () => {
  assert.throws(() => parseBody(Buffer.from('{\n  "a": 1,\n}'), 'application/json'), {
    code: 'INVALID_INPUT',
    message: 'error parsing JSON body at line 3:1: Expected double-quoted property name',
    details: { line: 3, column: 1, reason: 'BadRequest' },
  });
  assert.throws(() => parseBody(Buffer.from('a: b\n  c: [1,\n'), 'application/yaml'), {
    code: 'INVALID_INPUT',
    message: /^error parsing YAML body at line \d+:\d+: /,
  });
  assert.throws(() => parseBody(Buffer.from('a: 1\n---\nb: 2\n'), 'application/yaml'), { message: /one document/ });
  assert.throws(() => parseBody(Buffer.from('  '), 'application/json'), { message: /empty/ });
});

test('parseBody sniffs JSON vs YAML when the content type says neither', () => {
  assert.equal(bodyFormat('application/x-www-form-urlencoded', '{"a":1}'), 'json');
  assert.equal(bodyFormat(undefined, 'kind: Secret'), 'yaml');
  assert.equal(bodyFormat('application/apply-patch+yaml; charset=utf-8', '{}'), 'yaml');
  assert.deepEqual(parseBody(Buffer.from('kind: Secret\nmetadata:\n  name: s\n'), undefined), {
    kind: 'Secret',
    metadata: { name: 's' },
  });
});

test('label and field selectors parse Kubernetes syntax', () => {
  assert.deepEqual(parseLabelSelector('a=b, c==d,e='), { a: 'b', c: 'd', e: '' });
  assert.equal(parseLabelSelector(''), undefined);
  assert.throws(() => parseLabelSelector('a!=b'), { code: 'INVALID_INPUT' });
  assert.throws(() => parseLabelSelector('env in (prod)'), { code: 'INVALID_INPUT' });
  const reqs = parseFieldSelector('metadata.name=x,involvedObject.kind!=Pod');
  assert.ok(matchesFields({ metadata: { name: 'x' }, involvedObject: { kind: 'InferenceService' } }, reqs));
  assert.ok(!matchesFields({ metadata: { name: 'x' }, involvedObject: { kind: 'Pod' } }, reqs));
  assert.ok(matchesFields({}, parseFieldSelector('spec.nothing=')));
  assert.throws(() => parseFieldSelector('nonsense'), { code: 'INVALID_INPUT' });
});

test('parseListQuery reads watch, resourceVersion and timeoutSeconds', () => {
  const q = parseListQuery(new URLSearchParams('watch=1&resourceVersion=12&timeoutSeconds=5'));
  assert.equal(q.watch, true);
  assert.equal(q.resourceVersion, '12');
  assert.equal(q.timeoutSeconds, 5);
  assert.equal(parseListQuery(new URLSearchParams('watch=false')).watch, false);
  assert.throws(() => parseListQuery(new URLSearchParams('timeoutSeconds=-1')), { code: 'INVALID_INPUT' });
});

test('objectForTarget fills identity from the URL and refuses mismatches', () => {
  const kind = kindByName('InferenceService')!;
  const filled = objectForTarget({ metadata: { name: 'x' } }, { kind, namespace: 'default' });
  assert.equal(filled.apiVersion, 'serving.kserve.io/v1beta1');
  assert.equal(filled.kind, 'InferenceService');
  assert.equal(filled.metadata.namespace, 'default');
  assert.throws(
    () => objectForTarget({ metadata: { name: 'x', namespace: 'other' } }, { kind, namespace: 'default' }),
    {
      code: 'INVALID_INPUT',
      message: /namespace of the provided object \(other\) does not match/,
    },
  );
  assert.throws(() => objectForTarget({ kind: 'Secret', metadata: {} }, { kind, namespace: 'default' }), {
    message: /kind in the data \(Secret\)/,
  });
  assert.throws(() => objectForTarget({ apiVersion: 'v1', metadata: {} }, { kind, namespace: 'default' }), {
    message: /API version in the data \(v1\) does not match the expected API version \(serving.kserve.io\/v1beta1\)/,
  });
  assert.throws(() => objectForTarget({ metadata: { name: 'y' } }, { kind, namespace: 'default', name: 'x' }), {
    message: /name of the object \(y\) does not match the name on the URL \(x\)/,
  });
  assert.throws(() => objectForTarget([1], { kind, namespace: 'default' }), { code: 'INVALID_INPUT' });
});
