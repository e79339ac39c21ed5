// withPythonFallback(native): a runtime that loads with the native one and, only when that answers UNSUPPORTED
// (a scikit-learn class it does not implement), serves the model from a Python worker instead. Anything else the
// native runtime refuses stays refused: an UNSAFE_MODEL pickle (posix.system, builtins.eval, ...) never reaches
// Python, nor does a corrupt or unreadable file. The native reader reads the whole pickle before it reports
// UNSUPPORTED, so an unsafe name anywhere in the file wins over an unsupported one.

import { InferdError, isInferdError, messageOf } from '../../errors.js';
import type { LoadOptions, Model, RuntimeFactory } from '../model.js';
import { findModelFile } from '../sklearn/model-file.js';
import {
  DEFAULT_CANDIDATES,
  locateWorkerScript,
  type PythonSetting,
  parsePythonSetting,
  workerCommand,
  workerEnv,
} from './interpreter.js';
import { PythonModel } from './python-model.js';
import { PythonWorker, WorkerStartError } from './python-worker.js';

export interface PythonFallbackOptions {
  /** Interpreter path, or `off`; `INFERD_PYTHON` in the load's env takes precedence. Unset: discover. */
  python?: string;
  /** Interpreters tried in order when none is set (default /usr/bin/python3, then python3). */
  candidates?: readonly string[];
  /** Per predict request (default 60 s); past it the request gets TIMEOUT and the worker is restarted. */
  requestTimeoutMs?: number;
  /** Starting Python and importing scikit-learn (default 60 s). */
  startTimeoutMs?: number;
  /** Unpickling the model in the worker (default 120 s). */
  loadTimeoutMs?: number;
  /**
   * Tests and benchmarks only: serve through Python even a model the native runtime supports. The native load
   * still runs first, as the safety gate, and its result is discarded.
   */
  preferPython?: boolean;
  /** Where PATH and HOME come from for starting Python (default: this process's environment). */
  processEnv?: Record<string, string | undefined>;
  /** The worker script (default: worker.py shipped beside this module). */
  workerScript?: string;
}

export const PYTHON_FALLBACK_DEFAULTS = {
  requestTimeoutMs: 60_000,
  startTimeoutMs: 60_000,
  loadTimeoutMs: 120_000,
} as const;

const OR_ONNX = 'or convert the model to ONNX and serve it as modelFormat onnx';

/** Wraps `native` so that models it cannot serve (UNSUPPORTED) are served by a Python worker. */
export function withPythonFallback(native: RuntimeFactory, options: PythonFallbackOptions = {}): RuntimeFactory {
  const resolver = new InterpreterResolver(options);
  return {
    name: native.name,
    formats: native.formats,
    async load(opts: LoadOptions): Promise<Model> {
      let nativeModel: Model | undefined;
      let unsupported: InferdError | undefined;
      try {
        nativeModel = await native.load(opts);
      } catch (err) {
        if (!isInferdError(err) || err.code !== 'UNSUPPORTED') throw err;
        unsupported = err;
      }
      if (nativeModel && !options.preferPython) return nativeModel;
      await nativeModel?.unload?.();
      return loadInPython(opts, unsupported, resolver, options);
    },
  };
}

