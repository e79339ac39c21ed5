// Reads LightGBM's text model format (what `Booster.save_model()` writes: GBDT::SaveModelToString, one
// Tree::ToString block per tree) into plain arrays. The layout:
//
//   tree                                  model type line
//   version=v4                            header: key=value lines (a bare key such as `average_output` is a flag)
//   num_class=3  num_tree_per_iteration=3  max_feature_idx=3  objective=multiclass num_class:3  feature_names=...
//   tree_sizes=425 597 ...                byte size of each tree block (lets LightGBM parse trees in parallel)
//
//   Tree=0                                one block per tree, key=value lines ended by a blank line:
//   num_leaves=3  num_cat=0               internal nodes are 0..num_leaves-2; a child < 0 is leaf ~child
//   split_feature=2 1  threshold=...  decision_type=2 2  left_child=1 -1  right_child=-2 -3  leaf_value=...
//   cat_boundaries=0 1  cat_threshold=6   categorical splits: threshold is an index into cat_boundaries, which
//                                         delimits that split's bitset words in cat_threshold
//   is_linear=1  leaf_const=...  num_features=...  leaf_features=...  leaf_coeff=...   linear trees only
//   shrinkage=0.1                         informational: leaf values already include it
//
//   end of trees                          then feature importances, parameters, pandas_categorical (ignored)

import { InferdError } from '../../errors.js';

export interface LgbTree {
  numLeaves: number;
  numCat: number;
  splitFeature: Int32Array;
  threshold: Float64Array;
  decisionType: Uint8Array;
  leftChild: Int32Array;
  rightChild: Int32Array;
  leafValue: Float64Array;
  catBoundaries: Int32Array;
  catThreshold: Uint32Array;
  isLinear: boolean;
  leafConst: Float64Array;
  /** Linear trees: per leaf, the features and coefficients of its linear model. */
  leafFeatures: Int32Array[];
  leafCoeff: Float64Array[];
}

export interface LgbModel {
  numClass: number;
  numTreePerIteration: number;
  maxFeatureIdx: number;
  /** The `objective=` line, e.g. `binary sigmoid:1`; undefined when the file has none (custom objective). */
  objective: string | undefined;
  /** Random forest mode (`boosting=rf`): predictions average the iterations instead of summing them. */
  averageOutput: boolean;
  featureNames: string[];
  version: string | undefined;
  trees: LgbTree[];
}

/** Outputs per row a model may declare beyond its trees (a model saved before any iteration). */
const MAX_OUTPUTS_WITHOUT_TREES = 1024;

export function badModel(message: string): InferdError {
  return new InferdError('MODEL_LOAD_FAILED', message, { reason: 'ModelLoadFailed' });
}

/** A number as LightGBM's parser reads it (it also takes inf/nan spelled by C's printf). */
function parseNumber(token: string, what: string): number {
  const t = token.toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  if (t === 'nan' || t === '-nan') return Number.NaN;
  const n = Number(token);
  if (token === '' || Number.isNaN(n)) throw badModel(`${what}: ${JSON.stringify(token)} is not a number`);
  return n;
}

function numberList(text: string | undefined, what: string): number[] {
  if (text === undefined) throw badModel(`${what} is missing`);
  const tokens = text.trim() === '' ? [] : text.trim().split(/\s+/);
  return tokens.map((t) => parseNumber(t, what));
}

function intList(text: string | undefined, what: string, count: number): Int32Array {
  const values = numberList(text, what);
  if (values.length !== count) throw badModel(`${what} has ${values.length} values, expected ${count}`);
  if (!values.every((v) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647)) {
    throw badModel(`${what}: expected integers`);
  }
  return Int32Array.from(values);
}

function doubleList(text: string | undefined, what: string, count: number): Float64Array {
  const values = numberList(text, what);
  if (values.length !== count) throw badModel(`${what} has ${values.length} values, expected ${count}`);
  return Float64Array.from(values);
}

function intValue(text: string | undefined, what: string): number {
  if (text === undefined) throw badModel(`the model has no ${what}`);
  const n = parseNumber(text.trim(), what);
  if (!Number.isSafeInteger(n)) throw badModel(`${what}: expected an integer, got ${JSON.stringify(text)}`);
  return n;
}

