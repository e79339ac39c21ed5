// End to end through `inferd model-server`: a scikit-learn model the native runtime does not implement is
// served by the Python fallback over HTTP; with INFERD_PYTHON=off the server exits saying which class is missing
// and how to get it served.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertAllClose, SAME_LIBRARY } from '../../support/numeric.js';
import { caseInput, modelDir, readExpected, requirePython } from './helpers.js';
import { postJson, startModelServer } from './model-server.js';

const DIR = modelDir('qda_iris');
const flags = (name: string) => [
  '--model_name',
  name,
  '--model_dir',
  DIR,
  '--http_port',
  '0',
  '--grpc_port',
  '0',
  '--http_host',
  '127.0.0.1',
];

test('an unsupported estimator is served over V1 and V2 by the Python fallback', async (t) => {
  const python = requirePython(t);
  if (!python) return;
  const server = await startModelServer(flags('qda'), { env: { INFERD_PYTHON: python } });
  t.after(() => server.stop());
  assert.ok(server.listening, server.output());
  const expected = readExpected(DIR);
  const rows = caseInput(expected).inputs[0]!;
  const instances: number[][] = [];
  const x = rows.data as Float64Array;
  for (let r = 0; r < rows.shape[0]!; r++) instances.push(Array.from(x.subarray(r * 4, r * 4 + 4)));
  const url = `http://127.0.0.1:${server.listening.port}`;
  const v1 = await postJson(`${url}/v1/models/qda:predict`, { instances });
  assert.equal(v1.status, 200, v1.body);
  assert.deepEqual(JSON.parse(v1.body), { predictions: expected.predict });
  const v2 = await postJson(`${url}/v2/models/qda/infer`, {
    inputs: [{ name: 'input-0', datatype: 'FP64', shape: [2, 4], data: instances.slice(0, 2).flat() }],
    parameters: { predict_proba: true },
  });
  assert.equal(v2.status, 200, v2.body);
  const outputs = (JSON.parse(v2.body) as { outputs: { name: string; datatype: string; data: number[] }[] }).outputs;
  assert.equal(outputs[0]!.name, 'output-0');
  assert.equal(outputs[0]!.datatype, 'FP64');
  // QDA's probabilities go through LAPACK: this machine's, not the generator's, so close rather than equal.
  assertAllClose(outputs[0]!.data, expected.predict_proba!.slice(0, 2).flat(), SAME_LIBRARY, 'QDA predict_proba');
  assert.equal(await server.stop(), 0);
});

test('EXPECTED FAILURE - with INFERD_PYTHON=off the server exits 1 naming the class and the way out', async () => {
  const server = await startModelServer(flags('qda'), { env: { INFERD_PYTHON: 'off' } });
  assert.equal(server.listening, null, server.output());
  assert.equal(server.exitCode, 1);
  const out = server.output();
  assert.match(out, /"reason":"UnsupportedModel"/);
  assert.match(out, /does not implement 'sklearn\.discriminant_analysis\.QuadraticDiscriminantAnalysis'/);
  assert.match(out, /the Python fallback is off/);
});
