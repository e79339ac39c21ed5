// numpy's view of nested JSON lists: the shape `np.array(data)` would discover, the flat leaves, and the
// exact ValueError texts KServe's clients see when a list is ragged or a reshape does not fit. We answer
// these with 400 where KServe 0.12.1 answers 500 (docs/compatibility.md).

import { InferdError } from '../errors.js';

/** Python's repr of a shape tuple, as numpy's inhomogeneous-shape message prints it: `(2,)`, `(2, 4)`. */
export function pyShapeTuple(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** numpy's reshape-error spelling of a shape (convert_shape_to_string): `(2,4)`, `(5,)`, `(2,newaxis)`. */
export function numpyShapeString(shape: readonly number[]): string {
  let i = 0;
  while (i < shape.length && shape[i]! < 0) i++;
  if (i === shape.length) return '()';
  let s = String(shape[i++]);
  for (; i < shape.length; i++) s += shape[i]! < 0 ? ',newaxis' : `,${shape[i]}`;
  return shape.length === 1 ? `(${s},)` : `(${s})`;
}

export function raggedError(detected: readonly number[]): InferdError {
  return new InferdError(
    'INVALID_INPUT',
    'setting an array element with a sequence. The requested array has an inhomogeneous shape after ' +
      `${detected.length} dimensions. The detected shape was ${pyShapeTuple(detected)} + inhomogeneous part.`,
  );
}

/** numpy's NPY_MAXDIMS (numpy 1.x, which KServe 0.12.1 runs): deeper lists are refused, not walked. */
export const MAX_DIMS = 32;

/**
 * Walks nested lists level by level like numpy's shape discovery. Strings and objects are leaves.
 * Throws INVALID_INPUT with numpy's text when the lists are ragged.
 */
export function flattenNested(data: readonly unknown[]): { shape: number[]; flat: unknown[] } {
  const shape = [data.length];
  let level: readonly unknown[] = data;
  for (;;) {
    if (level.length === 0 || !Array.isArray(level[0])) {
      for (let i = 1; i < level.length; i++) if (Array.isArray(level[i])) throw raggedError(shape);
      return { shape, flat: level as unknown[] };
    }
    const width = (level[0] as unknown[]).length;
    const next: unknown[] = [];
    for (let i = 0; i < level.length; i++) {
      const row = level[i];
      if (!Array.isArray(row) || row.length !== width) throw raggedError(shape);
      for (let j = 0; j < width; j++) next.push(row[j]);
    }
    shape.push(width);
    if (shape.length > MAX_DIMS) {
      throw new InferdError(
        'INVALID_INPUT',
        `maximum supported dimension for an ndarray is ${MAX_DIMS}, found ${shape.length}`,
      );
    }
    level = next;
  }
}

/**
 * The concrete shape for `count` values, resolving one -1 like numpy's reshape. Throws INVALID_INPUT
 * with numpy's text (`cannot reshape array of size 4 into shape (2,4)`) when it does not fit.
 */
export function resolveShape(shape: readonly number[], count: number, inputName: string): number[] {
  let unknown = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === -1) {
      if (unknown !== -1) {
        throw new InferdError('INVALID_INPUT', `input "${inputName}": can only specify one unknown dimension`);
      }
      unknown = i;
    } else if (d < 0) {
      throw new InferdError('INVALID_INPUT', `input "${inputName}": negative dimensions are not allowed`);
    } else {
      known *= d;
    }
  }
  const mismatch = () =>
    new InferdError('INVALID_INPUT', `cannot reshape array of size ${count} into shape ${numpyShapeString(shape)}`);
  if (unknown === -1) {
    if (known !== count) throw mismatch();
    return shape as number[];
  }
  if (known === 0 || count % known !== 0) throw mismatch();
  const out = shape.slice();
  out[unknown] = count / known;
  return out;
}
