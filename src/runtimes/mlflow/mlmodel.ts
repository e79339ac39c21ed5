// Reading an MLflow model directory's `MLmodel` file (YAML, MLflow's documented layout) and choosing the
// flavor to serve: the `python_function` flavor's `loader_module` names it (as mlflow.pyfunc.load_model
// does); without one, the first flavor inferd can serve. Every path the file names must stay inside the
// model directory.

import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InferdError } from '../../errors.js';
import { parseSignature, type Signature } from './signature.js';

export const MLMODEL_FILE = 'MLmodel';
/** An MLmodel file is a few KiB; anything this large is not one. */
export const MAX_MLMODEL_BYTES = 1024 * 1024; // 1 MiB

export type FlavorName = 'sklearn' | 'xgboost' | 'lightgbm' | 'onnx';

/** Flavors in the order inferd tries them when no python_function flavor names one. */
export const SERVED_FLAVORS: readonly FlavorName[] = ['sklearn', 'xgboost', 'lightgbm', 'onnx'];

/** python_function `loader_module` → the flavor it loads. */
const LOADER_MODULES: Readonly<Record<string, FlavorName>> = {
  'mlflow.sklearn': 'sklearn',
  'mlflow.xgboost': 'xgboost',
  'mlflow.lightgbm': 'lightgbm',
  'mlflow.onnx': 'onnx',
};

/** The key under each flavor that names its model file. */
const DATA_KEYS: Readonly<Record<FlavorName, string>> = {
  sklearn: 'pickled_model',
  xgboost: 'data',
  lightgbm: 'data',
  onnx: 'data',
};

export type FlavorConfig = Record<string, unknown>;

export interface MlmodelFile {
  flavors: Record<string, FlavorConfig>;
  signature: Signature | null;
  runId: string | null;
  artifactPath: string | null;
  mlflowVersion: string | null;
}

