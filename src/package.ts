// inferd's package root, version (`GET /v2`, gRPC ServerMetadata) and assets, found once from the package.json
// above this module: the same file whether it runs from src/ or dist/src/, from a checkout or from an
// installed package. Files that ship beside the code (the gRPC proto, worker.py, the demo model) are assets:
// paths relative to the root, as package.json's "files" lists them. A leaf: it imports no inferd module.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string | undefined; version: string } | undefined;

function find(): { root: string | undefined; version: string } {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'inferd' && typeof pkg.version === 'string') {
        cached = { root: dir, version: pkg.version };
        return cached;
      }
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) {
      cached = { root: undefined, version: '0.0.0' };
      return cached;
    }
    dir = parent;
  }
}

export function packageVersion(): string {
  return find().version;
}

/** The directory holding inferd's package.json; throws when there is none above this module. */
export function packageRoot(): string {
  const root = find().root;
  if (!root) throw new Error(`no inferd package.json above ${fileURLToPath(import.meta.url)}`);
  return root;
}

/** An absolute path to a file shipped with the package (`relative` as package.json's "files" spells it). */
export function asset(relative: string): string {
  return join(packageRoot(), relative);
}
