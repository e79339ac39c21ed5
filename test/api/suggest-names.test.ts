import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isDns1035Label, isDns1123Label, isDns1123Subdomain } from '../../src/api/names.js';
import { editDistance, suggest } from '../../src/api/suggest.js';

describe('suggest', () => {
  test('edit distance counts an adjacent swap as one edit', () => {
    assert.equal(editDistance('sklearn', 'sklearn'), 0);
    assert.equal(editDistance('sklean', 'sklearn'), 1);
    assert.equal(editDistance('skleran', 'sklearn'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  test('closest candidate, case-insensitive match, truncated names; nothing when far', () => {
    assert.equal(suggest('sklean', ['model', 'sklearn', 'xgboost']), 'sklearn');
    assert.equal(suggest('StorageURI', ['storageUri', 'storage']), 'storageUri');
    assert.equal(suggest('kserve-sklearn', ['kserve-sklearnserver', 'kserve-mlserver']), 'kserve-sklearnserver');
    assert.equal(suggest('tensorflow', ['sklearn', 'xgboost']), undefined);
    assert.equal(suggest('ab', ['xy']), undefined);
  });
});

describe('names', () => {
  test('DNS-1035 label, DNS-1123 label and subdomain', () => {
    assert.ok(isDns1035Label('sklearn-iris'));
    assert.ok(!isDns1035Label('1-iris'));
    assert.ok(!isDns1035Label('Sklearn_Iris'));
    assert.ok(isDns1123Label('1-iris'));
    assert.ok(!isDns1123Label('a.b'));
    assert.ok(isDns1123Subdomain('a.b-c'));
    assert.ok(!isDns1123Subdomain('-a'));
    assert.ok(!isDns1123Label('a'.repeat(64)));
  });
});
