// EXPECTED FAILURE cases: model files that must never load. A pickle that would run a shell command is refused
// before anything runs (and nothing does run: the marker file it would create stays absent); corrupt, truncated
// and unsupported files fail with a clear code and message instead of crashing or hanging the replica.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isInferdError } from '../../../src/errors.js';
import { estimatorFromBytes, sklearnRuntime } from '../../../src/runtimes/sklearn/index.js';
import { fixturesDir } from '../../helpers/paths.js';

const refused = join(fixturesDir, 'sklearn', 'refused');
const load = (dir: string) => sklearnRuntime.load({ name: dir, modelDir: join(refused, dir) });
/** Written by the fixture's payload (`touch ...`) if pickle code were ever executed. */
const PWNED_MARKER = '/tmp/inferd-pwned-sklearn-os-system';

describe('refuses pickles that reference code', () => {
  for (const dir of ['os-system', 'os-system-nested', 'os-system-object-array']) {
    test(`${dir}: UNSAFE_MODEL naming posix.system, and the payload never runs`, async () => {
      rmSync(PWNED_MARKER, { force: true });
      await assert.rejects(load(dir), {
        code: 'UNSAFE_MODEL',
        message: "refusing to load model: pickle references 'posix.system', which is not an allowed class",
      });
      await assert.rejects(load(dir), (err: unknown) => isInferdError(err) && err.details.reason === 'UnsafeModel');
      assert.equal(existsSync(PWNED_MARKER), false, `${PWNED_MARKER} exists: pickle code ran`);
    });
  }

  test('a harmless class that is not on the allowlist is refused too', async () => {
    await assert.rejects(load('not-allowed-class'), {
      code: 'UNSAFE_MODEL',
      message: "refusing to load model: pickle references 'collections.OrderedDict', which is not an allowed class",
    });
  });

  // Hand-written protocol 4 pickles: the tricks a crafted file could try.
  const stackGlobal = (module: string, name: string) =>
    Buffer.concat([
      Buffer.from([0x80, 0x04]),
      shortUnicode(module),
      shortUnicode(name),
      Buffer.from([0x93, 0x29, 0x52, 0x2e]), // STACK_GLOBAL, EMPTY_TUPLE, REDUCE, STOP
    ]);
  const cases: [string, Buffer, string][] = [
    ['builtins.eval via GLOBAL', Buffer.from('\x80\x02cbuiltins\neval\n)R.', 'latin1'), 'builtins.eval'],
    [
      'an attribute walk past an allowed module',
      stackGlobal('numpy', 'core.multiarray._reconstruct'),
      'numpy.core.multiarray._reconstruct',
    ],
    [
      'os.system reached through an sklearn module',
      stackGlobal('sklearn.svm._classes', 'os.system'),
      'sklearn.svm._classes.os.system',
    ],
    ['subprocess.Popen', stackGlobal('subprocess', 'Popen'), 'subprocess.Popen'],
  ];
  for (const [what, bytes, name] of cases) {
    test(`BAD CALL - ${what}`, async () => {
      await assert.rejects(estimatorFromBytes(bytes, 'crafted.pkl'), {
        code: 'UNSAFE_MODEL',
        message: `refusing to load model: pickle references '${name}', which is not an allowed class`,
      });
    });
  }
});

function shortUnicode(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from([0x8c, bytes.length]), bytes]);
}

describe('corrupt and unreadable files', () => {
  for (const dir of ['truncated', 'truncated-zlib', 'not-a-pickle']) {
    test(`${dir}: MODEL_LOAD_FAILED`, async () => {
      await assert.rejects(load(dir), (err: unknown) => {
        assert.ok(isInferdError(err), String(err));
        assert.equal(err.code, 'MODEL_LOAD_FAILED');
        assert.equal(err.details.reason, 'ModelLoadFailed');
        return true;
      });
    });
  }

  test('xz-compressed joblib is refused with how to re-save it', async () => {
    await assert.rejects(load('xz-compressed'), { code: 'MODEL_LOAD_FAILED', message: /xz-compressed.*compress=3/ });
  });

  test('a huge length field fails as truncation, without allocating', async () => {
    const bytes = Buffer.from([0x80, 0x04, 0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x2e]); // BINBYTES8
    await assert.rejects(estimatorFromBytes(bytes, 'huge.pkl'), { code: 'MODEL_LOAD_FAILED', message: /truncated/ });
  });

  test('a file holding something other than an estimator', async () => {
    const dict = Buffer.from([0x80, 0x04, 0x7d, 0x2e]); // EMPTY_DICT, STOP
    await assert.rejects(estimatorFromBytes(dict, 'dict.pkl'), {
      code: 'MODEL_LOAD_FAILED',
      message: 'the model file holds a dict, not a scikit-learn estimator',
    });
  });

  test('every truncation of a real joblib file fails cleanly', async () => {
    const file = readFileSync(join(fixturesDir, 'sklearn', 'models', 'svc_proba_iris', 'model.joblib'));
    for (let length = 0; length < file.length; length += 13) {
      await assert.rejects(
        estimatorFromBytes(file.subarray(0, length), 'cut.joblib'),
        (err: unknown) => isInferdError(err) && err.code === 'MODEL_LOAD_FAILED',
        `truncated at ${length} bytes`,
      );
    }
  });

  test('random byte corruption never escapes as anything but an InferdError', async () => {
    const file = readFileSync(join(fixturesDir, 'sklearn', 'models', 'forest_clf_iris', 'model.joblib'));
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31; // fixed LCG: the same cases on every run
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 300; round++) {
      const copy = Buffer.from(file);
      for (let flips = 0; flips < 4; flips++) copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      try {
        await estimatorFromBytes(copy, 'flipped.joblib');
      } catch (err) {
        assert.ok(isInferdError(err), `round ${round}: ${String(err)}`);
      }
    }
  });
});

describe('scikit-learn estimators without a native implementation', () => {
  test('UNSUPPORTED, naming the class (so a Python fallback can take over)', async () => {
    await assert.rejects(load('unsupported-estimator'), (err: unknown) => {
      assert.ok(isInferdError(err));
      assert.equal(err.code, 'UNSUPPORTED');
      assert.match(err.message, /'sklearn\.linear_model\._bayes\.BayesianRidge'/);
      // every unsupported name met is listed, the estimator itself (met first) leading
      assert.equal((err.details.classNames as string[])[0], 'sklearn.linear_model._bayes.BayesianRidge');
      return true;
    });
  });
});

describe('FunctionTransformer runs only allowlisted numpy ufuncs', () => {
  test("EXPECTED FAILURE - a user's own function: UNSAFE_MODEL naming it", async () => {
    await assert.rejects(load('function-transformer-custom'), {
      code: 'UNSAFE_MODEL',
      message: "refusing to load model: pickle references '__main__.double_it', which is not an allowed class",
    });
  });

  test('EXPECTED FAILURE - a numpy function that is not an allowlisted ufunc (np.clip): UNSAFE_MODEL', async () => {
    await assert.rejects(load('function-transformer-np-clip'), {
      code: 'UNSAFE_MODEL',
      message: "refusing to load model: pickle references 'numpy.clip', which is not an allowed class",
    });
  });
});
