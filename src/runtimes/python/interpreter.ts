// Which Python runs the fallback worker, and how it is started. `INFERD_PYTHON` (a runtime env key, passed from
// `inferd serve` to every replica) is a path, or `off`; unset, the first of /usr/bin/python3 and python3 whose
// worker starts (that is, which can import scikit-learn) is used: on Debian the first python3 on PATH may be a
// pyenv or venv one without it, while /usr/bin/python3 has python3-sklearn.

import { existsSync } from 'node:fs';
import { asset } from '../../package.js';
import type { WorkerCommand } from './python-worker.js';

export type PythonSetting =
  | { kind: 'off'; source: string }
  | { kind: 'path'; path: string; source: string }
  | { kind: 'discover'; candidates: readonly string[] };

const WORKER_SCRIPT = 'src/runtimes/python/worker.py';

export const DEFAULT_CANDIDATES = ['/usr/bin/python3', 'python3'] as const;

const OFF_VALUES = new Set(['off', 'false', 'no', 'none', '0', 'disabled']);

/** `INFERD_PYTHON` (or the runtime option) → what to run. */
export function parsePythonSetting(
  value: string | undefined,
  source: string,
  candidates: readonly string[] = DEFAULT_CANDIDATES,
): PythonSetting {
  const text = value?.trim() ?? '';
  if (text === '') return { kind: 'discover', candidates };
  if (OFF_VALUES.has(text.toLowerCase())) return { kind: 'off', source };
  return { kind: 'path', path: text, source };
}

/**
 * Environment the worker gets: enough to find and run Python (PATH, HOME, locale, pyenv's shims) and the BLAS and
 * OpenMP settings; never the replica's storage credentials or other secrets. The BLAS settings matter beyond
 * threads: OPENBLAS_CORETYPE picks the kernels, and with them the last bits of libsvm's probabilities.
 */
const PASSED_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TMPDIR',
  'TEMP',
  'TMP',
  'SYSTEMROOT',
  'PYENV_ROOT',
  'PYENV_VERSION',
] as const;
const PASSED_ENV_PREFIXES = ['OMP_', 'OPENBLAS_', 'GOTO_', 'MKL_', 'BLIS_', 'NVPL_'] as const;

export function workerEnv(
  ...sources: ReadonlyArray<Record<string, string | undefined> | undefined>
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of sources) {
    if (!source) continue;
    for (const [key, v] of Object.entries(source)) {
      const passed =
        (PASSED_ENV as readonly string[]).includes(key) || PASSED_ENV_PREFIXES.some((p) => key.startsWith(p));
      if (passed && v !== undefined) env[key] = v;
    }
  }
  return env;
}

/**
 * `python -I -B -X faulthandler worker.py`: isolated mode ignores PYTHON* variables, the user's site-packages and
 * the current directory (nothing on sys.path that the model directory could plant); no .pyc is written; a
 * segfault in a C extension leaves a traceback in the error the caller sees.
 */
export function workerCommand(python: string, script: string, env: Record<string, string>): WorkerCommand {
  return { command: python, args: ['-I', '-B', '-X', 'faulthandler', script], env };
}

/** worker.py: it ships with the package under src/ (package.json "files"), beside dist/ when built. */
export function locateWorkerScript(): string {
  const found = asset(WORKER_SCRIPT);
  if (!existsSync(found)) throw new Error(`worker.py not found (looked at ${found})`);
  return found;
}