async function loadInPython(
  opts: LoadOptions,
  unsupported: InferdError | undefined,
  resolver: InterpreterResolver,
  options: PythonFallbackOptions,
): Promise<Model> {
  const setting = parsePythonSetting(
    opts.env?.INFERD_PYTHON ?? options.python,
    opts.env?.INFERD_PYTHON !== undefined ? 'INFERD_PYTHON' : 'python option',
    options.candidates,
  );
  const what = describeUnsupported(unsupported, opts.name);
  if (setting.kind === 'off') {
    throw withNote(
      unsupported,
      `${what}, and the Python fallback is off (${setting.source}=off). To serve this model, start inferd serve with --python PATH (or set INFERD_PYTHON) to a Python that has scikit-learn (on Debian: /usr/bin/python3 after apt-get install python3-sklearn), ${OR_ONNX}`,
      'off',
    );
  }
  const modelPath = await findModelFile(opts.modelDir);
  const env = workerEnv(options.processEnv ?? process.env, opts.env);
  const startWorker = () => resolver.start(setting, env);
  try {
    return await PythonModel.create({
      name: opts.name,
      modelPath,
      predictProba: (opts.env?.PREDICT_PROBA ?? 'false').toLowerCase() === 'true',
      startWorker,
      requestTimeoutMs: options.requestTimeoutMs ?? PYTHON_FALLBACK_DEFAULTS.requestTimeoutMs,
      loadTimeoutMs: options.loadTimeoutMs ?? PYTHON_FALLBACK_DEFAULTS.loadTimeoutMs,
    });
  } catch (err) {
    if (err instanceof WorkerStartError || err instanceof NoPythonError) {
      throw withNote(
        unsupported,
        `${what}, and no Python fallback could be started: ${err.message}. To serve this model, install scikit-learn for that Python (on Debian: apt-get install python3-sklearn) or pass --python PATH (INFERD_PYTHON) naming one that has it, ${OR_ONNX}`,
        'unavailable',
      );
    }
    if (isInferdError(err)) {
      // The worker refused or failed to load it: keep the code (UNSAFE_MODEL stays UNSAFE_MODEL), say both sides.
      throw new InferdError(err.code, `${what}; the Python fallback could not load it either: ${err.message}`, {
        ...err.details,
        reason: err.code === 'UNSAFE_MODEL' ? 'UnsafeModel' : 'ModelLoadFailed',
        ...(unsupported ? { classNames: unsupported.details.classNames } : {}),
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * What the native runtime could not do, from the classes it named (its message may carry its own notes); the
 * model's name when it could (preferPython).
 */
function describeUnsupported(unsupported: InferdError | undefined, name: string): string {
  if (!unsupported) return `model ${name}`;
  const classes = unsupported.details.classNames;
  if (Array.isArray(classes) && classes.length > 0) {
    return `the native sklearn runtime does not implement ${classes.map((c) => `'${String(c)}'`).join(', ')}`;
  }
  return unsupported.message;
}

function withNote(unsupported: InferdError | undefined, message: string, python: 'off' | 'unavailable'): InferdError {
  return new InferdError('UNSUPPORTED', message, {
    ...(unsupported?.details ?? {}),
    reason: 'UnsupportedModel',
    python,
    ...(unsupported ? { cause: unsupported } : {}),
  });
}

class NoPythonError extends Error {}

/**
 * Starts workers with the configured interpreter, or finds the first candidate that can serve and remembers it
 * for the runtime's lifetime (each probe imports scikit-learn, about a second).
 */
class InterpreterResolver {
  readonly #options: PythonFallbackOptions;
  #discovered: string | null = null;
  #script: string | null = null;

  constructor(options: PythonFallbackOptions) {
    this.#options = options;
  }

  async start(setting: PythonSetting, env: Record<string, string>): Promise<PythonWorker> {
    this.#script ??= this.#options.workerScript ?? locateWorkerScript();
    const startTimeoutMs = this.#options.startTimeoutMs ?? PYTHON_FALLBACK_DEFAULTS.startTimeoutMs;
    const start = (python: string) => PythonWorker.start(workerCommand(python, this.#script!, env), { startTimeoutMs });
    if (setting.kind === 'path') {
      try {
        return await start(setting.path);
      } catch (err) {
        throw new NoPythonError(`${setting.source}=${setting.path}: ${messageOf(err)}`);
      }
    }
    if (setting.kind === 'off') throw new NoPythonError('the Python fallback is off');
    if (this.#discovered) return start(this.#discovered);
    const tried: string[] = [];
    for (const candidate of setting.candidates.length > 0 ? setting.candidates : DEFAULT_CANDIDATES) {
      try {
        const worker = await start(candidate);
        this.#discovered = candidate;
        return worker;
      } catch (err) {
        tried.push(messageOf(err));
      }
    }
    throw new NoPythonError(`tried ${tried.join('; ')}`);
  }
}
