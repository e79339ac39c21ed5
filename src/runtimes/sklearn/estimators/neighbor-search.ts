// k-nearest-neighbour search exactly as scikit-learn 1.2 does it, so that neighbours at equal distances are the
// same ones sklearn keeps: its bounded max-heap (utils/_heap.pxd heap_push: a value equal to the current largest
// is rejected), its KDTree/BallTree depth-first query (neighbors/_binary_tree.pxi, read from the pickled tree's
// arrays, never rebuilt), and its final quicksort (utils/_sorting.pyx simultaneous_sort). Brute force visits the
// fitted rows in index order, as sklearn's parallel-on-X reduction does.
//
//   node i: children 2i+1, 2i+2; points idx_array[idx_start .. idx_end); bounds per node (KD: lower/upper box,
//   Ball: centroid + radius)

import type { NdArray } from '../pickle/ndarray.js';

/** A distance and its cheaper "reduced" form that ranks the same (squared Euclidean, p-th power sums). */
export interface Metric {
  /** Minkowski p (Infinity for Chebyshev): the KD-tree bound uses it. */
  readonly p: number;
  rdist(a: ArrayLike<number>, aOffset: number, b: ArrayLike<number>, bOffset: number, n: number): number;
  rdistToDist(r: number): number;
  distToRdist(d: number): number;
}

/** pow as the C library's, with the two exponents that must be exact spelled out. */
function power(x: number, p: number): number {
  return p === 2 ? x * x : p === 1 ? x : x ** p;
}

export function minkowskiMetric(p: number): Metric {
  if (p === 2) {
    return {
      p,
      rdist(a, ao, b, bo, n) {
        let d = 0;
        for (let j = 0; j < n; j++) {
          const t = a[ao + j]! - b[bo + j]!;
          d += t * t;
        }
        return d;
      },
      rdistToDist: Math.sqrt,
      distToRdist: (d) => d * d,
    };
  }
  if (p === Number.POSITIVE_INFINITY) {
    return {
      p,
      rdist(a, ao, b, bo, n) {
        let d = 0;
        for (let j = 0; j < n; j++) d = Math.max(d, Math.abs(a[ao + j]! - b[bo + j]!));
        return d;
      },
      rdistToDist: (r) => r,
      distToRdist: (d) => d,
    };
  }
  return {
    p,
    rdist(a, ao, b, bo, n) {
      let d = 0;
      for (let j = 0; j < n; j++) d += power(Math.abs(a[ao + j]! - b[bo + j]!), p);
      return d;
    },
    rdistToDist: (r) => (p === 1 ? r : r ** (1 / p)),
    distToRdist: (d) => power(d, p),
  };
}

/** One query's neighbours: a max-heap of size k while searching, sorted ascending at the end. */
export class NeighborHeap {
  readonly distances: Float64Array;
  readonly indices: Int32Array;

  constructor(readonly k: number) {
    this.distances = new Float64Array(k);
    this.indices = new Int32Array(k);
  }

  reset(): void {
    this.distances.fill(Number.POSITIVE_INFINITY);
    this.indices.fill(0);
  }

  get largest(): number {
    return this.distances[0]!;
  }

  /** sklearn's heap_push. */
  push(value: number, index: number): void {
    const values = this.distances;
    const indices = this.indices;
    const size = this.k;
    if (value >= values[0]!) return;
    let current = 0;
    for (;;) {
      const left = 2 * current + 1;
      const right = left + 1;
      let swap: number;
      if (left >= size) break;
      if (right >= size) {
        if (values[left]! > value) swap = left;
        else break;
      } else if (values[left]! >= values[right]!) {
        if (value < values[left]!) swap = left;
        else break;
      } else if (value < values[right]!) {
        swap = right;
      } else {
        break;
      }
      values[current] = values[swap]!;
      indices[current] = indices[swap]!;
      current = swap;
    }
    values[current] = value;
    indices[current] = index;
  }

  /** sklearn's simultaneous_sort over the whole heap. */
  sort(): void {
    simultaneousSort(this.distances, this.indices, 0, this.k);
  }
}

function swap(values: Float64Array, indices: Int32Array, i: number, j: number): void {
  const v = values[i]!;
  values[i] = values[j]!;
  values[j] = v;
  const t = indices[i]!;
  indices[i] = indices[j]!;
  indices[j] = t;
}

function simultaneousSort(values: Float64Array, indices: Int32Array, start: number, size: number): void {
  const v = (i: number) => values[start + i]!;
  const sw = (i: number, j: number) => swap(values, indices, start + i, start + j);
  if (size <= 1) return;
  if (size === 2) {
    if (v(0) > v(1)) sw(0, 1);
    return;
  }
  if (size === 3) {
    if (v(0) > v(1)) sw(0, 1);
    if (v(1) > v(2)) {
      sw(1, 2);
      if (v(0) > v(1)) sw(0, 1);
    }
    return;
  }
  let pivot = size >> 1;
  if (v(0) > v(size - 1)) sw(0, size - 1);
  if (v(size - 1) > v(pivot)) {
    sw(size - 1, pivot);
    if (v(0) > v(size - 1)) sw(0, size - 1);
  }
  const pivotValue = v(size - 1);
  let store = 0;
  for (let i = 0; i < size - 1; i++) {
    if (v(i) < pivotValue) {
      sw(i, store);
      store++;
    }
  }
  sw(store, size - 1);
  pivot = store;
  if (pivot > 1) simultaneousSort(values, indices, start, pivot);
  if (pivot + 2 < size) simultaneousSort(values, indices, start + pivot + 1, size - pivot - 1);
}

