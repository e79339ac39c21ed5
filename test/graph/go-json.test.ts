// Go's json.Marshal of a decoded document: what an Ensemble answers byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goMarshal, goUnmarshalObject } from '../../src/graph/go-json.js';

test('object keys sorted, HTML characters and line separators escaped, numbers in shortest form', () => {
  const value = JSON.parse('{"b":1,"a":{"z":[1.0,2.5,1e21,1e-7],"y":"<a&b>\\u2028\\n\\u0001"}}');
  assert.equal(goMarshal(value), '{"a":{"y":"\\u003ca\\u0026b\\u003e\\u2028\\n\\u0001","z":[1,2.5,1e+21,1e-7]},"b":1}');
});

test("a body that is not a JSON object gives Go's Unmarshal error text", () => {
  assert.deepEqual(goUnmarshalObject(Buffer.from('[1]')), {
    ok: false,
    error: 'json: cannot unmarshal array into Go value of type map[string]interface {}',
  });
  assert.deepEqual(goUnmarshalObject(Buffer.from('')), { ok: false, error: 'unexpected end of JSON input' });
  assert.deepEqual(goUnmarshalObject(Buffer.from('hello')), {
    ok: false,
    error: "invalid character 'h' looking for beginning of value",
  });
  assert.deepEqual(goUnmarshalObject(Buffer.from('null')), { ok: true, value: null });
});
