// Request bodies that are not UTF-8 (issue 10, L8): JSON text must be UTF-8; Python's json refuses such bytes
// (UnicodeDecodeError), so KServe answers 400. inferd used to replace them with U+FFFD and run the model.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeBadUtf8, JsonEncodingError, parseJsonBody } from '../../src/server/json-body.js';
import { fnModel, request, startServer } from './helpers.js';

test("CPython's words for the first bad byte", () => {
  // Each expected text is what `bytes.decode('utf-8')` raises in CPython 3.11.
  const cases: [Buffer, string][] = [
    [Buffer.from('{"a":"\xff"}', 'latin1'), "'utf-8' codec can't decode byte 0xff in position 6: invalid start byte"],
    [Buffer.from('ab\xe2\x82', 'latin1'), "'utf-8' codec can't decode bytes in position 2-3: unexpected end of data"],
    [
      Buffer.from('ab\xe2\x82x', 'latin1'),
      "'utf-8' codec can't decode bytes in position 2-3: invalid continuation byte",
    ],
    [
      Buffer.from('ab\xed\xa0\x80', 'latin1'),
      "'utf-8' codec can't decode byte 0xed in position 2: invalid continuation byte",
    ],
    [Buffer.from('\xc0\x80', 'latin1'), "'utf-8' codec can't decode byte 0xc0 in position 0: invalid start byte"],
  ];
  for (const [bytes, words] of cases) {
    assert.equal(describeBadUtf8(bytes), words);
    assert.throws(
      () => parseJsonBody(bytes),
      (err: Error) => err instanceof JsonEncodingError && err.message === words,
    );
  }
  // Real UTF-8 (and a BOM) still parses, U+FFFD itself included.
  assert.deepEqual(parseJsonBody(Buffer.from('\ufeff{"a":"é😀\ufffd"}')), { a: 'é😀\ufffd' });
});

test('BAD CALL - V1 and V2 bodies with invalid UTF-8 get 400 naming the byte; the model never runs', async (t) => {
  let calls = 0;
  const echo = fnModel('echo', (inputs) => {
    calls++;
    return inputs;
  });
  const s = await startServer(t, [echo]);
  const bad = (json: string) => Buffer.from(json, 'latin1');
  const v1 = await request(s, 'POST', '/v1/models/echo:predict', bad('{"instances":["\xff\xfe"]}'), {
    'content-type': 'application/json',
  });
  assert.equal(v1.status, 400);
  assert.equal(
    v1.body,
    `{"error":"Unrecognized request format: 'utf-8' codec can't decode byte 0xff in position 15: invalid start byte"}`,
  );
  const v2body = '{"inputs":[{"name":"x","shape":[1],"datatype":"BYTES","data":["\xc3("]}]}';
  const v2 = await request(s, 'POST', '/v2/models/echo/infer', bad(v2body), { 'content-type': 'application/json' });
  assert.equal(v2.status, 400);
  assert.match(
    v2.body,
    /Unrecognized request format: 'utf-8' codec can't decode byte 0xc3 in position \d+: invalid continuation byte/,
  );
  assert.equal(calls, 0);
});
