// Field-level checks shared by the validators. Each appends Problems to `out` and returns whether the value
// had the right type, so callers can skip deeper checks on a wrong one.

import { child, describe, isPlainObject, orList } from './json-path.js';
import { didYouMean } from './suggest.js';
import type { Problem } from './types.js';

export type Out = Problem[];

/** One problem per key of `obj` not in `allowed`, with a "did you mean" when a known field is close. */
export function unknownFields(obj: Record<string, unknown>, allowed: readonly string[], path: string, out: Out): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      out.push({ path: child(path, key), message: `unknown field${didYouMean(key, allowed)}` });
  }
}

export function isObject(v: unknown, path: string, out: Out): v is Record<string, unknown> {
  if (isPlainObject(v)) return true;
  out.push({ path, message: `must be an object, got ${describe(v)}` });
  return false;
}

export function isString(v: unknown, path: string, out: Out): v is string {
  if (typeof v === 'string') return true;
  const hint = typeof v === 'number' || typeof v === 'boolean' ? ` (quote it: "${String(v)}")` : '';
  out.push({ path, message: `must be a string, got ${describe(v)}${hint}` });
  return false;
}

export function isBoolean(v: unknown, path: string, out: Out): v is boolean {
  if (typeof v === 'boolean') return true;
  out.push({ path, message: `must be a boolean (true or false), got ${describe(v)}` });
  return false;
}

export interface IntRange {
  min?: number;
  max?: number;
  /** Said after the bound, e.g. "(0 scales to zero)". */
  note?: string;
}

/** An integer within [min, max]. */
export function isInt(v: unknown, path: string, out: Out, range: IntRange = {}): v is number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    out.push({ path, message: `must be an integer, got ${describe(v)}` });
    return false;
  }
  const note = range.note ? ` ${range.note}` : '';
  if (range.min !== undefined && range.max !== undefined && (v < range.min || v > range.max)) {
    out.push({ path, message: `must be between ${range.min} and ${range.max}${note}, got ${v}` });
    return false;
  }
  if (range.min !== undefined && v < range.min) {
    const text = range.min === 1 ? 'must be greater than 0' : `must be >= ${range.min}`;
    out.push({ path, message: `${text}${note}, got ${v}` });
    return false;
  }
  if (range.max !== undefined && v > range.max) {
    out.push({ path, message: `must be <= ${range.max}${note}, got ${v}` });
    return false;
  }
  return true;
}

export function isOneOf<T extends string>(v: unknown, allowed: readonly T[], path: string, out: Out): v is T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return true;
  const hint = typeof v === 'string' ? didYouMean(v, allowed) : '';
  out.push({
    path,
    message: `must be one of ${orList(allowed.map((a) => JSON.stringify(a)))}, got ${describe(v)}${hint}`,
  });
  return false;
}

export function isStringArray(v: unknown, path: string, out: Out): v is string[] {
  if (!Array.isArray(v)) {
    out.push({ path, message: `must be a list of strings, got ${describe(v)}` });
    return false;
  }
  let ok = true;
  v.forEach((item, i) => {
    ok = isString(item, child(path, i), out) && ok;
  });
  return ok;
}

/** A map of string values (labels, annotations, nodeSelector, ...). */
export function isStringMap(v: unknown, path: string, out: Out): v is Record<string, string> {
  if (!isObject(v, path, out)) return false;
  let ok = true;
  for (const [k, value] of Object.entries(v)) ok = isString(value, child(path, k), out) && ok;
  return ok;
}

export function isArray(v: unknown, path: string, out: Out): v is unknown[] {
  if (Array.isArray(v)) return true;
  out.push({ path, message: `must be a list, got ${describe(v)}` });
  return false;
}

/** `value` is present (not undefined/null). Null counts as absent, as Kubernetes' decoder treats it. */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}
