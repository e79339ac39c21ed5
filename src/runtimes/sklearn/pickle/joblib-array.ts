// joblib's NumpyArrayWrapper: joblib pickles a small wrapper object in place of each numpy array and writes the
// array's bytes straight after it in the file (see joblib/numpy_pickle.py, NumpyArrayWrapper.write_array).
// Since joblib 1.2 the bytes are preceded by one byte giving a padding length, then that many 0xff bytes, so
// the data is 16-byte aligned for memory mapping. Object arrays are written as a nested pickle instead.

import type { ByteReader } from './byte-reader.js';
import { checkShape, decodeArray, NdArray } from './ndarray.js';
import { DType } from './numpy-dtype.js';
import { corrupt, type PyObject } from './py-values.js';

export function readWrappedArray(wrapper: PyObject, reader: ByteReader, loadNestedPickle: () => unknown): NdArray {
  const dtype = wrapper.attributes.get('dtype');
  if (!(dtype instanceof DType)) throw corrupt('a joblib array wrapper has no dtype');
  const shape = checkShape(wrapper.attributes.get('shape'));
  const order = wrapper.attributes.get('order') === 'F' ? 'F' : 'C';

  if (dtype.kind === 'O') {
    const nested = loadNestedPickle();
    if (!(nested instanceof NdArray)) throw corrupt('a joblib object array did not unpickle to an array');
    return nested;
  }
  // Files from joblib <= 1.1 have no alignment attribute and no padding.
  const alignment = wrapper.attributes.get('numpy_array_alignment_bytes');
  if (typeof alignment === 'number') {
    const padding = reader.u8();
    reader.take(padding, 'joblib array padding');
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = reader.take(count * dtype.itemSize, `a numpy array of shape (${shape})`);
  return decodeArray(bytes, dtype, shape, order);
}
