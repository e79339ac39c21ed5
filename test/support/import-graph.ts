// The import graph of src/ and the rules DESIGN.md sets on it, as pure functions so test/architecture.test.ts
// can check both the real tree and synthetic graphs (a checker that never fails proves nothing).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

/** One import of `from` (a path relative to src/, `/`-separated) naming `to`. */
export interface ImportEdge {
  from: string;
  to: string;
  /** Erased at compile time (`import type`, or every named binding is `type`): no runtime dependency. */
  typeOnly: boolean;
  line: number;
}

export interface RawImport {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

/**
 * Every module specifier a file names: static imports (side-effect ones too), `export … from`, and dynamic
 * `import('…')` with a literal argument. A dynamic import of a computed specifier (mlflow loading user code)
 * names no inferd module and is left out.
 */
export function importsOf(fileName: string, text: string): RawImport[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: RawImport[] = [];
  const lineOf = (node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      let typeOnly = false;
      if (clause) {
        const named = clause.namedBindings;
        typeOnly =
          clause.isTypeOnly ||
          (!clause.name &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly));
      }
      out.push({ specifier: node.moduleSpecifier.text, typeOnly, line: lineOf(node) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const typeOnly =
        node.isTypeOnly ||
        (clause !== undefined &&
          ts.isNamedExports(clause) &&
          clause.elements.length > 0 &&
          clause.elements.every((e) => e.isTypeOnly));
      out.push({ specifier: node.moduleSpecifier.text, typeOnly, line: lineOf(node) });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteralLike(node.arguments[0]!)
    ) {
      out.push({ specifier: node.arguments[0].text, typeOnly: false, line: lineOf(node) });
    } else if (ts.isImportTypeNode(node)) {
      // `typeof import('./x.js')` in a type position: erased.
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) {
        out.push({ specifier: arg.literal.text, typeOnly: true, line: lineOf(node) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return listTs(p);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const toPosix = (p: string) => p.split(sep).join('/');

/**
 * The graph of every .ts file under `srcDir`. Relative specifiers are resolved the NodeNext way (`./x.js` is
 * `./x.ts`); one that names no file under src/ is returned in `unresolved`, so a renamed file cannot silently
 * drop out of the check. Package and `node:` specifiers are not edges.
 */
export function readImportGraph(srcDir: string): { files: string[]; edges: ImportEdge[]; unresolved: string[] } {
  const files = listTs(srcDir).map((f) => toPosix(relative(srcDir, f)));
  const edges: ImportEdge[] = [];
  const unresolved: string[] = [];
  for (const file of files) {
    const abs = join(srcDir, file);
    for (const imp of importsOf(abs, readFileSync(abs, 'utf8'))) {
      if (!imp.specifier.startsWith('.')) continue;
      const target = join(dirname(abs), imp.specifier.replace(/\.js$/, '.ts'));
      const rel = toPosix(relative(srcDir, target));
      if (rel.startsWith('..')) {
        unresolved.push(`${file}:${imp.line} imports ${imp.specifier}, outside src/`);
      } else if (!existsSync(target)) {
        // Non-code assets (a .proto, worker.py) are read at run time, not imported; an import names code.
        unresolved.push(`${file}:${imp.line} imports ${imp.specifier}, which is no file`);
      } else {
        edges.push({ from: file, to: rel, typeOnly: imp.typeOnly, line: imp.line });
      }
    }
  }
  return { files, edges, unresolved };
}

/** `api/kinds.ts` → `api`; a file at the root of src/ (`config.ts`) is its own unit. */
export function topFolder(file: string): string {
  const i = file.indexOf('/');
  return i < 0 ? file : file.slice(0, i);
}

export interface ArchitectureRules {
  /** Modules that import no other inferd module and that any folder may use. */
  leaves: readonly string[];
  /** Folders that may import only themselves and `leaves`. */
  pureFolders: readonly string[];
  /** `folder → folders` it must not import. */
  forbidden: Readonly<Record<string, readonly string[]>>;
  /** Folders nothing outside them may import. */
  sealed: readonly string[];
  /** Known violations, `from → to` by file, each to be removed by a later change. */
  allowed: readonly string[];
}

export const edgeName = (e: Pick<ImportEdge, 'from' | 'to'>) => `${e.from} → ${e.to}`;

/**
 * Violations of `rules`, one line each, sorted. Type-only edges are exempt from nothing except the cycle
 * check: a type import still couples the folders' sources. Allow-listed edges are reported when they no
 * longer exist, so the list shrinks as the code is fixed.
 */
export function checkArchitecture(edges: readonly ImportEdge[], rules: ArchitectureRules): string[] {
  const problems: string[] = [];
  const allowed = new Set(rules.allowed);
  const seenAllowed = new Set<string>();
  const where = (e: ImportEdge) => `${e.from}:${e.line} imports ${e.to}`;
  for (const leaf of rules.leaves) {
    for (const e of edges) if (e.from === leaf) problems.push(`${where(e)}: ${leaf} is a leaf and imports nothing`);
  }
  for (const e of edges) {
    const from = topFolder(e.from);
    const to = topFolder(e.to);
    if (from === to) continue;
    const name = edgeName(e);
    const reasons: string[] = [];
    if (rules.pureFolders.includes(from) && !rules.leaves.includes(e.to)) {
      reasons.push(`${from}/ imports only itself and the leaves (${rules.leaves.join(', ')})`);
    }
    if (rules.forbidden[from]?.includes(to)) reasons.push(`${from}/ must not import ${to}/`);
    if (rules.sealed.includes(to)) reasons.push(`nothing outside ${to}/ imports it`);
    if (reasons.length === 0) continue;
    if (allowed.has(name)) {
      seenAllowed.add(name);
      continue;
    }
    problems.push(`${where(e)}: ${reasons.join('; ')}`);
  }
  for (const name of allowed) {
    if (!seenAllowed.has(name)) problems.push(`allow-listed ${name} is no longer a violation: remove it from the list`);
  }
  for (const cycle of folderCycles(edges.filter((e) => !allowed.has(edgeName(e))))) {
    problems.push(`runtime import cycle between folders: ${cycle.join(' → ')}`);
  }
  return problems.sort();
}

/**
 * Cycles among top-level folders over runtime (not type-only) edges: each strongly connected component of more
 * than one folder, as one cycle through it starting at its smallest name.
 */
export function folderCycles(edges: readonly ImportEdge[]): string[][] {
  const adj = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.typeOnly) continue;
    const a = topFolder(e.from);
    const b = topFolder(e.to);
    if (a === b) continue;
    if (!adj.has(a)) adj.set(a, new Set());
    if (!adj.has(b)) adj.set(b, new Set());
    adj.get(a)!.add(b);
  }
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const sccs: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of [...adj.get(v)!].sort()) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) sccs.push(scc);
    }
  };
  for (const v of [...adj.keys()].sort()) if (!idx.has(v)) strong(v);
  return sccs.map((scc) => cyclePath(scc.sort(), adj));
}

/** A path from the smallest member back to itself inside the component (breadth-first, so shortest). */
function cyclePath(scc: string[], adj: Map<string, Set<string>>): string[] {
  const members = new Set(scc);
  const [start] = scc;
  if (start === undefined) return []; // components come with two or more members
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...adj.get(v)!].sort()) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...scc, start];
}
