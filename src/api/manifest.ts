// Manifests in: multi-document YAML (what `kubectl apply -f` takes) or JSON (an object, a JSON array, or a
// `kind: List` with `items`). Pure: text in, plain objects out; every failure is an INVALID_MANIFEST error
// whose message starts with `<source>:<line>:<column>:` and whose details carry path, line and column.

import { LineCounter, parseAllDocuments } from 'yaml';
import { InferdError } from '../errors.js';
import { child, describe, isPlainObject } from './json-path.js';
import type { Resource } from './types.js';

const DEFAULT_SOURCE = '<input>';
/** YAML aliases expanded per document: a guard against "billion laughs" documents. */
const MAX_ALIAS_COUNT = 100;

interface Located {
  value: unknown;
  /** Path prefix of this value inside its document (`items[2]` for a List item), '' at the top. */
  prefix: string;
  line: number;
  column: number;
  document: number; // 1-based
}

/**
 * Parses one or more manifests. YAML documents separated by `---`; empty documents are skipped; a `kind: List`
 * (YAML or JSON) or a JSON array is flattened into its items. Each resource must be an object with string
 * `apiVersion`, `kind` and `metadata.name`; nothing else is checked here (see `admit`).
 */
export function parseManifests(text: string, source: string = DEFAULT_SOURCE): Resource[] {
  const values = looksLikeJson(text) ? parseJsonOrYaml(text, source) : parseYaml(text, source);
  const out: Resource[] = [];
  for (const v of values) flatten(v, source, out);
  return out;
}

function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}

/** JSON first (fast, exact); if that fails, YAML (a superset that also takes trailing commas and comments). */
function parseJsonOrYaml(text: string, source: string): Located[] {
  try {
    return [{ value: JSON.parse(text), prefix: '', line: 1, column: 1, document: 1 }];
  } catch (jsonErr) {
    try {
      return parseYaml(text, source);
    } catch (yamlErr) {
      const pos = jsonErrorPosition(jsonErr, text);
      if (pos === undefined) throw yamlErr;
      const what = (jsonErr as Error).message.replace(/ in JSON at position \d+.*$/s, '').replace(/\s*\(line.*$/s, '');
      throw manifestError(source, pos.line, pos.column, `invalid JSON: ${what}`, '');
    }
  }
}

function jsonErrorPosition(err: unknown, text: string): { line: number; column: number } | undefined {
  const m = /at position (\d+)/.exec(err instanceof Error ? err.message : '');
  if (!m) return undefined;
  return lineColumnAt(text, Number(m[1]));
}

function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function parseYaml(text: string, source: string): Located[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { prettyErrors: true, lineCounter });
  const out: Located[] = [];
  let index = 0;
  for (const doc of docs) {
    index++;
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
      throw manifestError(source, pos.line, pos.col, yamlMessage(err.message), '', {
        document: index,
        yamlCode: err.code,
      });
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const start = lineCounter.linePos(doc.range[0]);
      throw manifestError(source, start.line, start.col, (e as Error).message, '', { document: index });
    }
    if (value === null || value === undefined) continue; // an empty document (`---` alone, comments only)
    const contentStart = doc.contents?.range?.[0] ?? doc.range[0];
    const pos = lineCounter.linePos(contentStart);
    out.push({ value, prefix: '', line: pos.line, column: pos.col, document: index });
  }
  return out;
}

/** The yaml package's pretty message is `<what> at line L, column C:\n\n<excerpt>`; keep `<what>`. */
function yamlMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

function flatten(loc: Located, source: string, out: Resource[]): void {
  const { value } = loc;
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      flatten({ ...loc, value: item, prefix: child(loc.prefix, i) }, source, out);
    });
    return;
  }
  if (isPlainObject(value) && value['kind'] === 'List' && Array.isArray(value['items'])) {
    (value['items'] as unknown[]).forEach((item, i) => {
      flatten({ ...loc, value: item, prefix: child(child(loc.prefix, 'items'), i) }, source, out);
    });
    return;
  }
  out.push(checkShape(loc, source));
}

function checkShape(loc: Located, source: string): Resource {
  const { value, prefix } = loc;
  const where = `document ${loc.document}${prefix ? ` (${prefix})` : ''}`;
  const fail = (path: string, what: string) => {
    const full = prefix && path ? `${prefix}.${path}` : prefix || path;
    const shown = full ? `${full}: ` : '';
    return manifestError(source, loc.line, loc.column, `${where}: ${shown}${what}`, full, { document: loc.document });
  };
  if (!isPlainObject(value)) throw fail('', `a manifest must be an object, got ${describe(value)}`);
  for (const field of ['apiVersion', 'kind'] as const) {
    const v = value[field];
    if (v === undefined || v === null || v === '') throw fail(field, 'required');
    if (typeof v !== 'string') throw fail(field, `must be a string, got ${describe(v)}`);
  }
  const meta = value['metadata'];
  if (meta === undefined || meta === null) throw fail('metadata', 'required (with a name)');
  if (!isPlainObject(meta)) throw fail('metadata', `must be an object, got ${describe(meta)}`);
  const name = meta['name'];
  if (name === undefined || name === null || name === '') {
    const hint = meta['generateName'] !== undefined ? ' (generateName is not supported)' : '';
    throw fail('metadata.name', `required${hint}`);
  }
  if (typeof name !== 'string') throw fail('metadata.name', `must be a string, got ${describe(name)}`);
  return value as Resource;
}

function manifestError(
  source: string,
  line: number,
  column: number,
  what: string,
  path: string,
  extra: Record<string, unknown> = {},
): InferdError {
  return new InferdError('INVALID_MANIFEST', `${source}:${line}:${column}: ${what}`, {
    path,
    line,
    column,
    source,
    ...extra,
  });
}
