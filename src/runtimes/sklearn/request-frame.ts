// A request's tensors as raw columns (estimators/frame.ts) for models whose first step takes strings: with
// `content_type: pd` every input tensor is one named column (KServe's `as_dataframe()`), otherwise the first
// tensor is a 2-D array whose columns are unnamed.

import type { Tensor } from '../model.js';
import type { Column, Frame } from './estimators/frame.js';
import { invalidInput } from './input-matrix.js';

export function requestFrame(inputs: readonly Tensor[], isDataFrame: boolean): Frame {
  if (inputs.length === 0) throw invalidInput('Expected at least one input tensor');
  return isDataFrame ? columnsFrame(inputs) : arrayFrame(inputs[0]!);
}

function columnsFrame(inputs: readonly Tensor[]): Frame {
  const rows = inputs[0]!.data.length;
  const columns: Column[] = inputs.map((tensor) => {
    if (tensor.data.length !== rows) throw invalidInput('All arrays must be of the same length');
    return tensor.data as Column;
  });
  return { rows, names: inputs.map((t) => t.name), columns };
}

function arrayFrame(tensor: Tensor): Frame {
  const shape = tensor.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalidInput(`invalid tensor shape ${JSON.stringify(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== size) {
    const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(',')})`;
    throw invalidInput(`cannot reshape array of size ${tensor.data.length} into shape ${dims}`);
  }
  if (shape.length !== 2) {
    throw invalidInput(
      shape.length > 2
        ? `Found array with dim ${shape.length}. Estimator expected <= 2.`
        : `Expected 2D array, got ${shape.length === 1 ? '1D' : 'scalar'} array instead. Reshape your data either using array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) if it contains a single sample.`,
    );
  }
  const [rows, cols] = shape as [number, number];
  if (rows < 1)
    throw invalidInput(`Found array with 0 sample(s) (shape=(0, ${cols})) while a minimum of 1 is required.`);
  const data = tensor.data as ArrayLike<unknown>;
  const numeric = data instanceof Float64Array;
  const columns: Column[] = [];
  for (let c = 0; c < cols; c++) {
    const column = numeric ? new Float64Array(rows) : new Array<unknown>(rows);
    for (let r = 0; r < rows; r++) (column as unknown[])[r] = data[r * cols + c];
    columns.push(column);
  }
  return { rows, names: null, columns };
}