export interface FlavorChoice {
  flavor: FlavorName;
  /** The flavor's own MLmodel section (empty when only python_function describes it). */
  config: FlavorConfig;
  /** Absolute path of the model file, checked to lie inside the model directory. */
  dataPath: string;
  /** python_function `predict_fn` (MLflow 2.x): `predict` unless the model was saved with another. */
  predictFn: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function loadFailed(message: string, reason = 'ModelLoadFailed', cause?: unknown): InferdError {
  return new InferdError('MODEL_LOAD_FAILED', message, cause === undefined ? { reason } : { reason, cause });
}

function unsupported(message: string, extra: Record<string, unknown> = {}): InferdError {
  return new InferdError('UNSUPPORTED', message, { reason: 'UnsupportedModel', ...extra });
}

/** Reads and parses `<modelDir>/MLmodel`. */
export async function readMlmodel(modelDir: string): Promise<MlmodelFile> {
  const info = await stat(modelDir).catch((cause: NodeJS.ErrnoException) => {
    const problem = cause.code === 'ENOENT' ? 'does not exist' : `cannot be read (${cause.code ?? String(cause)})`;
    throw loadFailed(`model directory ${modelDir} ${problem}`, 'ModelMissing', cause);
  });
  if (!info.isDirectory()) {
    throw loadFailed(
      `${modelDir} is a file; an MLflow model is a directory holding an ${MLMODEL_FILE} file (point storageUri at the directory)`,
      'ModelMissing',
    );
  }
  const path = join(modelDir, MLMODEL_FILE);
  const fileInfo = await stat(path).catch(() => null);
  if (!fileInfo?.isFile()) throw loadFailed(await missingMlmodelMessage(modelDir), 'ModelMissing');
  if (fileInfo.size > MAX_MLMODEL_BYTES) {
    throw loadFailed(`${path} is ${fileInfo.size} bytes, more than an MLmodel file may be (${MAX_MLMODEL_BYTES})`);
  }
  const text = await readFile(path, 'utf8');
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (cause) {
    throw loadFailed(`${path} is not valid YAML: ${(cause as Error).message}`, 'ModelLoadFailed', cause);
  }
  return parseMlmodel(doc, path);
}

/** Validates a parsed MLmodel document. `where` names it in messages. */
export function parseMlmodel(doc: unknown, where = MLMODEL_FILE): MlmodelFile {
  if (!isRecord(doc)) throw loadFailed(`${where}: expected a YAML mapping with "flavors"`);
  const flavors = doc.flavors;
  if (!isRecord(flavors) || Object.keys(flavors).length === 0) {
    throw loadFailed(`${where}: no "flavors" mapping; an MLflow model lists at least one flavor`);
  }
  const clean: Record<string, FlavorConfig> = {};
  for (const [name, config] of Object.entries(flavors)) clean[name] = isRecord(config) ? config : {};
  return {
    flavors: clean,
    signature: parseSignature(doc.signature),
    runId: str(doc.run_id),
    artifactPath: str(doc.artifact_path),
    mlflowVersion: str(doc.mlflow_version),
  };
}

/** Picks the flavor to serve and resolves its model file inside `modelDir`. */
export async function chooseFlavor(mlmodel: MlmodelFile, modelDir: string): Promise<FlavorChoice> {
  const pyfunc = mlmodel.flavors.python_function;
  const listed = Object.keys(mlmodel.flavors).join(', ');
  let flavor: FlavorName | undefined;
  if (pyfunc) {
    const loader = str(pyfunc.loader_module);
    flavor = loader ? LOADER_MODULES[loader] : undefined;
    if (!flavor) {
      // A python_function flavor with another loader (a custom PythonModel, pytorch, ...) needs Python. A model
      // that also carries a flavor inferd serves is served through that flavor.
      flavor = SERVED_FLAVORS.find((f) => mlmodel.flavors[f]);
      if (!flavor) {
        throw unsupported(
          `MLflow model with python_function loader_module ${JSON.stringify(loader)} (flavors: ${listed}) ` +
            `is not served natively; inferd serves the MLflow flavors ${SERVED_FLAVORS.join(', ')} ` +
            `(python_function with loader_module ${Object.keys(LOADER_MODULES).join(', ')})`,
          { flavor: loader },
        );
      }
    }
  } else {
    flavor = SERVED_FLAVORS.find((f) => mlmodel.flavors[f]);
    if (!flavor) {
      throw unsupported(
        `MLflow model flavors ${listed}: none is served natively; inferd serves ${SERVED_FLAVORS.join(', ')}`,
        { flavor: listed },
      );
    }
  }
  const config = mlmodel.flavors[flavor] ?? {};
  const key = DATA_KEYS[flavor];
  const rel = str(config[key]) ?? str(pyfunc?.model_path) ?? str(pyfunc?.data);
  if (!rel) {
    throw loadFailed(
      `MLmodel: the ${flavor} flavor names no model file (flavors.${flavor}.${key} or flavors.python_function.model_path)`,
    );
  }
  const dataPath = await resolveInside(modelDir, rel, `flavors.${flavor}.${key}`);
  const predictFn = str(pyfunc?.predict_fn) ?? 'predict';
  return { flavor, config, dataPath, predictFn };
}

/** `rel` resolved under `modelDir`, refusing absolute paths, `..` and links that leave the directory. */
export async function resolveInside(modelDir: string, rel: string, field: string): Promise<string> {
  if (isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) {
    throw loadFailed(`MLmodel ${field}: ${JSON.stringify(rel)} must be a path inside the model directory`);
  }
  const path = join(modelDir, rel);
  let real: string;
  let root: string;
  try {
    [real, root] = await Promise.all([realpath(path), realpath(modelDir)]);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw loadFailed(
      `MLmodel ${field} names ${JSON.stringify(rel)}, which ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`} in ${modelDir}`,
      code === 'ENOENT' ? 'ModelMissing' : 'ModelLoadFailed',
      cause,
    );
  }
  const inside = relative(root, real);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
    throw loadFailed(`MLmodel ${field}: ${JSON.stringify(rel)} leads outside the model directory`);
  }
  return real;
}

/** Says where an MLmodel file is when the directory has none, e.g. when storageUri names the run's artifacts. */
async function missingMlmodelMessage(modelDir: string): Promise<string> {
  let base = `no ${MLMODEL_FILE} file in ${modelDir}: an MLflow model directory holds ${MLMODEL_FILE} (YAML) next to its model files`;
  try {
    const entries = await readdir(modelDir, { withFileTypes: true });
    const found: string[] = [];
    for (const e of entries) {
      if (e.isDirectory() && (await stat(join(modelDir, e.name, MLMODEL_FILE)).catch(() => null))?.isFile()) {
        found.push(e.name);
      }
    }
    if (found.length > 0) {
      base += `; found ${found.map((d) => `${d}/${MLMODEL_FILE}`).join(', ')}: point storageUri at that directory`;
    }
  } catch {
    // the directory listing is only a hint
  }
  return base;
}