export interface NeighborSearch {
  /** Fills `heap` (reduced distances, fitted-row indices) with the k nearest fitted rows to x[offset..]. */
  query(x: Float64Array, offset: number, heap: NeighborHeap): void;
}

/** Every fitted row in index order. */
export class BruteForce implements NeighborSearch {
  constructor(
    readonly data: Float64Array,
    readonly nSamples: number,
    readonly nFeatures: number,
    readonly metric: Metric,
  ) {}

  query(x: Float64Array, offset: number, heap: NeighborHeap): void {
    const f = this.nFeatures;
    for (let i = 0; i < this.nSamples; i++) heap.push(this.metric.rdist(x, offset, this.data, i * f, f), i);
  }
}

/** A pickled KDTree or BallTree: its arrays, checked so that every query terminates inside them. */
export interface TreeArrays {
  readonly kind: 'kd' | 'ball';
  readonly data: Float64Array;
  readonly nSamples: number;
  readonly nFeatures: number;
  readonly idxArray: Int32Array;
  readonly idxStart: Int32Array;
  readonly idxEnd: Int32Array;
  readonly isLeaf: Uint8Array;
  readonly radius: Float64Array;
  readonly bounds: Float64Array; // KD: [2][nodes][f], Ball: [1][nodes][f]
  readonly nNodes: number;
}

/** Reads a tree's __getstate__ tuple (data, idx_array, node_data, node_bounds, ...); throws a message on damage. */
export function treeArrays(kind: 'kd' | 'ball', state: readonly unknown[]): TreeArrays | string {
  const [data, idx, nodes, bounds] = state as [NdArray, NdArray, NdArray, NdArray];
  if (![data, idx, nodes, bounds].every((a) => a && typeof a === 'object' && 'shape' in a)) return 'arrays missing';
  if (data.shape.length !== 2 || !(data.data instanceof Float64Array)) return 'data is not a float64 matrix';
  const [nSamples, nFeatures] = data.shape as [number, number];
  const ints = (a: NdArray) => Int32Array.from(a.data as ArrayLike<number | bigint>, Number);
  const idxArray = ints(idx);
  const nNodes = nodes.size;
  const column = (name: string) => Array.from(nodes.field(name).data as ArrayLike<number | bigint>, Number);
  const idxStart = Int32Array.from(column('idx_start'));
  const idxEnd = Int32Array.from(column('idx_end'));
  const isLeaf = Uint8Array.from(column('is_leaf'));
  const radius = Float64Array.from(column('radius'));
  const planes = kind === 'kd' ? 2 : 1;
  if (idxArray.length !== nSamples || idxArray.some((i) => i < 0 || i >= nSamples)) return 'idx_array is out of range';
  if (bounds.size !== planes * nNodes * nFeatures) return 'node_bounds has the wrong shape';
  for (let node = 0; node < nNodes; node++) {
    if (idxStart[node]! < 0 || idxEnd[node]! > nSamples || idxStart[node]! > idxEnd[node]!)
      return 'node_data is out of range';
    if (!isLeaf[node] && 2 * node + 2 >= nNodes) return 'a node has no children';
  }
  return {
    kind,
    data: data.data,
    nSamples,
    nFeatures,
    idxArray,
    idxStart,
    idxEnd,
    isLeaf,
    radius,
    bounds: Float64Array.from(bounds.data as ArrayLike<number>),
    nNodes,
  };
}

/** BinaryTree.query, single tree, depth first (sklearn's default). */
export class TreeSearch implements NeighborSearch {
  constructor(
    readonly tree: TreeArrays,
    readonly metric: Metric,
  ) {}

  query(x: Float64Array, offset: number, heap: NeighborHeap): void {
    this.#visit(0, x, offset, heap, this.#minRdist(0, x, offset));
  }

  #visit(node: number, x: Float64Array, offset: number, heap: NeighborHeap, lowerBound: number): void {
    const t = this.tree;
    if (lowerBound > heap.largest) return; // trimmed
    const f = t.nFeatures;
    if (t.isLeaf[node]) {
      for (let i = t.idxStart[node]!; i < t.idxEnd[node]!; i++) {
        const index = t.idxArray[i]!;
        heap.push(this.metric.rdist(x, offset, t.data, index * f, f), index);
      }
      return;
    }
    const left = 2 * node + 1;
    const right = left + 1;
    const boundLeft = this.#minRdist(left, x, offset);
    const boundRight = this.#minRdist(right, x, offset);
    if (boundLeft <= boundRight) {
      this.#visit(left, x, offset, heap, boundLeft);
      this.#visit(right, x, offset, heap, boundRight);
    } else {
      this.#visit(right, x, offset, heap, boundRight);
      this.#visit(left, x, offset, heap, boundLeft);
    }
  }

  /** min_rdist from _kd_tree.pyx / _ball_tree.pyx. */
  #minRdist(node: number, x: Float64Array, offset: number): number {
    const t = this.tree;
    const f = t.nFeatures;
    const p = this.metric.p;
    if (t.kind === 'kd') {
      const lower = node * f;
      const upper = (t.nNodes + node) * f;
      let rdist = 0;
      for (let j = 0; j < f; j++) {
        const dLo = t.bounds[lower + j]! - x[offset + j]!;
        const dHi = x[offset + j]! - t.bounds[upper + j]!;
        const d = dLo + Math.abs(dLo) + (dHi + Math.abs(dHi));
        if (p === Number.POSITIVE_INFINITY) rdist = Math.max(rdist, 0.5 * d);
        else rdist += power(0.5 * d, p);
      }
      return rdist;
    }
    const centroidDistance = this.metric.rdistToDist(this.metric.rdist(x, offset, t.bounds, node * f, f));
    return this.metric.distToRdist(Math.max(0, centroidDistance - t.radius[node]!));
  }
}
