// numpy's dtype as pickled by `numpy.dtype(typestr, align, copy)` + BUILD with its state tuple. Only the kinds a
// fitted scikit-learn model stores are decoded (numbers, bools, fixed-width strings, objects, structured records);
// anything else is refused at load with the dtype named, never guessed.

import { InferdError } from '../../../errors.js';
import { type Buildable, corrupt } from './py-values.js';

export type DTypeKind = 'b' | 'i' | 'u' | 'f' | 'c' | 'U' | 'S' | 'O' | 'V' | 'M' | 'm';

export interface DTypeField {
  readonly name: string;
  readonly dtype: DType;
  readonly offset: number;
}

const TYPESTR = /^([<>|=]?)([biufcUSOVMm])(\d*)$/;

export class DType implements Buildable {
  kind: DTypeKind;
  itemSize: number;
  /** '<' little, '>' big, '|' not applicable (one byte, objects, records). */
  byteOrder: '<' | '>' | '|';
  fields: DTypeField[] | null = null;

  constructor(typestr: string) {
    const m = TYPESTR.exec(typestr);
    if (!m) throw unsupportedDType(typestr);
    this.kind = m[2] as DTypeKind;
    const size = m[3] ? Number(m[3]) : 0;
    // 'U5' counts characters (UCS-4), every other kind counts bytes.
    this.itemSize = this.kind === 'U' ? size * 4 : this.kind === 'O' ? 8 : size;
    this.byteOrder = m[1] === '>' ? '>' : m[1] === '|' || this.itemSize <= 1 ? '|' : '<';
  }

  /** numpy's `dtype.__setstate__`: (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata]). */
  setState(state: unknown): void {
    if (!Array.isArray(state) || (state.length !== 8 && state.length !== 9) || (state[0] !== 3 && state[0] !== 4)) {
      throw corrupt(`unsupported numpy dtype state for '${this.str}'`);
    }
    const [, byteOrder, subarray, names, fields, elsize] = state as unknown[];
    if (byteOrder === '>') this.byteOrder = '>';
    else if (byteOrder === '|') this.byteOrder = '|';
    else this.byteOrder = '<'; // '<' or '=' (native; every platform we run on is little-endian)
    if (subarray !== null) throw unsupportedDType(`${this.str} with a sub-array`);
    if (typeof elsize === 'number' && elsize > 0) this.itemSize = elsize;
    if (names !== null) this.fields = parseFields(names, fields);
  }

  /** numpy's `dtype.str`, e.g. '<f8', '|b1', '<U10' (10 characters), '|O'. */
  get str(): string {
    if (this.kind === 'O') return '|O';
    return `${this.byteOrder}${this.kind}${this.kind === 'U' ? this.itemSize / 4 : this.itemSize}`;
  }

  /** numpy's name for the dtype, as sklearn prints it in messages, e.g. float64. */
  get name(): string {
    const bits = this.itemSize * 8;
    switch (this.kind) {
      case 'f':
        return `float${bits}`;
      case 'i':
        return `int${bits}`;
      case 'u':
        return `uint${bits}`;
      case 'b':
        return 'bool';
      case 'O':
        return 'object';
      default:
        return this.str;
    }
  }
}

function parseFields(names: unknown, fields: unknown): DTypeField[] {
  if (!Array.isArray(names) || !(fields instanceof Map)) throw corrupt('a structured numpy dtype has no field table');
  return names.map((name) => {
    const entry = fields.get(name);
    if (
      typeof name !== 'string' ||
      !Array.isArray(entry) ||
      !(entry[0] instanceof DType) ||
      typeof entry[1] !== 'number'
    ) {
      throw corrupt(`the structured numpy dtype field '${String(name)}' is malformed`);
    }
    return { name, dtype: entry[0], offset: entry[1] };
  });
}

export function unsupportedDType(description: string): InferdError {
  return new InferdError(
    'MODEL_LOAD_FAILED',
    `the model stores a numpy array of dtype '${description}', which the native sklearn runtime cannot read`,
    { reason: 'ModelLoadFailed' },
  );
}
