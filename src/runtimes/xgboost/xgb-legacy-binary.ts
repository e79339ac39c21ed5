// Reads xgboost's legacy binary model format: what `save_model('model.bst')` (any name not ending in .json/.ubj)
// writes in xgboost 1.x, and what every xgboost before 1.0 wrote. It is the learner's C structs dumped in
// little-endian order; the layout below is xgboost's own (learner.cc, gbtree_model.cc, tree_model.cc):
//
//   ["binf"]                          optional 4-byte header
//   LearnerModelParam   136 bytes     base_score f32, num_feature u32, num_class i32, contain_extra_attrs i32,
//                                     contain_eval_metrics i32, major u32, minor u32, num_target u32, reserved
//   objective, booster  strings       u64 length + bytes
//   gbtree / dart:
//     GBTreeModelParam  160 bytes     num_trees i32, num_parallel_tree i32, ...
//     num_trees × RegTree:
//       TreeParam       148 bytes     num_roots i32, num_nodes i32, num_deleted i32, max_depth i32, num_feature i32, ...
//       num_nodes × Node 20 bytes     parent i32, left i32, right i32, sindex u32 (bit 31 = default left), value f32
//       num_nodes × Stat 16 bytes     (training statistics; skipped)
//     tree_info         num_trees × i32
//     dart only: weight_drop          u64 count + f32s
//   gblinear:
//     GBLinearModelParam 136 bytes, then weights u64 count + f32s
//   attributes (if contain_extra_attrs)  u64 count + (string, string) pairs
//
// The format has no categorical splits: xgboost refuses to write one for such a model.

import { type BoosterKind, badModel, type XgbBooster, type XgbTree } from './xgb-booster.js';

const LEARNER_PARAM_BYTES = 136;
const GBTREE_PARAM_BYTES = 160;
const TREE_PARAM_BYTES = 148;
const NODE_BYTES = 20;
const NODE_STAT_BYTES = 16;
const GBLINEAR_PARAM_BYTES = 136;
const NOT_A_MODEL = 'not an xgboost model, or a corrupt one';
/** Names and attribute values are short; a length beyond this means we are reading garbage. */
const MAX_STRING_BYTES = 1 << 24;

class LittleEndianReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  pos: number;

  constructor(bytes: Uint8Array, pos: number) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  get remaining(): number {
    return this.#bytes.length - this.pos;
  }

  need(n: number, what: string): void {
    if (n > this.remaining) {
      throw badModel(`legacy binary model ends early: ${what} needs ${n} bytes at offset ${this.pos}`);
    }
  }

  i32(offset: number): number {
    return this.#view.getInt32(offset, true);
  }

  u32(offset: number): number {
    return this.#view.getUint32(offset, true);
  }

  f32(offset: number): number {
    return this.#view.getFloat32(offset, true);
  }

  /** Takes `n` bytes and returns where they start. */
  take(n: number, what: string): number {
    this.need(n, what);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u64(what: string): number {
    const at = this.take(8, what);
    const big = this.#view.getBigUint64(at, true);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw badModel(`${NOT_A_MODEL}: ${what} is ${big}`);
    return Number(big);
  }

  string(what: string): string {
    const n = this.u64(`${what} length`);
    if (n > MAX_STRING_BYTES) throw badModel(`${NOT_A_MODEL}: ${what} is ${n} bytes`);
    const at = this.take(n, what);
    return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + at, n).toString('utf8');
  }

  float32Vector(what: string): Float32Array {
    const n = this.u64(`${what} count`);
    const at = this.take(n * 4, what);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.f32(at + 4 * i);
    return out;
  }
}

/** True when `bytes` look like the legacy binary format (rather than JSON or UBJSON). */
export function isLegacyBinary(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] !== 0x7b; // '{' starts both JSON and UBJSON
}

