// The part of GJSON (tidwall/gjson, what KServe's router evaluates a step's `condition` with) that graph
// conditions use, on an already-parsed JSON value. No npm package implements GJSON's syntax (checked: `gjson`
// on npm is an unrelated GraphQL-like tool), so this is the subset, documented in docs/graphs.md:
//   keys `a.b.c` (`\.` escapes a dot, `*` and `?` wildcards), array indexes `items.0`, `#` (length, or
//   `#.key` over every element), queries `#(key==value)` (first match) and `#(key==value)#` (all matches)
//   with `==` `=` `!=` `<` `<=` `>` `>=` `%` `!%` (pattern) or no operator (the key exists), nested queries,
//   `|` as a separator, multipaths `[a,b]` and `{a,b}`, and the modifiers `@this`, `@reverse`, `@keys`,
//   `@values`, `@flatten`.
// Not supported (no match): JSON Lines `..`, the `~` truthiness operator, other modifiers, literals `!true`.

/** A GJSON result: `undefined` when the path does not exist (gjson's `Exists() == false`). */
export type GjsonResult = unknown;

/** gjson.Get(json, path).Exists() on a parsed document. */
export function gjsonExists(doc: unknown, path: string): boolean {
  return gjsonGet(doc, path) !== undefined;
}

/** gjson.Get on a parsed document: the value at `path`, or undefined when it does not exist. */
export function gjsonGet(doc: unknown, path: string): GjsonResult {
  if (path === '') return undefined;
  return walk(doc, path);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Index just past the bracket closing the one at `open` (strings and nesting respected); -1 when unclosed. */
function closing(path: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  const stack: string[] = [];
  for (let i = open; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '"') {
      for (i++; i < path.length && path[i] !== '"'; i++) if (path[i] === '\\') i++;
      continue;
    }
    if (pairs[c]) stack.push(pairs[c]!);
    else if (c === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

/** The rest of a path after a component ending at `end`: past one `.` or `|`; undefined when nothing follows. */
function restAfter(path: string, end: number): string | undefined | null {
  if (end >= path.length) return undefined;
  const c = path[end];
  if (c === '.' || c === '|') return path.slice(end + 1);
  return null; // garbage after a component: no match
}

function walk(value: unknown, path: string): GjsonResult {
  if (value === undefined) return undefined;
  const first = path[0];
  if (first === '@') return modifier(value, path);
  if (first === '[' || first === '{') {
    const end = closing(path, 0);
    if (end < 0) return undefined;
    const parts = splitTop(path.slice(1, end - 1));
    let out: unknown;
    if (first === '[') out = parts.map((p) => walk(value, p)).filter((v) => v !== undefined);
    else {
      const obj: Record<string, unknown> = {};
      for (const p of parts) {
        const v = walk(value, p);
        if (v !== undefined) obj[lastKey(p)] = v;
      }
      out = obj;
    }
    const rest = restAfter(path, end);
    if (rest === null) return undefined;
    return rest === undefined ? out : walk(out, rest);
  }
  if (first === '#') {
    if (!Array.isArray(value)) return undefined;
    if (path[1] === '(') {
      const end = closing(path, 1);
      if (end < 0) return undefined;
      const query = path.slice(2, end - 1);
      const all = path[end] === '#';
      const after = all ? end + 1 : end;
      const rest = restAfter(path, after);
      if (rest === null) return undefined;
      if (all) {
        const matches = value.filter((el) => queryMatches(el, query));
        return rest === undefined ? matches : matches.map((m) => walk(m, rest)).filter((v) => v !== undefined);
      }
      const match = value.find((el) => queryMatches(el, query));
      if (match === undefined) return undefined;
      return rest === undefined ? match : walk(match, rest);
    }
    const rest = restAfter(path, 1);
    if (rest === null) return undefined;
    if (rest === undefined) return value.length;
    return value.map((el) => walk(el, rest)).filter((v) => v !== undefined);
  }
  // A key: up to an unescaped `.` or `|`.
  let key = '';
  let wild = false;
  let i = 0;
  for (; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && i + 1 < path.length) {
      key += path[++i];
      continue;
    }
    if (c === '.' || c === '|') break;
    if (c === '*' || c === '?') wild = true;
    key += c;
  }
  const rest = i < path.length ? path.slice(i + 1) : undefined;
  let next: unknown;
  if (Array.isArray(value)) {
    if (!/^\d+$/.test(key)) return undefined;
    next = value[Number(key)];
  } else if (isObj(value)) {
    if (wild) {
      const k = Object.keys(value).find((name) => wildcardMatch(name, key));
      next = k === undefined ? undefined : value[k];
    } else next = Object.hasOwn(value, key) ? value[key] : undefined;
  } else return undefined;
  if (next === undefined) return undefined;
  return rest === undefined ? next : walk(next, rest);
}

function modifier(value: unknown, path: string): GjsonResult {
  let end = 1;
  while (end < path.length && path[end] !== '.' && path[end] !== '|' && path[end] !== ':') end++;
  const name = path.slice(1, end);
  let out: unknown;
  switch (name) {
    case 'this':
      out = value;
      break;
    case 'reverse':
      out = Array.isArray(value)
        ? [...value].reverse()
        : isObj(value)
          ? Object.fromEntries(Object.entries(value).reverse())
          : value;
      break;
    case 'keys':
      out = isObj(value) ? Object.keys(value) : [];
      break;
    case 'values':
      out = isObj(value) ? Object.values(value) : [];
      break;
    case 'flatten':
      out = Array.isArray(value) ? value.flat() : value;
      break;
    default:
      return undefined;
  }
  if (path[end] === ':') return undefined; // modifier arguments: not in the subset
  const rest = restAfter(path, end);
  if (rest === null) return undefined;
  return rest === undefined ? out : walk(out, rest);
}

/** Splits a multipath's inside at top-level commas. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      i++;
    } else if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '(' || c === '[' || c === '{') {
      const end = closing(s, i);
      if (end < 0) break;
      i = end - 1;
    } else if (c === ',') {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((p) => p.trim()).filter((p) => p !== '');
}

function lastKey(path: string): string {
  const parts = path.split(/(?<!\\)[.|]/);
  return (parts[parts.length - 1] ?? path).replace(/\\(.)/g, '$1');
}

const OPS = ['==', '!=', '<=', '>=', '!%', '=', '<', '>', '%'] as const;

/** Whether an array element passes a `#(...)` query. */
function queryMatches(el: unknown, query: string): boolean {
  // The operator is the first one at the top level (not inside quotes or a nested query).
  let opAt = -1;
  let op = '';
  for (let i = 0; i < query.length && opAt < 0; i++) {
    const c = query[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '"') {
      for (i++; i < query.length && query[i] !== '"'; i++) if (query[i] === '\\') i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') {
      i = closing(query, i) - 1;
      if (i < 0) return false;
      continue;
    }
    for (const o of OPS) {
      if (query.startsWith(o, i)) {
        opAt = i;
        op = o;
        break;
      }
    }
  }
  const left = (opAt < 0 ? query : query.slice(0, opAt)).trim();
  const got = left === '' ? el : walk(el, left);
  if (got === undefined) return false;
  if (opAt < 0) return true;
  let raw = query.slice(opAt + op.length).trim();
  if (raw.startsWith('"')) {
    try {
      raw = JSON.parse(raw) as string;
    } catch {
      raw = raw.slice(1, raw.endsWith('"') ? -1 : undefined);
    }
  }
  return compare(got, op === '==' ? '=' : op, raw);
}

/** gjson's queryMatches by the element's type. */
function compare(v: unknown, op: string, rpv: string): boolean {
  if (typeof v === 'string') {
    switch (op) {
      case '=':
        return v === rpv;
      case '!=':
        return v !== rpv;
      case '<':
        return v < rpv;
      case '<=':
        return v <= rpv;
      case '>':
        return v > rpv;
      case '>=':
        return v >= rpv;
      case '%':
        return wildcardMatch(v, rpv);
      case '!%':
        return !wildcardMatch(v, rpv);
    }
    return false;
  }
  if (typeof v === 'number') {
    const n = Number.parseFloat(rpv);
    const r = Number.isNaN(n) ? 0 : n; // Go's ParseFloat error leaves 0
    switch (op) {
      case '=':
        return v === r;
      case '!=':
        return v !== r;
      case '<':
        return v < r;
      case '<=':
        return v <= r;
      case '>':
        return v > r;
      case '>=':
        return v >= r;
    }
    return false;
  }
  if (typeof v === 'boolean') {
    const s = String(v);
    switch (op) {
      case '=':
        return rpv === s;
      case '!=':
        return rpv !== s;
      case '>':
        return v && rpv === 'false';
      case '>=':
        return v || rpv === 'false' ? rpv === 'false' || rpv === s : false;
      case '<':
        return !v && rpv === 'true';
      case '<=':
        return !v || rpv === 'true';
    }
  }
  return false;
}

/** tidwall/match: `*` any run, `?` one character. */
function wildcardMatch(s: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[\\s\\S]*')
      .replace(/\?/g, '[\\s\\S]')}$`,
  );
  return re.test(s);
}
