import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseManifests } from '../../src/api/index.js';
import { throwsAt } from './helpers.js';
import { SEED_002_SA, SEED_004_OLD_STYLE } from './seed-manifests.js';

describe('parseManifests', () => {
  test('multi-document YAML, empty documents skipped', () => {
    const text = `---\n# nothing here\n---\n${SEED_002_SA}---\n---\n${SEED_004_OLD_STYLE}`;
    const list = parseManifests(text, 'all.yaml');
    assert.deepEqual(
      list.map((r) => r.kind),
      ['Secret', 'ServiceAccount', 'InferenceService'],
    );
    assert.equal(list[2]!.metadata.name, 'sklearn-iris');
  });

  test('empty text gives no resources', () => {
    assert.deepEqual(parseManifests(''), []);
    assert.deepEqual(parseManifests('# only a comment\n---\n'), []);
  });

  test('JSON object, JSON array and kind: List', () => {
    const obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kserve-test' } };
    assert.equal(parseManifests(JSON.stringify(obj))[0]!.metadata.name, 'kserve-test');
    assert.equal(parseManifests(JSON.stringify([obj, obj])).length, 2);
    const list = { apiVersion: 'v1', kind: 'List', items: [obj, { ...obj, metadata: { name: 'b' } }] };
    assert.deepEqual(
      parseManifests(JSON.stringify(list)).map((r) => r.metadata.name),
      ['kserve-test', 'b'],
    );
    // a YAML List too, as kubectl takes it
    assert.equal(parseManifests(`apiVersion: v1\nkind: List\nitems:\n- ${JSON.stringify(obj)}\n`).length, 1);
  });

  test('BAD CALL - malformed YAML gives source:line:column', () => {
    const text = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n    bad: [1, 2\n';
    const err = throwsAt(() => parseManifests(text, 'sa.yaml'), '');
    assert.match(err.message, /^sa\.yaml:\d+:\d+: \S/);
    assert.equal(typeof err.details['line'], 'number');
    assert.equal(typeof err.details['column'], 'number');
    assert.ok(!err.message.includes('\n'), 'one line');
  });

  test('BAD CALL - a tab-indented or duplicate-key document names its line', () => {
    const err = throwsAt(() => parseManifests('kind: a\nkind: b\n', 'dup.yaml'), '');
    assert.match(err.message, /^dup\.yaml:2:1: Map keys must be unique/);
    assert.equal(err.details['line'], 2);
    assert.equal(err.details['column'], 1);
  });

  test('BAD CALL - the error in the second document has the right line', () => {
    const text = `${SEED_004_OLD_STYLE}---\napiVersion: v1\nkind: Secret\nmetadata: {name: x\n`;
    const err = throwsAt(() => parseManifests(text, 'two.yaml'), '');
    assert.equal(err.details['document'], 2);
    assert.ok((err.details['line'] as number) >= 11, err.message);
  });

  test('BAD CALL - malformed JSON gives line:column', () => {
    const err = throwsAt(() => parseManifests('{\n  "apiVersion": "v1",\n  "kind" "Secret"\n}', 'x.json'), '');
    assert.match(err.message, /^x\.json:3:\d+: /);
  });

  test('BAD CALL - missing apiVersion, kind, metadata.name', () => {
    throwsAt(
      () => parseManifests('kind: Secret\nmetadata: {name: a}\n'),
      'apiVersion',
      /<input>:1:1: document 1: apiVersion: required/,
    );
    throwsAt(() => parseManifests('apiVersion: v1\nmetadata: {name: a}\n'), 'kind', /kind: required/);
    throwsAt(() => parseManifests('apiVersion: v1\nkind: Secret\n'), 'metadata', /metadata: required/);
    throwsAt(() => parseManifests('apiVersion: v1\nkind: Secret\nmetadata: {}\n'), 'metadata.name', /required/);
    throwsAt(
      () => parseManifests('apiVersion: v1\nkind: Secret\nmetadata: {generateName: a-}\n'),
      'metadata.name',
      /generateName is not supported/,
    );
    throwsAt(
      () => parseManifests('apiVersion: 1\nkind: Secret\nmetadata: {name: a}\n'),
      'apiVersion',
      /must be a string/,
    );
  });

  test('BAD CALL - a document that is not an object; a List item names its index', () => {
    throwsAt(
      () => parseManifests('just text\n', 'a.yaml'),
      '',
      /a\.yaml:1:1: document 1: a manifest must be an object/,
    );
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Secret', metadata: {} }] };
    throwsAt(() => parseManifests(JSON.stringify(list)), 'items[0].metadata.name', /items\[0\]/);
  });

  test('BAD CALL - YAML alias bombs are refused', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(
        `${next}: &${next} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`,
      );
    }
    throwsAt(() => parseManifests(lines.join('\n'), 'bomb.yaml'), '', /^bomb\.yaml:/);
  });
});
