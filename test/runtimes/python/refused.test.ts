// Malicious pickles (os.system, builtins.eval, subprocess.Popen, in plain pickles and inside joblib files, plus
// names inside scikit-learn and numpy that run code or write files) are refused by the native reader, never reach
// Python through the fallback, and are refused by the worker too when fed to it directly. No payload ever runs:
// each would create a marker file under /tmp.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { InferdError } from '../../../src/errors.js';
import {
  locateWorkerScript,
  PythonWorker,
  withPythonFallback,
  workerCommand,
  workerEnv,
} from '../../../src/runtimes/python/index.js';
import { sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { clearMarkers, markersPresent, refusedCases, requirePython } from './helpers.js';

before(clearMarkers);
after(() => {
  assert.deepEqual(markersPresent(), [], 'a payload ran');
});

/** Names the acceptance lists, and where they hide. */
const ACCEPTANCE_CASES = [
  'os-system',
  'builtins-eval',
  'subprocess-popen',
  'joblib-os-system',
  'joblib-object-array-popen',
  'joblib-zlib-eval',
  'unsupported-then-popen',
];

test('the refused fixtures include every payload the acceptance names, plain and in joblib files', () => {
  const names = refusedCases().map((c) => c.name);
  for (const name of ACCEPTANCE_CASES) assert.ok(names.includes(name), name);
});

/** What the native reader answers for each file: it never runs pickle code, but names under sklearn.* it does not
 * know are "recognised, not implemented" (UNSUPPORTED) rather than unsafe, so those reach the worker's rules. */
async function nativeVerdicts(): Promise<Map<string, InferdError>> {
  const verdicts = new Map<string, InferdError>();
  for (const { name, dir } of refusedCases()) {
    const err = await sklearnRuntime.load({ name, modelDir: dir }).then(
      () => assert.fail(`${name}: the native runtime loaded it`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof InferdError, `${name}: ${err}`);
    verdicts.set(name, err);
  }
  return verdicts;
}

test('the native reader refuses every malicious pickle; os.system, eval and Popen as UNSAFE_MODEL', async () => {
  const verdicts = await nativeVerdicts();
  for (const name of ACCEPTANCE_CASES) {
    assert.equal(verdicts.get(name)!.code, 'UNSAFE_MODEL', `${name}: ${verdicts.get(name)!.message}`);
  }
  for (const [name, err] of verdicts) {
    assert.ok(['UNSAFE_MODEL', 'UNSUPPORTED'].includes(err.code), `${name}: ${err.code} ${err.message}`);
  }
  assert.deepEqual(markersPresent(), []);
});

test('the fallback never hands a pickle the native reader refused as unsafe to Python', async () => {
  // An interpreter that does not exist: had the fallback tried Python, the error would say it could not start one.
  const runtime = withPythonFallback(sklearnRuntime, { python: '/nonexistent/python3-must-not-start' });
  const verdicts = await nativeVerdicts();
  for (const { name, dir } of refusedCases()) {
    if (verdicts.get(name)!.code !== 'UNSAFE_MODEL') continue;
    await assert.rejects(runtime.load({ name, modelDir: dir }), (err: InferdError) => {
      assert.equal(err.code, 'UNSAFE_MODEL', `${name}: ${err.message}`);
      assert.equal(err.message, verdicts.get(name)!.message, name);
      return true;
    });
  }
  // Not even when a test forces the Python path: the native load is the gate.
  const forced = withPythonFallback(sklearnRuntime, { python: '/nonexistent/python3', preferPython: true });
  await assert.rejects(forced.load({ name: 'x', modelDir: refusedCases()[0]!.dir }), { code: 'UNSAFE_MODEL' });
});

test('payloads named inside scikit-learn pass the native reader as UNSUPPORTED and are refused by the worker', async (t) => {
  const python = requirePython(t);
  if (!python) return;
  const runtime = withPythonFallback(sklearnRuntime, { python });
  const verdicts = await nativeVerdicts();
  const reachPython = [...verdicts].filter(([, err]) => err.code === 'UNSUPPORTED').map(([name]) => name);
  assert.ok(reachPython.includes('sklearn-testing-run-script'), reachPython.join(', '));
  for (const { name, dir } of refusedCases().filter((c) => reachPython.includes(c.name))) {
    await assert.rejects(runtime.load({ name, modelDir: dir }), (err: InferdError) => {
      assert.equal(err.code, 'UNSAFE_MODEL', `${name}: ${err.message}`);
      assert.match(err.message, /the Python fallback could not load it either: refusing to load model/, name);
      return true;
    });
    assert.deepEqual(markersPresent(), [], `${name} ran its payload`);
  }
});

test('the worker refuses every malicious pickle fed to it directly, and keeps serving', async (t) => {
  const python = requirePython(t);
  if (!python) return;
  const worker = await PythonWorker.start(workerCommand(python, locateWorkerScript(), workerEnv(process.env)), {
    startTimeoutMs: 60_000,
  });
  t.after(() => worker.stop());
  for (const { name, file } of refusedCases()) {
    await assert.rejects(
      worker.request({ op: 'load', path: file }, [], { timeoutMs: 60_000 }),
      (err: InferdError) => {
        assert.ok(err instanceof InferdError, `${name}: ${err}`);
        assert.equal(err.code, 'UNSAFE_MODEL', `${name}: ${err.message}`);
        assert.match(err.message, /^refusing to load model: /, name);
        return true;
      },
      name,
    );
    assert.ok(worker.isAlive, `${name} killed the worker`);
    assert.deepEqual(markersPresent(), [], `${name} ran its payload`);
  }
});

test('the worker names what it refused', async (t) => {
  const python = requirePython(t);
  if (!python) return;
  const worker = await PythonWorker.start(workerCommand(python, locateWorkerScript(), workerEnv(process.env)), {
    startTimeoutMs: 60_000,
  });
  t.after(() => worker.stop());
  const byName = new Map(refusedCases().map((c) => [c.name, c.file]));
  const expectations: Record<string, RegExp> = {
    'os-system': /'posix\.system', which is not an allowed class/,
    'builtins-eval': /'builtins\.eval'/,
    'subprocess-popen': /'subprocess\.Popen'/,
    'joblib-object-array-popen': /'subprocess\.Popen'/,
    'sklearn-testing-run-script': /'sklearn\.utils\._testing\.assert_run_python_script'/,
    'numpy-testing-runstring': /'numpy\.testing\._private\.utils\.runstring'/,
    'sklearn-dump-svmlight': /'sklearn\.datasets\._svmlight_format_io\.dump_svmlight_file'/,
    'numpy-memmap': /'numpy\.memmap', which maps files into memory/,
    'dotted-name': /'numpy\.os\.system'/,
    'call-value-function': /'mean', which may not be called while loading/,
  };
  for (const [name, pattern] of Object.entries(expectations)) {
    await assert.rejects(worker.request({ op: 'load', path: byName.get(name)! }, [], { timeoutMs: 60_000 }), {
      code: 'UNSAFE_MODEL',
      message: pattern,
    });
  }
});
