// `-f FILE|DIR|-` for apply and delete: each path becomes the documents it holds, named by where they came
// from (the path as typed, or STDIN) so errors can say `error when creating "sklearn.yaml"` like kubectl.
// Parsing itself is src/api/manifest.ts.

import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseManifests } from '../api/manifest.js';
import type { Resource } from '../api/types.js';
import { InferdError, messageOf } from '../errors.js';
import { type CliIo, readAll } from './io.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export interface ManifestDocument {
  /** `sklearn.yaml`, `dir/a.yaml` or `STDIN`. */
  source: string;
  doc: Resource;
}

export interface ManifestReadResult {
  docs: ManifestDocument[];
  /** One message per file that could not be read or parsed (already without the `error: ` prefix). */
  errors: string[];
}

/** Expands a path into files: itself, or a directory's manifest files sorted by name (not recursive). */
async function filesOf(path: string): Promise<string[]> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch {
    throw new InferdError('INVALID_INPUT', `the path "${path}" does not exist`);
  }
  if (!st.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => MANIFEST_EXTENSIONS.has(extname(n).toLowerCase())).sort();
  return names.map((n) => join(path, n));
}

/** Reads and parses every `-f` path in order; unreadable or invalid files are reported, not thrown. */
export async function readManifests(paths: readonly string[], io: CliIo): Promise<ManifestReadResult> {
  const docs: ManifestDocument[] = [];
  const errors: string[] = [];
  let stdinText: string | undefined;
  for (const path of paths) {
    let files: string[];
    try {
      files = path === '-' ? ['-'] : await filesOf(path);
    } catch (err) {
      errors.push(messageOf(err));
      continue;
    }
    for (const file of files) {
      try {
        let text: string;
        if (file === '-') text = stdinText ??= await readAll(io.stdin);
        else text = await readFile(file, 'utf8');
        const source = file === '-' ? 'STDIN' : file;
        for (const doc of parseManifests(text, source)) docs.push({ source, doc });
      } catch (err) {
        errors.push(messageOf(err));
      }
    }
  }
  return { docs, errors };
}
