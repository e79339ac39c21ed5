// GJSON subset: the conditions KServe's tests and docs use, and gjson's documented examples, give gjson's answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gjsonExists, gjsonGet } from '../../src/graph/gjson.js';

// gjson's README document
const DOC = {
  name: { first: 'Tom', last: 'Anderson' },
  age: 37,
  children: ['Sara', 'Alex', 'Jack'],
  'fav.movie': 'Deer Hunter',
  friends: [
    { first: 'Dale', last: 'Murphy', age: 44, nets: ['ig', 'fb', 'tw'] },
    { first: 'Roger', last: 'Craig', age: 68, nets: ['fb', 'tw'] },
    { first: 'Jane', last: 'Murphy', age: 47, nets: ['ig', 'tw'] },
  ],
};

for (const [path, expected] of [
  ['name.last', 'Anderson'],
  ['age', 37],
  ['children', ['Sara', 'Alex', 'Jack']],
  ['children.#', 3],
  ['children.1', 'Alex'],
  ['child*.2', 'Jack'],
  ['c?ildren.0', 'Sara'],
  ['fav\\.movie', 'Deer Hunter'],
  ['friends.#.first', ['Dale', 'Roger', 'Jane']],
  ['friends.1.last', 'Craig'],
  ['friends.#(last=="Murphy").first', 'Dale'],
  ['friends.#(last=="Murphy")#.first', ['Dale', 'Jane']],
  ['friends.#(age>45)#.last', ['Craig', 'Murphy']],
  ['friends.#(first%"D*").last', 'Murphy'],
  ['friends.#(first!%"D*").last', 'Craig'],
  ['friends.#(nets.#(=="fb"))#.first', ['Dale', 'Roger']],
  ['children|@reverse', ['Jack', 'Alex', 'Sara']],
  ['children|@reverse|0', 'Jack'],
  ['@this.age', 37],
  ['[age,name.first]', [37, 'Tom']],
  ['{age,name.first}', { age: 37, first: 'Tom' }],
] as const) {
  test(`gjson.Get(doc, ${JSON.stringify(path)}) = ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(gjsonGet(DOC, path), expected);
  });
}

test('missing paths, wrong types and unsupported syntax do not exist', () => {
  for (const path of [
    '',
    'nope',
    'name.middle',
    'age.x',
    'children.9',
    'friends.#(last=="Nobody")',
    'name.#',
    '@nosuch',
    'a..b',
  ]) {
    assert.equal(gjsonExists(DOC, path), false, path);
  }
});

test("KServe's e2e conditions: [@this].#(decision_picker==ERROR) matches the ERROR picker only", () => {
  const cond = '[@this].#(decision_picker==ERROR)';
  assert.equal(gjsonExists({ decision_picker: 'ERROR', key1: { name: 'abc' } }, cond), true);
  assert.equal(gjsonExists({ decision_picker: 'SUCCESS', key1: { name: 'abc' } }, cond), false);
  assert.equal(gjsonExists({ decision_picker: 'SUCCESS' }, '[@this].#(decision_picker==SUCCESS)'), true);
});

test('KServe\'s unit conditions: instances.#(modelId=="2") and predictions.#(label=="dog")', () => {
  assert.equal(gjsonExists({ instances: [{ modelId: '2' }] }, 'instances.#(modelId=="2")'), true);
  assert.equal(gjsonExists({ instances: [{ modelId: '2' }] }, 'instances.#(modelId=="1")'), false);
  assert.equal(
    gjsonExists({ predictions: [{ label: 'dog', score: [0.8, 0.2] }] }, 'predictions.#(label=="dog")'),
    true,
  );
  assert.equal(gjsonExists({ predictions: [{ label: 'cat' }] }, 'predictions.#(label=="dog")'), false);
});

test('number and boolean queries compare as gjson does', () => {
  const doc = {
    xs: [
      { n: 1.5, ok: true },
      { n: 3, ok: false },
    ],
  };
  assert.deepEqual(gjsonGet(doc, 'xs.#(n>=3).ok'), false);
  assert.deepEqual(gjsonGet(doc, 'xs.#(n<2).n'), 1.5);
  assert.deepEqual(gjsonGet(doc, 'xs.#(ok==true).n'), 1.5);
  assert.deepEqual(gjsonGet(doc, 'xs.#(ok!=true).n'), 3);
  assert.deepEqual(gjsonGet(doc, 'xs.#(n)#.n'), [1.5, 3]);
});
