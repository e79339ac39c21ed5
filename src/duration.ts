// Go-style durations for flags like `--timeout=30s`, as kubectl parses them (`time.ParseDuration`).
// A bare number is accepted as seconds, which kubectl refuses; it is what people type.

import { InferdError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses `30s`, `2m`, `1h30m`, `1.5s`, `500ms` or `45` (seconds) into milliseconds.
 * Negative values are returned as they are; callers decide what "forever" means.
 */
export function parseDurationMs(text: string): number {
  const s = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(s);
  if (!m) throw new InferdError('INVALID_INPUT', `time: invalid duration "${text}"`);
  const sign = m[1] === '-' ? -1 : 1;
  let total = 0;
  for (const part of s.replace(/^[-+]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]!]!; // the pattern always captures a known unit
  }
  return sign * total;
}
