// ColumnTransformer (sklearn/compose/_column_transformer.py): each fitted part transforms its own columns, and
// the outputs are concatenated in `transformers_` order ('drop' parts and parts with no columns give nothing,
// 'passthrough' gives its columns unchanged). A model fitted on a DataFrame picks columns by name from a
// DataFrame request (any order, extra columns ignored), and by position from a plain array: sklearn 1.2 refuses
// string column specs for arrays, we use the fitted positions instead (docs/runtimes.md).

import { invalidInput } from '../input-matrix.js';
import { NdArray } from '../pickle/ndarray.js';
import { pythonStrRepr } from '../python-text.js';
import type { EstimatorState } from './estimator-state.js';
import { type Frame, frameToMatrix, matrixToFrame, selectColumns } from './frame.js';
import type { BuildContext } from './registry-types.js';
import { applyStep, type StepData, type Transformer } from './transformer.js';

interface Part {
  readonly name: string;
  /** null: passthrough. */
  readonly transformer: Transformer | null;
  readonly columns: Int32Array;
  readonly width: number;
  readonly offset: number;
}

class ColumnTransformer implements Transformer {
  readonly className: string;
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly nOutputs: number;
  readonly transformFrame: (frame: Frame) => StepData;
  readonly #parts: readonly Part[];

  constructor(state: EstimatorState, context: BuildContext) {
    this.className = state.className;
    this.nFeatures = state.nFeatures(() => state.number('_n_features'));
    this.featureNames = state.featureNames();
    const indices = state.get('_transformer_to_input_indices');
    if (!(indices instanceof Map)) throw state.invalid('has no _transformer_to_input_indices');
    const parts: Part[] = [];
    let offset = 0;
    for (const entry of state.list('transformers_')) {
      if (!Array.isArray(entry) || entry.length !== 3 || typeof entry[0] !== 'string') {
        throw state.invalid('has a malformed transformers_ list');
      }
      const [name, fitted] = entry as [string, unknown];
      if (fitted === 'drop') continue;
      const columns = columnIndices(indices.get(name), state, this.nFeatures);
      if (columns.length === 0) continue;
      const transformer = fitted === 'passthrough' ? null : context.transformer(fitted, state);
      if (transformer && transformer.nFeatures !== columns.length) {
        throw state.invalid(
          `has part '${name}' expecting ${transformer.nFeatures} columns but given ${columns.length}`,
        );
      }
      const width = transformer ? transformer.nOutputs : columns.length;
      parts.push({ name, transformer, columns, width, offset });
      offset += width;
    }
    this.#parts = parts;
    this.nOutputs = offset;
    this.transformFrame = (frame) => this.#transformFrame(frame);
  }

  transform(x: Float64Array, rows: number): Float64Array {
    return this.#concatenate(matrixToFrame(x, rows, this.nFeatures), false);
  }

  #transformFrame(frame: Frame): Float64Array {
    const byName = this.featureNames !== null && frame.names !== null;
    if (!byName && frame.columns.length !== this.nFeatures) {
      throw invalidInput(
        `X has ${frame.columns.length} features, but ${this.className} is expecting ${this.nFeatures} features as input.`,
      );
    }
    return this.#concatenate(frame, byName);
  }

  #concatenate(frame: Frame, byName: boolean): Float64Array {
    const rows = frame.rows;
    const position = byName ? this.#positionsByName(frame) : null;
    const k = this.nOutputs;
    const out = new Float64Array(rows * k);
    for (const part of this.#parts) {
      const columns = position ? Array.from(part.columns, (c) => position[c]!) : Array.from(part.columns);
      const input = selectColumns(frame, columns);
      const result = part.transformer ? applyStep(part.transformer, input, rows) : input;
      const values =
        result instanceof Float64Array
          ? result
          : frameToMatrix(result, { className: this.className, nFeatures: part.width, inputFinite: 'any' });
      if (values.length !== rows * part.width) throw new TypeError(`part ${part.name} gave the wrong number of values`);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < part.width; c++) out[r * k + part.offset + c] = values[r * part.width + c]!;
      }
    }
    return out;
  }

  /** For each fitted column, its position in the request's DataFrame; missing names are an error. */
  #positionsByName(frame: Frame): Int32Array {
    const where = new Map<string, number>();
    frame.names!.forEach((name, i) => {
      if (!where.has(name)) where.set(name, i);
    });
    const fitted = this.featureNames!;
    const used = new Set<number>();
    for (const part of this.#parts) for (const c of part.columns) used.add(c);
    const missing = [...used].filter((c) => !where.has(fitted[c]!)).map((c) => fitted[c]!);
    if (missing.length > 0) {
      throw invalidInput(`columns are missing: {${missing.sort().map(pythonStrRepr).join(', ')}}`);
    }
    return Int32Array.from(fitted, (name) => where.get(name) ?? -1);
  }
}

function columnIndices(value: unknown, state: EstimatorState, nFeatures: number): Int32Array {
  let list: number[];
  if (value instanceof NdArray) list = Array.from(value.data as ArrayLike<number | bigint>, Number);
  else if (Array.isArray(value)) list = value.map(Number);
  else throw state.invalid('has a part without column indices');
  if (list.some((c) => !Number.isInteger(c) || c < 0 || c >= nFeatures)) {
    throw state.invalid('has column indices out of range');
  }
  return Int32Array.from(list);
}

export const buildColumnTransformer = (state: EstimatorState, context: BuildContext): Transformer =>
  new ColumnTransformer(state, context);
