// Finding the .onnx file in a model directory. Accepted layouts, in this order:
//   {dir} itself is a .onnx file
//   {dir}/model.onnx                      (KServe's convention)
//   {dir}/<version>/model.onnx            (Triton's repository layout; the highest numeric version wins, as
//                                          Triton's default version policy "latest 1" serves)
//   {dir}/<the only *.onnx file>
// Anything else (no candidate, or several .onnx files and no model.onnx) is ModelMissing: guessing which of
// two models the user meant would serve the wrong one silently.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InferdError } from '../../errors.js';

export const ONNX_MODEL_FILE = 'model.onnx';

const LOOKED_FOR = `${ONNX_MODEL_FILE}, <version>/${ONNX_MODEL_FILE} (Triton layout) or a single *.onnx file`;

const isFile = async (path: string) => (await stat(path).catch(() => null))?.isFile() === true;
const isDir = async (path: string) => (await stat(path).catch(() => null))?.isDirectory() === true;

/** The path of the ONNX model to load from `modelDir` (a directory, or the .onnx file itself). */
export async function findOnnxModelFile(modelDir: string): Promise<string> {
  const info = await stat(modelDir).catch((cause: NodeJS.ErrnoException) => {
    const problem = cause.code === 'ENOENT' ? 'does not exist' : `cannot be read (${cause.code ?? String(cause)})`;
    throw new InferdError('MODEL_LOAD_FAILED', `model directory ${modelDir} ${problem}`, {
      reason: 'ModelMissing',
      cause,
    });
  });
  if (info.isFile()) {
    if (modelDir.endsWith('.onnx')) return modelDir;
    throw missing(modelDir, `${modelDir} is a file, not a directory or a .onnx file`);
  }

  const direct = join(modelDir, ONNX_MODEL_FILE);
  if (await isFile(direct)) return direct;

  const entries = await readdir(modelDir);
  const versions = entries.filter((name) => /^[0-9]+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const path = join(modelDir, version, ONNX_MODEL_FILE);
    if ((await isDir(join(modelDir, version))) && (await isFile(path))) return path;
  }

  const onnxFiles: string[] = [];
  for (const name of entries.filter((n) => n.endsWith('.onnx')).sort()) {
    if (await isFile(join(modelDir, name))) onnxFiles.push(name);
  }
  if (onnxFiles.length === 1) return join(modelDir, onnxFiles[0]!);
  if (onnxFiles.length > 1) {
    throw missing(
      modelDir,
      `found ${onnxFiles.length} .onnx files (${onnxFiles.join(', ')}) and no ${ONNX_MODEL_FILE}`,
    );
  }
  throw missing(modelDir, 'found none');
}

function missing(modelDir: string, why: string): InferdError {
  return new InferdError('MODEL_LOAD_FAILED', `no ONNX model in ${modelDir}: looked for ${LOOKED_FOR}; ${why}`, {
    reason: 'ModelMissing',
    modelDir,
  });
}
