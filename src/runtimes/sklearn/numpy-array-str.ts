// `str()` of a 1-D numpy float array, as sklearn prints it in "Expected 2D array, got 1D array instead:
// array=[6.8 2.8 4.8 1.4]." (numpy/core/arrayprint.py, defaults: precision 8, floatmode 'maxprec', linewidth
// 75, threshold 1000 with 3 edge items). Only what that one message needs: 1-D float64/float32 arrays.

import { shortestDigits } from './python-text.js';

const PRECISION = 8;
const LINE_WIDTH = 75;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;

interface Parts {
  int: string;
  frac: string;
  exp: string;
}

/** Positional digits, at most PRECISION after the point, trailing zeros trimmed but the point kept ('1.'). */
function positional(value: number, float32: boolean): Parts {
  const { negative, digits, exponent } = shortestDigits(value, float32);
  let int: string;
  let frac: string;
  if (digits.length - exponent - 1 > PRECISION) {
    // More digits than the precision allows: numpy rounds the value at the cut-off.
    [int, frac] = Math.abs(value).toFixed(PRECISION).split('.') as [string, string];
    frac = frac.replace(/0+$/, '');
  } else if (exponent < 0) {
    int = '0';
    frac = '0'.repeat(-exponent - 1) + digits;
  } else {
    int = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    frac = digits.slice(exponent + 1);
  }
  if (digits === '0') frac = '';
  return { int: (negative ? '-' : '') + int, frac, exp: '' };
}

function scientific(value: number, float32: boolean): Parts {
  let { negative, digits, exponent } = shortestDigits(value, float32);
  if (digits.length - 1 > PRECISION) {
    const [mantissa, exp] = Math.abs(value).toExponential(PRECISION).split('e') as [string, string];
    digits = mantissa.replace('.', '').replace(/0+$/, '');
    exponent = Number(exp);
  }
  const exp = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return { int: (negative ? '-' : '') + digits[0], frac: digits.slice(1), exp };
}

/** numpy's FloatingFormat: one format for all shown values, then each value padded to it. */
function formatValues(values: readonly number[], float32: boolean): string[] {
  const finite = values.filter(Number.isFinite);
  const nonZero = finite.filter((v) => v !== 0).map(Math.abs);
  const max = nonZero.length ? Math.max(...nonZero) : 0;
  const min = nonZero.length ? Math.min(...nonZero) : 0;
  const useExp = nonZero.length > 0 && (max >= 1e8 || min < 0.0001 || max / min > 1000);

  let padLeft = 0;
  let padRight = 0;
  let fracDigits = 0;
  let expSize = 0;
  const parts = finite.map((v) => (useExp ? scientific(v, float32) : positional(v, float32)));
  if (finite.length > 0) {
    padLeft = Math.max(...parts.map((p) => p.int.length));
    fracDigits = Math.max(...parts.map((p) => p.frac.length));
    if (useExp) {
      expSize = Math.max(...parts.map((p) => p.exp.length)) - 1;
      padRight = expSize + 2 + fracDigits;
    } else {
      padRight = fracDigits;
    }
  }
  if (finite.length !== values.length) {
    const negInf = values.some((v) => v === Number.NEGATIVE_INFINITY);
    const offset = padRight + 1;
    padLeft = Math.max(padLeft, 3 - offset, 3 + (negInf ? 1 : 0) - offset);
  }

  let next = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) {
      const text = Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
      return ' '.repeat(Math.max(0, padLeft + padRight + 1 - text.length)) + text;
    }
    const p = parts[next++]!;
    const int = p.int.padStart(padLeft, ' ');
    if (useExp) {
      // Scientific values all show the same number of digits (zero-padded) and exponent width.
      const digits = p.exp.slice(1).padStart(expSize, '0');
      return `${int}.${p.frac.padEnd(fracDigits, '0')}e${p.exp[0]}${digits}`;
    }
    return `${int}.${p.frac.padEnd(padRight, ' ')}`;
  });
}

/** `str(numpy.array(values, dtype))` for a 1-D float64 (or float32) array. */
export function numpyArrayStr(values: ArrayLike<number>, float32 = false): string {
  const all = Array.from(values);
  const summarise = all.length > THRESHOLD;
  const shown = summarise ? [...all.slice(0, EDGE_ITEMS), ...all.slice(-EDGE_ITEMS)] : all;
  const words = formatValues(shown, float32);
  if (summarise) words.splice(EDGE_ITEMS, 0, '...');
  // numpy's _formatArray: words separated by ' ', wrapped before a word that would pass the line width
  // (75, less the closing bracket), continuation lines indented by one space.
  const hanging = ' ';
  const width = LINE_WIDTH - 1;
  let out = '';
  let line = hanging;
  words.forEach((word, i) => {
    if (line.length + word.length > width && line.length > hanging.length) {
      out += `${line.trimEnd()}\n`;
      line = hanging;
    }
    line += word;
    if (i < words.length - 1) line += ' ';
  });
  out += line;
  return `[${out.slice(hanging.length)}]`;
}
