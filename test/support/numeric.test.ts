// The shared float comparison: numpy's allclose rule, and the cases that must fail.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertAllClose, EXACT, maxRelativeDiff, SAME_LIBRARY, unitScaled } from './numeric.js';

test('close within atol + rtol·|expected|; last-digit differences pass SAME_LIBRARY', () => {
  const r = assertAllClose([0.9751485501088932, 1], [0.9751485501088935, 1], SAME_LIBRARY, 'p');
  assert.equal(r.identical, 1);
  assertAllClose([0], [1e-16], SAME_LIBRARY, 'atol near zero');
  assert.ok(r.worstRelative > 0 && r.worstRelative < 1e-15, String(r.worstRelative));
  assertAllClose([1e6 + 0.5], [1e6], unitScaled(1e-6), 'scaled above 1');
  assertAllClose([0.5e-6], [0], unitScaled(1e-6), 'absolute below 1');
});

test('EXPECTED FAILURE - a value outside the tolerance fails, naming index and both values', () => {
  assert.throws(() => assertAllClose([1, 2.001], [1, 2], SAME_LIBRARY, 'out'), /out\[1\]: got 2\.001, expected 2/);
  assert.throws(() => assertAllClose([2e-6], [0], unitScaled(1e-6), 'near zero'), /near zero\[0\]/);
  assert.throws(() => assertAllClose([1, 2], [1, 2, 3], SAME_LIBRARY, 'len'), /len: length/);
});

test('NaN matches only NaN, an infinity only itself; EXACT is bit for bit', () => {
  assertAllClose([Number.NaN, Number.POSITIVE_INFINITY], [Number.NaN, Number.POSITIVE_INFINITY], SAME_LIBRARY, 'ok');
  assert.throws(() => assertAllClose([0], [Number.NaN], unitScaled(1), 'nan'), /nan\[0\]/);
  assert.throws(() => assertAllClose([Number.NaN], [0], unitScaled(1), 'nan'), /nan\[0\]/);
  assert.throws(() => assertAllClose([1e308], [Number.POSITIVE_INFINITY], unitScaled(1), 'inf'), /inf\[0\]/);
  assertAllClose([0.1 + 0.2], [0.30000000000000004], EXACT, 'bits');
  assert.throws(() => assertAllClose([0.1 + 0.2], [0.3], EXACT, 'bits'), /bits\[0\]/);
  assert.throws(() => assertAllClose([-0], [0], EXACT, 'sign'), /sign\[0\]/);
});

test('maxRelativeDiff skips identical pairs and zeros', () => {
  assert.equal(maxRelativeDiff([1, 0, Number.NaN], [1, 0, Number.NaN]), 0);
  assert.ok(Math.abs(maxRelativeDiff([1.5, 2], [1, 2]) - 0.5) < 1e-15);
});
