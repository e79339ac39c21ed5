// Finding the model file in a model directory the way KServe's sklearnserver does (model.py: exactly one regular
// file ending in .joblib, .pkl or .pickle), and reading it within a size limit.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InferdError } from '../../errors.js';
import { MAX_UNCOMPRESSED_MODEL_BYTES } from './pickle/joblib-container.js';

export const MODEL_EXTENSIONS = ['.joblib', '.pkl', '.pickle'] as const;

const hasModelExtension = (name: string) => MODEL_EXTENSIONS.some((ext) => name.endsWith(ext));

/** The one model file in `modelDir` (or `modelDir` itself when it is such a file). */
export async function findModelFile(modelDir: string): Promise<string> {
  const info = await stat(modelDir).catch((cause: NodeJS.ErrnoException) => {
    const problem = cause.code === 'ENOENT' ? 'does not exist' : `cannot be read (${cause.code ?? String(cause)})`;
    throw new InferdError('MODEL_LOAD_FAILED', `model directory ${modelDir} ${problem}`, {
      reason: 'ModelMissing',
      cause,
    });
  });
  if (info.isFile() && hasModelExtension(modelDir)) return modelDir;

  const names = (await readdir(modelDir)).filter(hasModelExtension).sort();
  const files: string[] = [];
  for (const name of names) {
    const path = join(modelDir, name);
    // os.path.isfile follows symlinks; so does stat. Directories named model.pkl do not count.
    if ((await stat(path).catch(() => null))?.isFile()) files.push(path);
  }
  if (files.length === 0) {
    throw new InferdError(
      'MODEL_LOAD_FAILED',
      `no model found in ${modelDir}: expected a file ending in ${MODEL_EXTENSIONS.join(', ')}`,
      { reason: 'ModelMissing' },
    );
  }
  if (files.length > 1) {
    throw new InferdError(
      'MODEL_LOAD_FAILED',
      `More than one model file is detected, Only one is allowed within model_dir: ${files.join(', ')}`,
      { reason: 'ModelLoadFailed' },
    );
  }
  return files[0]!;
}

export async function readModelFile(path: string): Promise<Buffer> {
  const { size } = await stat(path);
  if (size > MAX_UNCOMPRESSED_MODEL_BYTES) {
    throw new InferdError(
      'MODEL_LOAD_FAILED',
      `${path} is ${size} bytes, more than the native sklearn runtime loads (${MAX_UNCOMPRESSED_MODEL_BYTES})`,
      { reason: 'ModelLoadFailed' },
    );
  }
  return readFile(path);
}
