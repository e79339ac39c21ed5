// Turning the bytes of an xgboost model file into an XgbBooster, whichever of the three formats it is in. The
// format is sniffed from the content, not the extension: xgboost itself reads a JSON document from a `.bst`
// name, and users rename files.

import { InferdError } from '../../errors.js';
import { readModelFile } from './model-file.js';
import { badModel, type XgbBooster } from './xgb-booster.js';

export type ModelFormat = 'json' | 'ubj' | 'legacy';

/** UBJSON object keys start with an integer-type marker; JSON text has a quote, space or `}` there. */
const UBJ_AFTER_BRACE = new Set([0x69, 0x55, 0x49, 0x6c, 0x4c, 0x24, 0x23]); // i U I l L $ #

export function sniffFormat(bytes: Uint8Array): ModelFormat {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] !== 0x7b) return 'legacy';
  return i === 0 && UBJ_AFTER_BRACE.has(bytes[1]!) ? 'ubj' : 'json';
}

/**
 * Parses an xgboost model held in memory. Throws MODEL_LOAD_FAILED saying what is wrong with it. A format's reader
 * is imported only for a file in that format: a worker serving a JSON model never compiles the UBJSON or
 * legacy-binary ones.
 */
export async function boosterFromBytes(bytes: Uint8Array): Promise<XgbBooster> {
  if (bytes.length === 0) throw badModel('the model file is empty');
  const format = sniffFormat(bytes);
  if (format === 'legacy') return (await import('./xgb-legacy-binary.js')).boosterFromLegacyBinary(bytes);
  const { boosterFromJson, parseXgboostJsonText } = await import('./xgb-json-model.js');
  if (format === 'ubj') return boosterFromJson((await import('./ubjson.js')).decodeUbjson(bytes), 'ubj');
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return boosterFromJson(parseXgboostJsonText(text), 'json');
}

/** Reads and parses `path`; errors name the file. */
export async function loadBoosterFile(path: string): Promise<XgbBooster> {
  const bytes = await readModelFile(path);
  try {
    return await boosterFromBytes(bytes);
  } catch (err) {
    if (err instanceof InferdError) {
      throw new InferdError(err.code, `cannot load xgboost model ${path}: ${err.message}`, {
        ...err.details,
        cause: err,
      });
    }
    throw err;
  }
}
