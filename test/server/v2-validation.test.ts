// V2 request bodies checked like FastAPI + pydantic 1 (KServe 0.12.1): 422 with every problem listed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestValidationError, validateInferenceRequest } from '../../src/server/rest/v2-request.js';
import { postJson, request, startServer } from './helpers.js';

function errorsOf(body: unknown) {
  try {
    validateInferenceRequest(body);
  } catch (err) {
    assert.ok(err instanceof RequestValidationError);
    return err.errors;
  }
  assert.fail('expected a validation error');
}

const missing = (...loc: (string | number)[]) => ({
  loc: ['body', ...loc],
  msg: 'field required',
  type: 'value_error.missing',
});

test('missing name, shape and data are reported like the missing datatype of the capture', () => {
  assert.deepEqual(errorsOf({ inputs: [{ datatype: 'FP32' }] }), [
    missing('inputs', 0, 'name'),
    missing('inputs', 0, 'shape'),
    missing('inputs', 0, 'data'),
  ]);
  assert.deepEqual(errorsOf({}), [missing('inputs')]);
  assert.deepEqual(errorsOf(undefined), [{ loc: ['body'], msg: 'field required', type: 'value_error.missing' }]);
  assert.deepEqual(errorsOf(null), [{ loc: ['body'], msg: 'field required', type: 'value_error.missing' }]);
  assert.deepEqual(errorsOf([1]), [{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }]);
});

test('wrong types get pydantic 1 messages at their JSON path', () => {
  assert.deepEqual(
    errorsOf({
      id: {},
      parameters: 5,
      inputs: [{ name: 'a', shape: [1, 'x', 2.5, null], datatype: 'FP32', data: 3 }, 7],
      outputs: [{}],
    }),
    [
      { loc: ['body', 'id'], msg: 'str type expected', type: 'type_error.str' },
      { loc: ['body', 'parameters'], msg: 'value is not a valid dict', type: 'type_error.dict' },
      { loc: ['body', 'inputs', 0, 'shape', 1], msg: 'value is not a valid integer', type: 'type_error.integer' },
      { loc: ['body', 'inputs', 0, 'shape', 2], msg: 'value is not a valid integer', type: 'type_error.integer' },
      {
        loc: ['body', 'inputs', 0, 'shape', 3],
        msg: 'none is not an allowed value',
        type: 'type_error.none.not_allowed',
      },
      { loc: ['body', 'inputs', 0, 'data'], msg: 'value is not a valid list', type: 'type_error.list' },
      { loc: ['body', 'inputs', 1], msg: 'value is not a valid dict', type: 'type_error.dict' },
      missing('outputs', 0, 'name'),
    ],
  );
});

test('a parameter value that is no scalar fails every member of the Union, as pydantic 1 lists them', () => {
  const at = ['body', 'inputs', 0, 'parameters', 'k'];
  assert.deepEqual(
    errorsOf({ inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: [1], parameters: { k: [] } }] }),
    [
      { loc: at, msg: 'value is not a valid float', type: 'type_error.float' },
      { loc: at, msg: 'value is not a valid integer', type: 'type_error.integer' },
      { loc: at, msg: 'value is not a valid boolean', type: 'type_error.bool' },
      { loc: at, msg: 'str type expected', type: 'type_error.str' },
    ],
  );
});

test('numbers in string fields are coerced as pydantic 1 does', () => {
  const r = validateInferenceRequest({ id: 42, inputs: [{ name: 7, shape: [1], datatype: 'FP32', data: [1] }] });
  assert.equal(r.id, '42');
  assert.equal(r.inputs[0]!.name, '7');
});

test('422 over HTTP: empty body, and validation before the version and model checks', async (t) => {
  const s = await startServer(t);
  const empty = await request(s, 'POST', '/v2/models/sklearn-iris/infer', '', { 'content-type': 'application/json' });
  assert.equal(empty.status, 422);
  assert.equal(empty.body, '{"detail":[{"loc":["body"],"msg":"field required","type":"value_error.missing"}]}');
  const unknownModel = await postJson(s, '/v2/models/nosuch/infer', '{"foo":1}');
  assert.equal(unknownModel.status, 422);
  const versioned = await postJson(s, '/v2/models/sklearn-iris/versions/1/infer', '{"foo":1}');
  assert.equal(versioned.status, 422);
});

test('the 422 jsondecode ctx echoes at most 64 KiB of the document', async (t) => {
  const s = await startServer(t);
  const big = `{"inputs":[${'1,'.repeat(40_000)}`;
  const r = await postJson(s, '/v2/models/sklearn-iris/infer', big);
  assert.equal(r.status, 422);
  const detail = JSON.parse(r.body).detail[0];
  assert.equal(detail.type, 'value_error.jsondecode');
  assert.equal(detail.ctx.doc.length, 64 * 1024);
  assert.equal(detail.loc[1], big.length);
});
