// CPython's json decoder wording and positions, which KServe's captured 400/422 bodies carry.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { locateJsonError } from '../../src/server/json-decode-error.js';

const cases: [string, string][] = [
  ['{"instances": [[6.8,2.8', "Expecting ',' delimiter: line 1 column 24 (char 23)"],
  [' ', 'Expecting value: line 1 column 2 (char 1)'],
  ['', 'Expecting value: line 1 column 1 (char 0)'],
  ['{"inputs":[{"name":"input-0"', "Expecting ',' delimiter: line 1 column 29 (char 28)"],
  ['{', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
  ['{"a":1,}', 'Expecting property name enclosed in double quotes: line 1 column 8 (char 7)'],
  ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
  ['[1,]', 'Expecting value: line 1 column 4 (char 3)'],
  ['[1 2]', "Expecting ',' delimiter: line 1 column 4 (char 3)"],
  ['{"a":1} x', 'Extra data: line 1 column 9 (char 8)'],
  ['[01]', "Expecting ',' delimiter: line 1 column 3 (char 2)"],
  ['[NaN]', 'Expecting value: line 1 column 2 (char 1)'],
  ['[-]', 'Expecting value: line 1 column 2 (char 1)'],
  ['"abc', 'Unterminated string starting at: line 1 column 1 (char 0)'],
  ['"a\nb"', 'Invalid control character at: line 1 column 3 (char 2)'],
  ['"a\\qb"', 'Invalid \\escape: line 1 column 3 (char 2)'],
  ['"\\u12G4"', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
  ['{\n  "a": [1,\n  2,,]}', 'Expecting value: line 3 column 5 (char 17)'],
  ['["😀", x]', 'Expecting value: line 1 column 7 (char 6)'],
  ['[1e]', "Expecting ',' delimiter: line 1 column 3 (char 2)"],
  ['tru', 'Expecting value: line 1 column 1 (char 0)'],
  ['"\\u12"', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
  ['"\\u1234', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
  ['"ab\\', 'Unterminated string starting at: line 1 column 1 (char 0)'],
];

test('reports the first error in CPython json wording, line, column and code-point offset', () => {
  for (const [text, message] of cases) {
    assert.equal(locateJsonError(text)?.message, message, JSON.stringify(text));
  }
});

test('accepts what CPython accepts', () => {
  for (const ok of ['{}', ' [1, 2.5e-3, -0, "x\\u00e9\\n", true, false, null] ', '{"a":{"b":[[]]}}', '1E+2']) {
    assert.equal(locateJsonError(ok), undefined, ok);
  }
});

test('gives the fields FastAPI puts in a 422 ctx', () => {
  assert.deepEqual(locateJsonError('{"inputs":[{"name":"input-0"'), {
    msg: "Expecting ',' delimiter",
    pos: 28,
    lineno: 1,
    colno: 29,
    message: "Expecting ',' delimiter: line 1 column 29 (char 28)",
  });
});
