import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyJsonPatch } from '../../src/apiserver/json-patch.js';
import { mergePatch } from '../../src/apiserver/merge-patch.js';

test('mergePatch follows the RFC 7386 examples', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, want] of cases) assert.deepEqual(mergePatch(target, patch), want);
});

test('mergePatch does not modify its inputs', () => {
  const target = { spec: { a: 1 } };
  mergePatch(target, { spec: { a: 2 } });
  assert.deepEqual(target, { spec: { a: 1 } });
});

test('applyJsonPatch applies RFC 6902 operations in order', () => {
  const doc = { spec: { list: [1, 2], a: 'x' }, metadata: { labels: { 'a/b': '1' } } };
  const out = applyJsonPatch(doc, [
    { op: 'add', path: '/spec/list/1', value: 9 },
    { op: 'add', path: '/spec/list/-', value: 3 },
    { op: 'replace', path: '/spec/a', value: 'y' },
    { op: 'remove', path: '/metadata/labels/a~1b' },
    { op: 'copy', from: '/spec/a', path: '/spec/b' },
    { op: 'move', from: '/spec/b', path: '/spec/c' },
    { op: 'test', path: '/spec/c', value: 'y' },
  ]);
  assert.deepEqual(out, { spec: { list: [1, 9, 2, 3], a: 'y', c: 'y' }, metadata: { labels: {} } });
  assert.deepEqual(doc.spec.list, [1, 2]);
});

test('applyJsonPatch names the failing operation', () => {
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), {
    code: 'INVALID_MANIFEST',
    details: { path: '[0]' },
    message: /test failed/,
  });
  assert.throws(
    () =>
      applyJsonPatch({ a: 1 }, [
        { op: 'add', path: '/a', value: 1 },
        { op: 'remove', path: '/zz' },
      ]),
    {
      details: { path: '[1]' },
    },
  );
  assert.throws(() => applyJsonPatch({}, { op: 'add' }), { code: 'INVALID_INPUT' });
  assert.throws(() => applyJsonPatch({}, [{ op: 'frob', path: '/a' }]), { message: /unknown op "frob"/ });
});