function parseTree(kv: Map<string, string>, index: number): LgbTree {
  const what = (key: string) => `Tree=${index} ${key}`;
  const numLeaves = intValue(kv.get('num_leaves'), what('num_leaves'));
  const numCat = intValue(kv.get('num_cat'), what('num_cat'));
  if (numLeaves < 1) throw badModel(`${what('num_leaves')}: ${numLeaves}`);
  if (numCat < 0) throw badModel(`${what('num_cat')}: ${numCat}`);
  const isLinear = kv.has('is_linear') && intValue(kv.get('is_linear'), what('is_linear')) !== 0;
  const n = numLeaves - 1; // internal nodes
  const tree: LgbTree = {
    numLeaves,
    numCat,
    leafValue: doubleList(kv.get('leaf_value'), what('leaf_value'), numLeaves),
    splitFeature: n > 0 ? intList(kv.get('split_feature'), what('split_feature'), n) : new Int32Array(0),
    threshold: n > 0 ? doubleList(kv.get('threshold'), what('threshold'), n) : new Float64Array(0),
    decisionType:
      n > 0 && kv.has('decision_type')
        ? Uint8Array.from(intList(kv.get('decision_type'), what('decision_type'), n))
        : new Uint8Array(n),
    leftChild: n > 0 ? intList(kv.get('left_child'), what('left_child'), n) : new Int32Array(0),
    rightChild: n > 0 ? intList(kv.get('right_child'), what('right_child'), n) : new Int32Array(0),
    catBoundaries: new Int32Array(0),
    catThreshold: new Uint32Array(0),
    isLinear,
    leafConst: new Float64Array(0),
    leafFeatures: [],
    leafCoeff: [],
  };
  if (numCat > 0) {
    tree.catBoundaries = intList(kv.get('cat_boundaries'), what('cat_boundaries'), numCat + 1);
    const words = tree.catBoundaries[numCat]!;
    const values = numberList(kv.get('cat_threshold'), what('cat_threshold'));
    if (values.length !== words)
      throw badModel(`${what('cat_threshold')} has ${values.length} words, expected ${words}`);
    if (!values.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
      throw badModel(`${what('cat_threshold')}: expected 32-bit unsigned words`);
    }
    tree.catThreshold = Uint32Array.from(values);
  }
  if (isLinear) readLinear(tree, kv, what);
  validateTree(tree, index);
  return tree;
}

/** Linear trees (`linear_tree=true`): leaf output = leaf_const + Σ leaf_coeff × x[leaf_features]. */
function readLinear(tree: LgbTree, kv: Map<string, string>, what: (key: string) => string): void {
  const leaves = tree.numLeaves;
  tree.leafConst = kv.has('leaf_const')
    ? doubleList(kv.get('leaf_const'), what('leaf_const'), leaves)
    : new Float64Array(leaves);
  const counts = kv.has('num_features')
    ? Array.from(intList(kv.get('num_features'), what('num_features'), leaves))
    : [];
  const total = counts.reduce((a, b) => a + b, 0);
  const features = total > 0 ? numberList(kv.get('leaf_features'), what('leaf_features')) : [];
  const coeffs = total > 0 ? numberList(kv.get('leaf_coeff'), what('leaf_coeff')) : [];
  if (features.length !== total || coeffs.length !== total) {
    throw badModel(
      `${what('leaf_features')}: ${features.length} features and ${coeffs.length} coefficients, expected ${total}`,
    );
  }
  let at = 0;
  for (let leaf = 0; leaf < leaves; leaf++) {
    const c = counts[leaf] ?? 0;
    tree.leafFeatures.push(Int32Array.from(features.slice(at, at + c)));
    tree.leafCoeff.push(Float64Array.from(coeffs.slice(at, at + c)));
    at += c;
  }
}

/** Children must be nodes or leaves of this tree, each reached once from the root, so prediction always ends. */
function validateTree(tree: LgbTree, index: number): void {
  const n = tree.numLeaves - 1;
  if (n === 0) return;
  const seenNode = new Uint8Array(n);
  const seenLeaf = new Uint8Array(tree.numLeaves);
  const stack = [0];
  seenNode[0] = 1;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (tree.splitFeature[node]! < 0)
      throw badModel(`Tree=${index} node ${node} splits on feature ${tree.splitFeature[node]}`);
    if (tree.decisionType[node]! & 1) {
      const cat = tree.threshold[node]!;
      if (!(Number.isInteger(cat) && cat >= 0 && cat < tree.numCat)) {
        throw badModel(`Tree=${index} node ${node}: categorical split ${cat} is not one of the tree's ${tree.numCat}`);
      }
      const from = tree.catBoundaries[cat]!;
      const to = tree.catBoundaries[cat + 1]!;
      if (!(from >= 0 && from <= to && to <= tree.catThreshold.length)) {
        throw badModel(`Tree=${index}: cat_boundaries are not increasing within cat_threshold`);
      }
    }
    for (const child of [tree.leftChild[node]!, tree.rightChild[node]!]) {
      if (child >= 0) {
        if (child >= n || seenNode[child]) throw badModel(`Tree=${index} node ${node}: bad child ${child}`);
        seenNode[child] = 1;
        stack.push(child);
      } else {
        const leaf = ~child;
        if (leaf >= tree.numLeaves || seenLeaf[leaf]) throw badModel(`Tree=${index} node ${node}: bad leaf ${child}`);
        seenLeaf[leaf] = 1;
      }
    }
  }
}

