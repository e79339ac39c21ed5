// The contract between a model's compiled kernel and the intra-op pool (pool.ts): a kernel is built by a named
// export of a module from a state made of SharedArrayBuffer-backed typed arrays and plain numbers, once on the
// calling thread and once in each worker thread (the arrays are shared, never copied), and computes a range of
// rows of one job. The calling thread and the workers run the same function on the same memory, so a batch
// split across threads gives the result of the single-thread call exactly.

export type SharedTypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** One call's memory: inputs and outputs in SharedArrayBuffers, and small numbers (rows, tree range, ...). */
export interface KernelJob {
  arrays: Record<string, SharedTypedArray>;
  params: Record<string, number>;
}

/** Computes rows [rowBegin, rowEnd) of `job`, writing only those rows of its outputs. */
export type RowKernel = (job: KernelJob, rowBegin: number, rowEnd: number) => void;

/** How to build a kernel in any thread: `(await import(module))[exportName](state)` returns a RowKernel. */
export interface KernelSpec {
  /** A file: URL (import.meta.url of the module that exports the factory). */
  module: string;
  exportName: string;
  /** Structured-cloneable; its typed arrays should live in SharedArrayBuffers so that workers share them. */
  state: unknown;
}

type TypedArrayConstructor<T extends SharedTypedArray> = {
  new (buffer: SharedArrayBuffer): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** A zeroed typed array of `length` elements in a SharedArrayBuffer. */
export function sharedArray<T extends SharedTypedArray>(ctor: TypedArrayConstructor<T>, length: number): T {
  return new ctor(new SharedArrayBuffer(Math.max(0, length) * ctor.BYTES_PER_ELEMENT));
}

/** `values` copied into a SharedArrayBuffer-backed typed array. */
export function sharedFrom<T extends SharedTypedArray>(ctor: TypedArrayConstructor<T>, values: ArrayLike<number>): T {
  const out = sharedArray(ctor, values.length);
  (out as unknown as { set(a: ArrayLike<number>): void }).set(values);
  return out;
}
