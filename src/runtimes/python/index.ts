// The Python fallback (DESIGN.md "Runtimes"): scikit-learn models the native runtime does not implement are served
// by a long-lived python3 worker speaking a framed binary protocol over stdio, with restricted unpickling on its
// side too. Importing this module starts nothing; a worker starts when such a model is loaded.

export { PYTHON_FALLBACK_DEFAULTS, type PythonFallbackOptions, withPythonFallback } from './fallback-runtime.js';
export { DEFAULT_CANDIDATES, locateWorkerScript, parsePythonSetting, workerCommand, workerEnv } from './interpreter.js';
export { PythonModel, type PythonModelInfo } from './python-model.js';
export { PythonWorker, type WorkerCommand, type WorkerHello, WorkerStartError } from './python-worker.js';
