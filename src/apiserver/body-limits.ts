// Bounds on what a control-API body may be, checked around parsing: a nesting-depth pre-scan of the text
// (linear, before the parser runs, so a 4 MB `[[[[...` or `- - - -` body is refused in milliseconds rather than
// blocking the event loop for seconds), then a walk of the parsed value that refuses `__proto__`,
// `constructor` and `prototype` keys (merging them would replace an object's prototype and skip validation).
// Not a validator of kinds: admission does that after. docs/security.md, "Control API".

import { InferdError } from '../errors.js';

/** Deepest nesting a body may have; KServe manifests need about 12, Kubernetes objects rarely 30. */
export const MAX_BODY_DEPTH = 100;

/** Keys that act on prototypes when assigned: never stored, never merged. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const tooDeep = (format: string, line?: number) =>
  new InferdError(
    'INVALID_INPUT',
    `error parsing ${format} body${line === undefined ? '' : ` at line ${line}`}: nesting deeper than ${MAX_BODY_DEPTH} levels`,
    { reason: 'BadRequest', line },
  );

/** Throws INVALID_INPUT when JSON text nests `[`/`{` deeper than MAX_BODY_DEPTH (strings skipped). */
export function checkJsonDepth(text: string): void {
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_BODY_DEPTH) throw tooDeep('JSON', line);
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x0a) line++;
  }
}

/**
 * Throws INVALID_INPUT when YAML text may nest deeper than MAX_BODY_DEPTH: per line, the open block levels
 * (an indentation stack), the `- `/`? ` indicators that open more on the same line, and the open flow
 * collections (`[`, `{` outside quoted scalars and comments). An estimate that never undercounts nesting.
 * Linear in the text's length.
 */
export function checkYamlDepth(text: string): void {
  const indents: number[] = [];
  let flow = 0;
  let line = 0;
  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    line++;
    let i = pos;
    while (i < end && text.charCodeAt(i) === 0x20) i++;
    const blank = i >= end || text.charCodeAt(i) === 0x23 /* # */ || text.charCodeAt(i) === 0x0d;
    if (!blank && flow === 0) {
      const indent = i - pos;
      while (indents.length > 0 && indents[indents.length - 1]! > indent) indents.pop();
      if (indents.length === 0 || indents[indents.length - 1]! < indent) indents.push(indent);
    }
    let inline = 0;
    // `- - - x` and `? - x` open one level per indicator.
    while (i + 1 < end) {
      const c = text.charCodeAt(i);
      if ((c === 0x2d || c === 0x3f) && (text.charCodeAt(i + 1) === 0x20 || text.charCodeAt(i + 1) === 0x09)) {
        inline++;
        i += 2;
        while (i < end && text.charCodeAt(i) === 0x20) i++;
      } else break;
    }
    let prev = 0x20;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      const atTokenStart =
        prev === 0x20 || prev === 0x09 || prev === 0x5b || prev === 0x7b || prev === 0x2c || prev === 0x3a;
      if (c === 0x23 && (prev === 0x20 || prev === 0x09)) break; // comment
      if ((c === 0x22 || c === 0x27) && atTokenStart) {
        // Skipped to its closing quote on this line only: never hiding a later line's brackets (an estimate
        // that may overcount a multi-line quoted scalar, never undercount).
        for (i++; i < end; i++) {
          const q = text.charCodeAt(i);
          if (c === 0x22 && q === 0x5c) i++;
          else if (q === c) {
            if (c === 0x27 && text.charCodeAt(i + 1) === 0x27) i++;
            else break;
          }
        }
      } else if (c === 0x5b || c === 0x7b) flow++;
      else if ((c === 0x5d || c === 0x7d) && flow > 0) flow--;
      prev = c;
      if (indents.length + inline + flow > MAX_BODY_DEPTH) throw tooDeep('YAML', line);
    }
    if (indents.length + inline + flow > MAX_BODY_DEPTH) throw tooDeep('YAML', line);
    pos = end + 1;
  }
}

function pathOf(parts: readonly (string | number)[]): string {
  let out = '';
  for (const p of parts) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/**
 * Throws INVALID_MANIFEST (with `details.path`) for a `__proto__`/`constructor`/`prototype` key anywhere in
 * `value`, INVALID_INPUT for nesting past MAX_BODY_DEPTH (a backstop for the text pre-scan).
 */
export function checkParsedBody(value: unknown): void {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= MAX_BODY_DEPTH) throw tooDeep('request');
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        stack.push({ v: item, path: [...path, i] });
      });
      continue;
    }
    for (const key of Object.keys(v)) {
      const at = [...path, key];
      if (FORBIDDEN_KEYS.has(key)) {
        throw new InferdError('INVALID_MANIFEST', `${pathOf(at)}: the key "${key}" is not allowed`, {
          path: pathOf(at),
        });
      }
      stack.push({ v: (v as Record<string, unknown>)[key], path: at });
    }
  }
}
