// Which interpreter runs the fallback worker: the one configured, or the first of `python3` on PATH and Debian's
// /usr/bin/python3 that imports sklearn, joblib and numpy (the first python3 on PATH may be another one).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const PYTHON_CANDIDATES = ['python3', '/usr/bin/python3'] as const;

/** The first candidate that can import what the worker needs, or null. */
export async function findPython(candidates: readonly string[] = PYTHON_CANDIDATES): Promise<string | null> {
  for (const command of candidates) {
    const ok = await promisify(execFile)(command, ['-c', 'import sklearn, joblib, numpy'], { timeout: 30_000 }).then(
      () => true,
      () => false, // not installed, or without sklearn: try the next one
    );
    if (ok) return command;
  }
  return null;
}
