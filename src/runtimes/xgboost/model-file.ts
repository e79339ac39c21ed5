// Finding the one model file in a model directory the way KServe's xgbserver and lgbserver do (exactly one
// regular file with a known extension; none is ModelMissing, several is an error naming them), and reading it
// within a size limit. Shared by the xgboost and lightgbm runtimes.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InferdError } from '../../errors.js';

/** Model files above this are refused before reading (Node cannot hold much more in one Buffer anyway). */
export const MAX_MODEL_FILE_BYTES = 1024 * 1024 * 1024; // 1 GiB

/** The one file in `modelDir` ending in one of `extensions` (or `modelDir` itself when it is such a file). */
export async function findModelFile(modelDir: string, extensions: readonly string[]): Promise<string> {
  const matches = (name: string) => extensions.some((ext) => name.toLowerCase().endsWith(ext));
  const info = await stat(modelDir).catch((cause: NodeJS.ErrnoException) => {
    const problem = cause.code === 'ENOENT' ? 'does not exist' : `cannot be read (${cause.code ?? String(cause)})`;
    throw new InferdError('MODEL_LOAD_FAILED', `model directory ${modelDir} ${problem}`, {
      reason: 'ModelMissing',
      cause,
    });
  });
  if (info.isFile()) {
    if (matches(modelDir)) return modelDir;
    throw new InferdError('MODEL_LOAD_FAILED', `${modelDir} is not a model file ending in ${extensions.join(', ')}`, {
      reason: 'ModelMissing',
    });
  }

  const files: string[] = [];
  for (const name of (await readdir(modelDir)).filter(matches).sort()) {
    const path = join(modelDir, name);
    // os.path.isfile follows symlinks; so does stat. A directory named model.json does not count.
    if ((await stat(path).catch(() => null))?.isFile()) files.push(path);
  }
  if (files.length === 0) {
    throw new InferdError(
      'MODEL_LOAD_FAILED',
      `no model found in ${modelDir}: expected a file ending in ${extensions.join(', ')}`,
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
  if (size > MAX_MODEL_FILE_BYTES) {
    throw new InferdError(
      'MODEL_LOAD_FAILED',
      `${path} is ${size} bytes, more than the native runtime loads (${MAX_MODEL_FILE_BYTES})`,
      { reason: 'ModelLoadFailed' },
    );
  }
  return readFile(path);
}
