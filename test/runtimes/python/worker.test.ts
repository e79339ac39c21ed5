// The worker's protocol and life: frames and tensors round-trip; a request past its timeout gets TIMEOUT and the
// worker is replaced; a crash fails what was in flight and the next request restarts it; unload stops it; a
// fallback that is off or cannot find Python says what is missing and how to fix it.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InferdError } from '../../../src/errors.js';
import type { Tensor } from '../../../src/runtimes/model.js';
import { PythonModel, PythonWorker, WorkerStartError, withPythonFallback } from '../../../src/runtimes/python/index.js';
import {
  decodeTensors,
  encodeFrame,
  encodeTensors,
  FrameDecoder,
  MAX_HEADER_BYTES,
} from '../../../src/runtimes/python/worker-protocol.js';
import { sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { caseInput, modelDir, readExpected, requirePython } from './helpers.js';

const fakeWorker = join(fileURLToPath(new URL('.', import.meta.url)), 'fake-worker.js');

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function fakeCommand(...flags: string[]) {
  return { command: process.execPath, args: [fakeWorker, ...flags], env: { PATH: process.env.PATH ?? '' } };
}

async function fakeModel(requestTimeoutMs = 10_000): Promise<PythonModel> {
  return PythonModel.create({
    name: 'echo',
    modelPath: '/dev/null',
    predictProba: false,
    startWorker: () => PythonWorker.start(fakeCommand(), { startTimeoutMs: 20_000 }),
    loadTimeoutMs: 20_000,
    requestTimeoutMs,
  });
}

const tensor = (name: string, values: number[]): Tensor => ({
  name,
  datatype: 'FP64',
  shape: [1, values.length],
  data: Float64Array.from(values),
});

// ---------------------------------------------------------------------------------------------------------------
// Protocol

test('frames survive being cut anywhere and arriving several at once', () => {
  const bytes = Buffer.concat([
    ...encodeFrame({ id: 1, op: 'a' }, [Buffer.from('xyz')]),
    ...encodeFrame({ id: 2, op: 'b', text: 'é✓' }),
  ]);
  for (const step of [1, 3, 7, bytes.length]) {
    const decoder = new FrameDecoder();
    const frames = [];
    for (let i = 0; i < bytes.length; i += step) frames.push(...decoder.push(bytes.subarray(i, i + step)));
    assert.deepEqual(
      frames.map((f) => [f.header, f.body.toString()]),
      [
        [{ id: 1, op: 'a' }, 'xyz'],
        [{ id: 2, op: 'b', text: 'é✓' }, ''],
      ],
      `step ${step}`,
    );
  }
});

test('BAD FRAME - a header over the limit is refused, not buffered', () => {
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(MAX_HEADER_BYTES + 1, 0);
  assert.throws(() => new FrameDecoder().push(prefix), /over the protocol's limits/);
});

test('tensors round-trip in the native runtime conventions', () => {
  const inputs: Tensor[] = [
    { name: 'f64', datatype: 'FP64', shape: [2], data: new Float64Array([1.5, Number.NaN]) },
    { name: 'f32', datatype: 'FP32', shape: [1], data: new Float32Array([0.1]) },
    { name: 'i64', datatype: 'INT64', shape: [3], data: [1, -2, 3] },
    { name: 'mixed', datatype: 'FP64', shape: [3], data: [1, null, 2.5] as unknown as number[] },
    { name: 'bool', datatype: 'BOOL', shape: [2], data: [true, false] },
    { name: 'text', datatype: 'BYTES', shape: [2], data: ['a', 'żółw'] },
    { name: 'raw', datatype: 'BYTES', shape: [1], data: [Buffer.from([0, 255])] },
  ];
  const { tensors, chunks } = encodeTensors(inputs);
  assert.deepEqual(
    tensors.map((t) => [t.name, t.datatype, t.elements]),
    [
      ['f64', 'FP64', undefined],
      ['f32', 'FP32', undefined],
      ['i64', 'INT64', undefined],
      ['mixed', 'FP64', undefined],
      ['bool', 'BOOL', undefined],
      ['text', 'BYTES', 'str'],
      ['raw', 'BYTES', 'bytes'],
    ],
  );
  const back = decodeTensors(tensors, Buffer.concat(chunks));
  assert.deepEqual(Array.from(back[0]!.data as Float64Array), [1.5, Number.NaN]);
  assert.ok(back[1]!.data instanceof Float32Array);
  assert.deepEqual(back[2]!.data, [1, -2, 3]); // integers as plain numbers: the server writes JSON integers
  assert.deepEqual(Array.from(back[3]!.data as Float64Array), [1, Number.NaN, 2.5]);
  assert.deepEqual(back[4]!.data, [true, false]);
  assert.deepEqual(back[5]!.data, ['a', 'żółw']);
  assert.deepEqual(back[6]!.data, [Buffer.from([0, 255])]);
});

// ---------------------------------------------------------------------------------------------------------------
// Worker life, against a fake worker (no Python needed)

test('a request past its timeout gets TIMEOUT; the worker is killed and the next request gets a new one', async () => {
  const model = await fakeModel(300);
  try {
    const first = model.workerPid!;
    const [echo] = await model.predict([tensor('x', [1, 2])]);
    assert.deepEqual(Array.from(echo!.data as Float64Array), [1, 2]);
    const hung = model.predict([tensor('hang', [1])]);
    const behind = model.predict([tensor('x', [3])]); // queued behind the hung one in the same worker
    await assert.rejects(hung, { code: 'TIMEOUT' });
    await assert.rejects(behind, { code: 'MODEL_NOT_READY', message: /restarted after another request timed out/ });
    const [again] = await model.predict([tensor('x', [4])]);
    assert.deepEqual(Array.from(again!.data as Float64Array), [4]);
    assert.notEqual(model.workerPid, first);
    assert.equal(isRunning(first), false);
  } finally {
    await model.unload();
  }
});

test('a crash fails the request in flight with the worker last words; the next request restarts it', async () => {
  const model = await fakeModel();
  try {
    const first = model.workerPid!;
    await assert.rejects(model.predict([tensor('crash', [1])]), (err: InferdError) => {
      assert.equal(err.code, 'INTERNAL');
      assert.match(err.message, /exited \(code 7\)/);
      assert.match(err.message, /crashing as asked/);
      return true;
    });
    const [echo] = await model.predict([tensor('x', [5])]);
    assert.deepEqual(Array.from(echo!.data as Float64Array), [5]);
    assert.notEqual(model.workerPid, first);
  } finally {
    await model.unload();
  }
});

test('a worker that breaks the protocol is killed and replaced; an error reply keeps it', async () => {
  const model = await fakeModel();
  try {
    const first = model.workerPid!;
    await assert.rejects(model.predict([tensor('fail', [1])]), {
      code: 'INVALID_INPUT',
      message: 'bad input, as asked',
    });
    assert.equal(model.workerPid, first);
    await assert.rejects(model.predict([tensor('garbage', [1])]), { code: 'INTERNAL', message: /broke the protocol/ });
    const [echo] = await model.predict([tensor('x', [6])]);
    assert.deepEqual(Array.from(echo!.data as Float64Array), [6]);
    assert.notEqual(model.workerPid, first);
  } finally {
    await model.unload();
  }
});

test('unload stops the worker; the model answers MODEL_NOT_READY afterwards', async () => {
  const model = await fakeModel();
  const pid = model.workerPid!;
  assert.ok(isRunning(pid));
  await model.unload();
  assert.equal(isRunning(pid), false);
  await assert.rejects(model.predict([tensor('x', [1])]), { code: 'MODEL_NOT_READY' });
});

test('an aborted request is rejected at once; the worker keeps serving', async () => {
  const model = await fakeModel();
  try {
    const controller = new AbortController();
    const hung = model.predict([tensor('hang', [1])], { signal: controller.signal });
    controller.abort(new InferdError('TIMEOUT', 'client went away'));
    await assert.rejects(hung, { message: 'client went away' });
  } finally {
    await model.unload();
  }
});

test('EXPECTED FAILURE - a Python without scikit-learn, or no Python at all, cannot start a worker', async () => {
  await assert.rejects(PythonWorker.start(fakeCommand('--no-sklearn'), { startTimeoutMs: 20_000 }), (err: Error) => {
    assert.ok(err instanceof WorkerStartError);
    assert.match(err.message, /cannot serve scikit-learn models: ModuleNotFoundError: No module named 'sklearn'/);
    return true;
  });
  const missing = { command: '/nonexistent/python3', args: [], env: {} };
  await assert.rejects(PythonWorker.start(missing, { startTimeoutMs: 20_000 }), {
    message: '/nonexistent/python3 not found',
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Turned off, not found

const unsupportedDir = modelDir('one_class_svm_iris');

test('EXPECTED FAILURE - with the fallback off, UNSUPPORTED names the class and says how to get it served', async () => {
  for (const [options, env] of [
    [{ python: 'off' }, {}],
    [{ python: '/usr/bin/python3' }, { INFERD_PYTHON: 'off' }],
  ] as const) {
    const runtime = withPythonFallback(sklearnRuntime, options);
    await assert.rejects(runtime.load({ name: 'm', modelDir: unsupportedDir, env }), (err: InferdError) => {
      assert.equal(err.code, 'UNSUPPORTED');
      assert.equal(err.details.reason, 'UnsupportedModel');
      assert.equal(err.details.python, 'off');
      assert.deepEqual(err.details.classNames, ['sklearn.svm._classes.OneClassSVM']);
      assert.match(err.message, /does not implement 'sklearn\.svm\._classes\.OneClassSVM'/);
      assert.match(err.message, /the Python fallback is off/);
      assert.match(err.message, /apt-get install python3-sklearn/);
      assert.match(err.message, /--python PATH \(or set INFERD_PYTHON\) to a Python that has scikit-learn/);
      return true;
    });
  }
});

test('EXPECTED FAILURE - without a usable Python, UNSUPPORTED lists what was tried', async () => {
  const runtime = withPythonFallback(sklearnRuntime, { candidates: ['/nonexistent/python3', '/bin/false'] });
  await assert.rejects(runtime.load({ name: 'm', modelDir: unsupportedDir }), (err: InferdError) => {
    assert.equal(err.code, 'UNSUPPORTED');
    assert.equal(err.details.python, 'unavailable');
    assert.match(
      err.message,
      /, and no Python fallback could be started: tried \/nonexistent\/python3 not found; \/bin\/false exited \(code 1\)/,
    );
    return true;
  });
  const configured = withPythonFallback(sklearnRuntime);
  await assert.rejects(configured.load({ name: 'm', modelDir: unsupportedDir, env: { INFERD_PYTHON: '/bin/false' } }), {
    code: 'UNSUPPORTED',
    message: /INFERD_PYTHON=\/bin\/false: \/bin\/false exited/,
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The real worker

test('a real worker killed while serving fails the request in flight; the next one reloads the model', async (t) => {
  const python = requirePython(t);
  if (!python) return;
  const runtime = withPythonFallback(sklearnRuntime, { candidates: ['/nonexistent/python3', python] });
  const expected = readExpected(unsupportedDir);
  const { inputs } = caseInput(expected);
  const model = (await runtime.load({ name: 'ocsvm', modelDir: unsupportedDir })) as PythonModel;
  try {
    const pid = model.workerPid!;
    assert.equal(model.info.worker.executable, python);
    const inFlight = model.predict(inputs);
    process.kill(pid, 'SIGKILL');
    await assert.rejects(inFlight, { code: 'INTERNAL', message: /exited \(signal SIGKILL\)/ });
    const [out] = await model.predict(inputs);
    assert.deepEqual(Array.from(out!.data as ArrayLike<unknown>), expected.predict);
    assert.notEqual(model.workerPid, pid);
    const restarted = model.workerPid!;
    await model.unload();
    assert.equal(isRunning(restarted), false);
  } finally {
    await model.unload();
  }
});

test('the worker exits when its parent closes the pipe (no orphans)', async (t) => {
  const python = requirePython(t);
  if (!python) return;
  const model = (await withPythonFallback(sklearnRuntime, { python }).load({
    name: 'ocsvm',
    modelDir: unsupportedDir,
  })) as PythonModel;
  const pid = model.workerPid!;
  const { spawn } = await import('node:child_process');
  // stdin closed by the parent is what a dying replica does: the worker reads EOF and exits 0.
  const probe = spawn('sh', ['-c', `while kill -0 ${pid} 2>/dev/null; do sleep 0.05; done`]);
  await model.unload();
  await once(probe, 'exit');
  assert.equal(isRunning(pid), false);
});