/** Splits `text` into lines (\n or \r\n), as LightGBM's GetLine does. */
function lines(text: string): string[] {
  return text.split(/\r?\n|\r/);
}

/** Parses a LightGBM text model. Throws MODEL_LOAD_FAILED saying which field is wrong. */
export function parseLgbTextModel(text: string): LgbModel {
  const all = lines(text);
  let i = 0;
  while (i < all.length && all[i]!.trim() === '') i++;
  if (all[i]?.trim() !== 'tree') {
    throw badModel(
      `not a LightGBM text model: the first line is ${JSON.stringify((all[i] ?? '').slice(0, 40))}, expected "tree"`,
    );
  }
  i++;
  const header = new Map<string, string>();
  for (; i < all.length && !all[i]!.startsWith('Tree='); i++) {
    const line = all[i]!;
    if (line.trim() === '') continue;
    if (line === 'end of trees') break;
    const eq = line.indexOf('=');
    if (eq < 0) header.set(line.trim(), '');
    else header.set(line.slice(0, eq).trim(), line.slice(eq + 1));
  }

  const numClass = intValue(header.get('num_class'), 'num_class');
  const numTreePerIteration = header.has('num_tree_per_iteration')
    ? intValue(header.get('num_tree_per_iteration'), 'num_tree_per_iteration')
    : numClass;
  const maxFeatureIdx = intValue(header.get('max_feature_idx'), 'max_feature_idx');
  if (numClass < 1 || numTreePerIteration < 1 || maxFeatureIdx < 0) {
    throw badModel(
      `invalid header: num_class=${numClass} num_tree_per_iteration=${numTreePerIteration} max_feature_idx=${maxFeatureIdx}`,
    );
  }
  const featureNames = header.has('feature_names') ? header.get('feature_names')!.trim().split(/\s+/) : [];
  if (featureNames.length > 0 && featureNames.length !== maxFeatureIdx + 1) {
    throw badModel(`feature_names has ${featureNames.length} names for ${maxFeatureIdx + 1} features`);
  }

  const trees: LgbTree[] = [];
  while (i < all.length && all[i]!.startsWith('Tree=')) {
    const index = trees.length;
    i++;
    const kv = new Map<string, string>();
    for (; i < all.length && all[i]!.trim() !== ''; i++) {
      const line = all[i]!;
      const eq = line.indexOf('=');
      if (eq < 0) throw badModel(`Tree=${index}: line ${JSON.stringify(line.slice(0, 40))} is not key=value`);
      kv.set(line.slice(0, eq), line.slice(eq + 1));
    }
    trees.push(parseTree(kv, index));
    while (i < all.length && all[i]!.trim() === '') i++;
  }
  // Each call answers rows × num_tree_per_iteration scores: outputs no tree fills are a corrupt header, not a
  // model (a 263-byte file saying 100,000,000 made every one-row call allocate 800 MB).
  if (numTreePerIteration > Math.max(trees.length, MAX_OUTPUTS_WITHOUT_TREES)) {
    throw badModel(`num_tree_per_iteration=${numTreePerIteration} outputs but only ${trees.length} trees to fill them`);
  }
  if (header.has('tree_sizes')) {
    const sizes = numberList(header.get('tree_sizes'), 'tree_sizes');
    if (sizes.length !== trees.length)
      throw badModel(`tree_sizes lists ${sizes.length} trees, the file has ${trees.length}`);
  }
  for (const [t, tree] of trees.entries()) {
    for (const f of tree.splitFeature) {
      if (f > maxFeatureIdx)
        throw badModel(`Tree=${t} splits on feature ${f}, beyond max_feature_idx ${maxFeatureIdx}`);
    }
    for (const features of tree.leafFeatures) {
      for (const f of features) {
        if (f < 0 || f > maxFeatureIdx) throw badModel(`Tree=${t}: linear leaf uses feature ${f}`);
      }
    }
  }
  return {
    numClass,
    numTreePerIteration,
    maxFeatureIdx,
    objective: header.get('objective'),
    averageOutput: header.has('average_output'),
    featureNames,
    version: header.get('version'),
    trees,
  };
}
