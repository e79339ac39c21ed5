// `-o jsonpath=TEMPLATE`, the subset of kubectl's JSONPath people use in scripts:
//   {.status.url}   {.items[*].metadata.name}   {.items[0].x}   {.a[-1:]}   {.a['k.with.dots']}
//   {.status.conditions[?(@.type=="Ready")].status}   {range .items[*]}{.metadata.name}{"\n"}{end}
// Not supported: recursive descent (`..`), unions (`[a,b]`), and script expressions beyond one comparison.

import { InferdError } from '../../errors.js';

type Step =
  | { kind: 'key'; key: string }
  | { kind: 'all' }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start?: number; end?: number }
  | { kind: 'filter'; path: Step[]; op?: string; value?: unknown };

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'path'; steps: Step[] }
  | { kind: 'range'; steps: Step[]; body: Node[] };

const bad = (msg: string) => new InferdError('INVALID_INPUT', `error parsing jsonpath: ${msg}`);

function parsePath(expr: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const s = expr.trim();
  if (s[0] === '$' || s[0] === '@') i = 1;
  while (i < s.length) {
    if (s[i] === '.') {
      if (s[i + 1] === '.') throw bad(`recursive descent is not supported in "${expr}"`);
      i++;
      let key = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        key += s[i++];
      }
      if (key) steps.push({ kind: 'key', key });
    } else if (s[i] === '[') {
      const close = s[i + 1] === '?' ? s.indexOf(')]', i) + 1 : s.indexOf(']', i);
      if (close <= i) throw bad(`unterminated [ in "${expr}"`);
      steps.push(parseBracket(s.slice(i + 1, close), expr));
      i = close + 1;
    } else throw bad(`unexpected "${s[i]}" in "${expr}"`);
  }
  return steps;
}

function parseBracket(inner: string, expr: string): Step {
  const t = inner.trim();
  if (t === '*') return { kind: 'all' };
  if (/^-?\d+$/.test(t)) return { kind: 'index', index: Number(t) };
  let m = /^(-?\d*):(-?\d*)$/.exec(t);
  if (m) return { kind: 'slice', start: m[1] ? Number(m[1]) : undefined, end: m[2] ? Number(m[2]) : undefined };
  m = /^'(.*)'$/.exec(t) ?? /^"(.*)"$/.exec(t);
  if (m) return { kind: 'key', key: m[1]! }; // group 1 always takes part in a match
  m = /^\?\((@[^=!<>]*?)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)$/.exec(t);
  if (m) {
    const value = m[3] === undefined ? undefined : parseLiteral(m[3]);
    return { kind: 'filter', path: parsePath(m[1]!), op: m[2], value }; // group 1 is not optional
  }
  throw bad(`unsupported [${inner}] in "${expr}"`);
}

function parseLiteral(text: string): unknown {
  const t = text.trim();
  if (/^'.*'$/.test(t)) return t.slice(1, -1);
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

function compare(a: unknown, op: string, b: unknown): boolean {
  const [x, y] = typeof b === 'number' ? [Number(a), b] : [a, b];
  switch (op) {
    case '==':
      return String(x) === String(y);
    case '!=':
      return String(x) !== String(y);
    case '<':
      return (x as number) < (y as number);
    case '>':
      return (x as number) > (y as number);
    case '<=':
      return (x as number) <= (y as number);
    default:
      return (x as number) >= (y as number);
  }
}

function evaluate(steps: readonly Step[], roots: unknown[]): unknown[] {
  let cur = roots;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (step.kind === 'key') {
        if (v && typeof v === 'object' && !Array.isArray(v) && step.key in v)
          next.push((v as Record<string, unknown>)[step.key]);
      } else if (Array.isArray(v)) {
        if (step.kind === 'all') next.push(...v);
        else if (step.kind === 'index') {
          const at = v.at(step.index);
          if (at !== undefined) next.push(at);
        } else if (step.kind === 'slice') next.push(...v.slice(step.start, step.end));
        else for (const el of v) if (matches(step, el)) next.push(el);
      } else if (step.kind === 'all' && v && typeof v === 'object') next.push(...Object.values(v));
    }
    cur = next;
  }
  return cur;
}

function matches(step: Extract<Step, { kind: 'filter' }>, el: unknown): boolean {
  const found = evaluate(step.path, [el]);
  if (!step.op) return found.length > 0 && found[0] !== false && found[0] !== null;
  return found.some((f) => compare(f, step.op!, step.value));
}

/** Splits `a{.x}b{range .items[*]}{.y}{end}` into nodes. */
function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      stack.at(-1)!.push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) stack.at(-1)!.push({ kind: 'text', text: template.slice(i, open) });
    const close = findClose(template, open);
    const expr = template.slice(open + 1, close).trim();
    i = close + 1;
    if (/^".*"$/s.test(expr) || /^'.*'$/s.test(expr)) {
      stack.at(-1)!.push({ kind: 'text', text: unescapeText(expr.slice(1, -1)) });
    } else if (expr.startsWith('range ')) {
      const node: Node = { kind: 'range', steps: parsePath(expr.slice(6)), body: [] };
      stack.at(-1)!.push(node);
      stack.push(node.body);
    } else if (expr === 'end') {
      if (stack.length === 1) throw bad('{end} without {range}');
      stack.pop();
    } else stack.at(-1)!.push({ kind: 'path', steps: parsePath(expr) });
  }
  if (stack.length > 1) throw bad('{range} without {end}');
  return root;
}

function findClose(template: string, open: number): number {
  let quote = '';
  for (let i = open + 1; i < template.length; i++) {
    const ch = template[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '}') return i;
  }
  throw bad(`unclosed { in "${template}"`);
}

const unescapeText = (s: string): string =>
  s.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c as 'n'] ?? c);

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

function render(nodes: readonly Node[], data: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'path') out += evaluate(n.steps, [data]).map(show).join(' ');
    else for (const item of evaluate(n.steps, [data])) out += render(n.body, item);
  }
  return out;
}

/** Renders a kubectl JSONPath template (`{.status.url}`) against `data`. Throws INVALID_INPUT when malformed. */
export function renderJsonPath(template: string, data: unknown): string {
  return render(parseTemplate(template), data);
}
