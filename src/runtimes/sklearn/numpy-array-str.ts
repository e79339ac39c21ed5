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
  if (digits.length - exponent - 1 > PRECISION) {
    // More digits than the precision allows: round the value at the cut-off, as Dragon4 does.
    const rounded = roundSignificant(value, exponent + 1 + PRECISION);
    return positionalParts(negative, rounded.digits, rounded.exponent);
  }
  return positionalParts(negative, digits, exponent);
}

function positionalParts(negative: boolean, digits: string, exponent: number): Parts {
  let int: string;
  let frac: string;
  if (exponent < 0) {
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
  if (digits.length - 1 > PRECISION) ({ digits, exponent } = roundSignificant(value, PRECISION + 1));
  const exp = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return { int: (negative ? '-' : '') + digits[0], frac: digits.slice(1), exp };
}

/**
 * |value| rounded to `keep` significant digits, half to even on an exact tie (Dragon4's rule; toFixed would
 * round 0.001953125 up). 31 digits of the exact expansion are enough to tell a tie for the magnitudes printed.
 */
function roundSignificant(value: number, keep: number): { digits: string; exponent: number } {
  const [mantissa, exp] = Math.abs(value).toExponential(30).split('e') as [string, string];
  const all = mantissa.replace('.', '');
  let exponent = Number(exp);
  let head = all.slice(0, keep);
  const rest = all.slice(keep);
  const last = Number(head[head.length - 1] ?? '0');
  const up = rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || last % 2 === 1));
  if (up) {
    const incremented = (BigInt(head) + 1n).toString();
    if (incremented.length > head.length) exponent++;
    head = incremented.slice(0, keep);
  }
  return { digits: head.replace(/0+$/, '') || '0', exponent };
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
