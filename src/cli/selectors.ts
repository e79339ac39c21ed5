// Label and field selectors, applied on the client too: the server is asked to filter (`labelSelector=`,
// `fieldSelector=`), and whatever it could not filter is dropped here, so results are right either way.
// Grammar is kubectl's: `a=b,c!=d,e,!f,g in (x,y),h notin (z)` for labels; `a.b=c,a.b!=c` for fields.

import { InferdError } from '../errors.js';

type Requirement = (get: (key: string) => string | undefined) => boolean;

/** Splits on commas outside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  return terms.map((t) => t.trim()).filter(Boolean);
}

function parseTerm(term: string, allowSets: boolean): Requirement {
  let m = /^(\S+?)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (m) {
    const [, key = '', op, value = ''] = m; // every group takes part in a match; the defaults are for the type
    return op === '!=' ? (get) => get(key) !== value : (get) => get(key) === value;
  }
  if (allowSets) {
    m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const [, key = '', op, list = ''] = m;
      const values = list.split(',').map((v) => v.trim());
      return op === 'in' ? (get) => values.includes(get(key) ?? '\0') : (get) => !values.includes(get(key) ?? '\0');
    }
    m = /^(!?)([A-Za-z0-9._/-]+)$/.exec(term);
    if (m) {
      const [, not, key = ''] = m;
      return not ? (get) => get(key) === undefined : (get) => get(key) !== undefined;
    }
  }
  throw new InferdError('INVALID_INPUT', `unable to parse requirement: "${term}"`);
}

/** A predicate over an object's labels; throws INVALID_INPUT for a malformed selector. */
export function labelMatcher(selector: string | undefined): (labels: Record<string, string> | undefined) => boolean {
  if (!selector) return () => true;
  const reqs = splitTerms(selector).map((t) => parseTerm(t, true));
  return (labels) => reqs.every((r) => r((k) => labels?.[k]));
}

/** A predicate over an object's fields (`metadata.name=x`, `involvedObject.name=x`). */
export function fieldMatcher(selector: string | undefined): (obj: unknown) => boolean {
  if (!selector) return () => true;
  const reqs = splitTerms(selector).map((t) => parseTerm(t, false));
  return (obj) =>
    reqs.every((r) =>
      r((path) => {
        let v: unknown = obj;
        for (const part of path.split('.'))
          v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
        return v === undefined || v === null ? undefined : String(v);
      }),
    );
}