function readTree(r: LittleEndianReader, index: number): XgbTree {
  const paramAt = r.take(TREE_PARAM_BYTES, `tree ${index} parameters`);
  const numNodes = r.i32(paramAt + 4);
  if (numNodes <= 0 || numNodes > r.remaining / NODE_BYTES) {
    throw badModel(`legacy binary model: tree ${index} claims ${numNodes} nodes`);
  }
  const nodesAt = r.take(numNodes * NODE_BYTES, `tree ${index} nodes`);
  r.take(numNodes * NODE_STAT_BYTES, `tree ${index} node statistics`);
  const left = new Int32Array(numNodes);
  const right = new Int32Array(numNodes);
  const splitIndex = new Uint32Array(numNodes);
  const splitCondition = new Float32Array(numNodes);
  const defaultLeft = new Uint8Array(numNodes);
  for (let i = 0; i < numNodes; i++) {
    const at = nodesAt + i * NODE_BYTES;
    left[i] = r.i32(at + 4);
    right[i] = r.i32(at + 8);
    const sindex = r.u32(at + 12);
    splitIndex[i] = sindex & 0x7fffffff; // bit 31 = default left
    defaultLeft[i] = sindex >>> 31;
    splitCondition[i] = r.f32(at + 16); // a union: the leaf value on leaves
  }
  return { left, right, splitIndex, splitCondition, defaultLeft, categories: new Map() };
}

/** Parses a legacy binary model. Throws MODEL_LOAD_FAILED with the offset where the data stopped making sense. */
export function boosterFromLegacyBinary(bytes: Uint8Array): XgbBooster {
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(4, bytes.length)).toString('latin1');
  if (header === 'bs64') {
    throw badModel('base64-encoded xgboost models ("bs64") are not supported; re-save the model with save_model()');
  }
  const r = new LittleEndianReader(bytes, header === 'binf' ? 4 : 0);
  const p = r.take(LEARNER_PARAM_BYTES, 'learner parameters');
  const baseScore = r.f32(p);
  const numFeature = r.u32(p + 4);
  const numClass = r.i32(p + 8);
  const containExtraAttrs = r.i32(p + 12);
  const numTarget = r.u32(p + 28);
  const objective = r.string('objective name');
  const name = r.string('booster name');
  if (name !== 'gbtree' && name !== 'dart' && name !== 'gblinear') {
    throw badModel(
      `${NOT_A_MODEL}: booster name ${JSON.stringify(name.slice(0, 40))} (expected gbtree, dart or gblinear)`,
    );
  }
  const booster: XgbBooster = {
    booster: name as BoosterKind,
    objective,
    baseScore: [baseScore],
    numFeature,
    numClass: Math.max(0, numClass),
    numTarget: Math.max(1, numTarget), // 0 in files from before xgboost 1.6 (a reserved field then)
    trees: [],
    treeInfo: [],
    numParallelTree: 1,
    weightDrop: null,
    linearWeights: null,
    attributes: {},
    featureNames: [],
    format: 'legacy binary',
  };

  if (name === 'gblinear') {
    r.take(GBLINEAR_PARAM_BYTES, 'gblinear parameters');
    booster.linearWeights = r.float32Vector('gblinear weights');
  } else {
    const g = r.take(GBTREE_PARAM_BYTES, 'gbtree parameters');
    const numTrees = r.i32(g);
    booster.numParallelTree = Math.max(1, r.i32(g + 4));
    if (numTrees < 0) throw badModel(`${NOT_A_MODEL}: ${numTrees} trees`);
    r.need(numTrees * (TREE_PARAM_BYTES + NODE_BYTES), `${numTrees} trees`);
    for (let t = 0; t < numTrees; t++) booster.trees.push(readTree(r, t));
    const infoAt = r.take(numTrees * 4, 'tree_info');
    booster.treeInfo = Array.from({ length: numTrees }, (_, t) => r.i32(infoAt + 4 * t));
    if (name === 'dart' && numTrees > 0) booster.weightDrop = r.float32Vector('dart weight_drop');
  }

  if (containExtraAttrs !== 0) {
    const n = r.u64('attribute count');
    r.need(n * 16, `${n} attributes`);
    for (let i = 0; i < n; i++) {
      const key = r.string(`attribute ${i} name`);
      booster.attributes[key] = r.string(`attribute ${key}`);
    }
  }
  // What follows (count:poisson's max_delta_step, eval metric names) does not affect prediction.
  return booster;
}
