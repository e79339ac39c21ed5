// Shared by the Python fallback tests: which Python to use (skip with a visible reason without one, fail under
// CI=true), the fixtures written by scripts/fixtures/gen_python_fallback.py, and the marker files the malicious
// fixtures would create.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { PredictOptions, Tensor } from '../../../src/runtimes/model.js';
import { fixturesDir } from '../../helpers/paths.js';
import { assertAllClose as allClose } from '../../support/numeric.js';

export const PYTHON = '/usr/bin/python3';
export const FIXTURES = join(fixturesDir, 'python-fallback');
export const MARKER_PREFIX = '/tmp/inferd-pwned-python-fallback-';

let probed: { version: string | null; reason: string } | undefined;

function probe(): { version: string | null; reason: string } {
  if (!probed) {
    const r = spawnSync(PYTHON, ['-I', '-c', 'import sklearn, numpy, scipy; print(sklearn.__version__)'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    probed =
      r.status === 0
        ? { version: r.stdout.trim(), reason: '' }
        : {
            version: null,
            reason: `${PYTHON} cannot import scikit-learn (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}); on Debian: apt-get install python3-sklearn`,
          };
  }
  return probed;
}

/**
 * The interpreter for tests that need a real Python with scikit-learn, or null after marking the test skipped
 * (and saying why). Under CI=true a missing scikit-learn fails the test instead.
 */
export function requirePython(t: TestContext): string | null {
  const { version, reason } = probe();
  if (version !== null) return PYTHON;
  assert.notEqual(process.env.CI, 'true', `CI must run the Python fallback tests: ${reason}`);
  t.skip(reason);
  return null;
}

export function sklearnVersion(): string | null {
  return probe().version;
}

export interface Expected {
  case: string;
  estimator: string;
  sklearn_version: string;
  dataset: string;
  format: string;
  output_datatype: string;
  predict: unknown[];
  predict_proba: number[][] | null;
  is_classifier: boolean;
}

export function modelCases(root = FIXTURES): string[] {
  return readdirSync(join(root, 'models')).sort();
}

export function modelDir(name: string, root = FIXTURES): string {
  return join(root, 'models', name);
}

export function readExpected(dir: string): Expected {
  return JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
}

interface Dataset {
  X: (number | string | null)[][];
  columns?: string[];
}

/** A case's query rows as request tensors: a matrix, or one named column per tensor with content_type pd. */
export function caseInput(expected: Expected, root = FIXTURES): { inputs: Tensor[]; options: PredictOptions } {
  const dataset = JSON.parse(readFileSync(join(root, 'data', `${expected.dataset}.json`), 'utf8')) as Dataset;
  const rows = dataset.X;
  if (!dataset.columns) {
    const f = rows[0]!.length;
    const data = new Float64Array(rows.length * f);
    rows.forEach((row, r) => {
      row.forEach((v, c) => {
        data[r * f + c] = v === null ? Number.NaN : Number(v);
      });
    });
    return { inputs: [{ name: 'input-0', datatype: 'FP64', shape: [rows.length, f], data }], options: {} };
  }
  const inputs = dataset.columns.map((name, c): Tensor => {
    if (typeof rows[0]![c] === 'string') {
      return { name, datatype: 'BYTES', shape: [rows.length], data: rows.map((row) => String(row[c])) };
    }
    return { name, datatype: 'FP64', shape: [rows.length], data: Float64Array.from(rows, (row) => Number(row[c])) };
  });
  return { inputs, options: { parameters: { content_type: 'pd' } } };
}

/** Values within 1e-9 relative (an absolute floor of 1e-15 for values near zero). */
export function assertAllClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  allClose(actual, expected, { rtol: 1e-9, atol: 1e-15 }, what);
}

export function refusedCases(root = FIXTURES): { name: string; dir: string; file: string }[] {
  return readdirSync(join(root, 'refused'))
    .sort()
    .map((name) => {
      const dir = join(root, 'refused', name);
      return { name, dir, file: join(dir, readdirSync(dir)[0]!) };
    });
}

export function clearMarkers(): void {
  for (const name of readdirSync('/tmp')) {
    if (name.startsWith('inferd-pwned-python-fallback-')) rmSync(join('/tmp', name), { force: true });
  }
}

/** Marker files a payload created (none, unless something ran pickle code). */
export function markersPresent(): string[] {
  return readdirSync('/tmp')
    .filter((name) => name.startsWith('inferd-pwned-python-fallback-'))
    .map((name) => join('/tmp', name))
    .filter((p) => existsSync(p));
}
