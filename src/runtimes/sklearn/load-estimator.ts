// Model file bytes → a ready-to-predict estimator: decompress (joblib container), unpickle without running code,
// then build the native estimator. Unsafe names fail as UNSAFE_MODEL; scikit-learn classes without a native
// implementation fail as UNSUPPORTED, naming them (a Python fallback may serve those).

import { basename } from 'node:path';
import { InferdError } from '../../errors.js';
import type { Estimator } from './estimators/estimator.js';
import { buildEstimator, UNPICKLE_OPTIONS } from './estimators/registry.js';
import { readModelFile } from './model-file.js';
import { pickleStreamOf } from './pickle/joblib-container.js';
import { unpickle } from './pickle/unpickler.js';

/** Async only for imports (zlib, the builders in estimators/registry.ts); unpickling and its allowlist are synchronous. */
export async function estimatorFromBytes(file: Uint8Array, fileName: string): Promise<Estimator> {
  const { value, unsupportedClasses } = unpickle(await pickleStreamOf(file, fileName), UNPICKLE_OPTIONS);
  if (unsupportedClasses.length > 0) {
    throw new InferdError(
      'UNSUPPORTED',
      `the native sklearn runtime does not implement ${unsupportedClasses.map((c) => `'${c}'`).join(', ')} (in ${fileName})`,
      { reason: 'UnsupportedModel', classNames: [...unsupportedClasses] },
    );
  }
  return buildEstimator(value);
}

export async function loadEstimatorFile(path: string): Promise<Estimator> {
  return await estimatorFromBytes(await readModelFile(path), basename(path));
}
