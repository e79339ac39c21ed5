// JSON Patch (RFC 6902) with JSON Pointers (RFC 6901): add, remove, replace, move, copy, test, applied in
// order to a copy; the first failing operation fails the whole patch with the operation's index and path.
// Bounded as the Kubernetes apiserver bounds it since CVE-2019-1002100: at most 10,000 operations, and the
// bytes `copy` adds are counted as they accumulate (25 copies of a value holding every earlier copy would
// otherwise grow 2^25-fold), so a 3 KB patch cannot take the server's memory.

import { InferdError } from '../errors.js';
import { jsonEqual } from '../store/deep-equal.js';
import { FORBIDDEN_KEYS } from './body-limits.js';

/** Most operations one JSON Patch may have (the Kubernetes apiserver's maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

export interface JsonPatchLimits {
  /** Default MAX_JSON_PATCH_OPERATIONS. */
  maxOperations?: number;
  /** Most bytes (as JSON) all `copy` operations together may add; default 4 MiB (the body limit). */
  maxCopyBytes?: number;
}

/** A deep copy of JSON data; strings are shared (immutable), unlike structuredClone, which copies their bytes. */
function cloneJson(v: Json): Json {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneJson);
  const out: Record<string, Json> = {};
  for (const [k, item] of Object.entries(v)) out[k] = cloneJson(item);
  return out;
}

/** The JSON size of `v`, or Infinity as soon as it passes `budget` (so a huge value costs at most `budget`). */
export function jsonSizeWithin(v: Json, budget: number): number {
  let size = 0;
  const stack: Json[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object') size += typeof x === 'string' ? x.length + 2 : String(x).length;
    else if (Array.isArray(x)) {
      size += 2 + x.length;
      for (const item of x) stack.push(item);
    } else {
      for (const [k, item] of Object.entries(x)) {
        size += k.length + 4;
        stack.push(item);
      }
      size += 2;
    }
    if (size > budget) return Number.POSITIVE_INFINITY;
  }
  return size;
}

type Json = unknown;
interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function fail(index: number, message: string, code: 'INVALID_INPUT' | 'INVALID_MANIFEST' = 'INVALID_MANIFEST') {
  return new InferdError(code, `json patch operation ${index}: ${message}`, { path: `[${index}]` });
}

/** `/a/b~1c` → ['a', 'b/c']. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`"${pointer}" is not a JSON pointer (it must start with /)`);
  const tokens = pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  // Writing through `__proto__` would replace an object's prototype (and skip validation).
  const bad = tokens.find((t) => FORBIDDEN_KEYS.has(t));
  if (bad !== undefined) throw new Error(`the key "${bad}" is not allowed`);
  return tokens;
}

function isContainer(v: unknown): v is Record<string, Json> | Json[] {
  return v !== null && typeof v === 'object';
}

function arrayIndex(arr: Json[], token: string, forAdd: boolean): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new Error(`"${token}" is not an array index`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new Error(`index ${i} is out of range`);
  return i;
}

function parentOf(doc: Json, tokens: string[]): Record<string, Json> | Json[] {
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false)];
    else if (isContainer(cur) && Object.hasOwn(cur, t)) cur = (cur as Record<string, Json>)[t];
    else throw new Error(`path segment "${t}" does not exist`);
  }
  if (!isContainer(cur)) throw new Error('the parent is not an object or array');
  return cur;
}

function get(doc: Json, tokens: string[]): Json {
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens);
  const last = tokens.at(-1)!;
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false)];
  if (!Object.hasOwn(parent, last)) throw new Error(`"${last}" does not exist`);
  return parent[last];
}

function add(doc: Json, tokens: string[], value: Json): Json {
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens);
  const last = tokens.at(-1)!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true), 0, value);
  else parent[last] = value;
  return doc;
}

function remove(doc: Json, tokens: string[]): Json {
  if (tokens.length === 0) throw new Error('cannot remove the whole document');
  const parent = parentOf(doc, tokens);
  const last = tokens.at(-1)!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false), 1);
  else if (Object.hasOwn(parent, last)) delete parent[last];
  else throw new Error(`"${last}" does not exist`);
  return doc;
}

/** Checks that `ops` looks like a JSON Patch document (an array of operations); INVALID_INPUT if not. */
export function checkJsonPatch(ops: unknown): Operation[] {
  if (!Array.isArray(ops)) throw new InferdError('INVALID_INPUT', 'a json patch must be an array of operations');
  ops.forEach((op, i) => {
    if (!op || typeof op !== 'object' || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw fail(i, 'each operation needs string "op" and "path"', 'INVALID_INPUT');
    }
  });
  return ops as Operation[];
}

/**
 * The result of applying RFC 6902 `ops` to a copy of `doc`. INVALID_MANIFEST naming the failing op;
 * PAYLOAD_TOO_LARGE past `limits` (checked before the operations run, and before each `copy`).
 */
export function applyJsonPatch(doc: Json, ops: unknown, limits: JsonPatchLimits = {}): Json {
  const maxOperations = limits.maxOperations ?? MAX_JSON_PATCH_OPERATIONS;
  const maxCopyBytes = limits.maxCopyBytes ?? 4 * 1024 * 1024;
  const checked = checkJsonPatch(ops);
  if (checked.length > maxOperations) {
    throw new InferdError(
      'PAYLOAD_TOO_LARGE',
      `the allowed number of operations in a json patch is ${maxOperations}, got ${checked.length}`,
    );
  }
  let copied = 0;
  let out: Json = cloneJson(doc);
  checked.forEach((op, i) => {
    try {
      const path = parsePointer(op.path);
      switch (op.op) {
        case 'add':
          if (!('value' in op)) throw new Error('"value" is required');
          out = add(out, path, cloneJson(op.value));
          break;
        case 'remove':
          out = remove(out, path);
          break;
        case 'replace':
          if (!('value' in op)) throw new Error('"value" is required');
          if (path.length === 0) {
            out = cloneJson(op.value);
            break;
          }
          get(out, path);
          out = add(remove(out, path), path, cloneJson(op.value));
          break;
        case 'move': {
          const from = parsePointer(op.from ?? '');
          if (op.path.startsWith(`${op.from}/`)) throw new Error('cannot move a value into itself');
          const value = get(out, from);
          out = add(remove(out, from), path, value);
          break;
        }
        case 'copy': {
          const value = get(out, parsePointer(op.from ?? ''));
          // Counted before cloning: the clone itself is what would exhaust memory.
          copied += jsonSizeWithin(value, maxCopyBytes - copied);
          if (copied > maxCopyBytes) {
            throw new InferdError(
              'PAYLOAD_TOO_LARGE',
              `json patch operation ${i}: copy ${op.from} -> ${op.path}: the copies of this patch add more than the limit of ${maxCopyBytes} bytes`,
              { path: `[${i}]` },
            );
          }
          out = add(out, path, cloneJson(value));
          break;
        }
        case 'test':
          if (!jsonEqual(get(out, path), op.value)) throw new Error(`test failed: the value at ${op.path} differs`);
          break;
        default:
          throw new Error(`unknown op "${op.op}"`);
      }
    } catch (err) {
      if (err instanceof InferdError) throw err;
      throw fail(i, `${op.op} ${op.path}: ${(err as Error).message}`);
    }
  });
  return out;
}
