// Reads xgboost's JSON model schema (the document `save_model('model.json')` or `.ubj` writes, xgboost ≥ 1.0) into
// an XgbBooster. JSON and UBJSON share the schema; UBJSON hands us typed arrays where JSON has number lists.
// The text reader accepts the bare NaN/Infinity tokens xgboost writes (categorical splits store NaN thresholds).

import type { UbjValue } from './ubjson.js';
import { type BoosterKind, badModel, type XgbBooster, type XgbTree } from './xgb-booster.js';

type Doc = UbjValue | undefined;
type Obj = { [key: string]: UbjValue };

/** JSON.parse, after turning xgboost's non-standard NaN / Infinity / -Infinity number tokens into JSON. */
export function parseXgboostJsonText(text: string): unknown {
  const needsRewrite = text.includes('NaN') || text.includes('Infinity');
  const json = needsRewrite
    ? text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (token) => {
        if (token.startsWith('"')) return token; // inside a string: leave alone
        if (token === 'NaN') return 'null'; // read back as NaN by numbers() below
        return token.startsWith('-') ? '-1e999' : '1e999'; // JSON.parse overflows these to ±Infinity
      })
    : text;
  try {
    return JSON.parse(json);
  } catch (cause) {
    throw badModel(`not valid JSON: ${(cause as Error).message}`, cause);
  }
}

function isObj(v: Doc): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function obj(v: Doc, path: string): Obj {
  if (!isObj(v)) throw badModel(`${path}: expected an object`);
  return v;
}

/** A number, or a numeric string (xgboost stores parameters as strings such as "5E-1"). */
function num(v: Doc, path: string): number {
  const n = typeof v === 'string' ? Number(v.trim()) : v;
  if (typeof n !== 'number' || Number.isNaN(n) || (typeof v === 'string' && v.trim() === '')) {
    throw badModel(`${path}: expected a number, got ${JSON.stringify(v)}`);
  }
  return n;
}

function int(v: Doc, path: string): number {
  const n = num(v, path);
  if (!Number.isSafeInteger(n)) throw badModel(`${path}: expected an integer, got ${JSON.stringify(v)}`);
  return n;
}

/** A list of numbers: a typed array from UBJSON, or a JSON list (null = NaN, booleans = 0/1). */
function numbers(v: Doc, path: string): ArrayLike<number> {
  if (ArrayBuffer.isView(v)) return v as ArrayLike<number> & ArrayBufferView;
  if (!Array.isArray(v)) throw badModel(`${path}: expected a list of numbers`);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const e = v[i];
    if (typeof e === 'number') out[i] = e;
    else if (e === null) out[i] = Number.NaN;
    else if (typeof e === 'boolean') out[i] = e ? 1 : 0;
    else throw badModel(`${path}[${i}]: expected a number, got ${JSON.stringify(e)}`);
  }
  return out;
}

/** float32 copy: JSON text gives the shortest decimal of each float32, which reads back as a nearby double. */
function float32s(v: Doc, path: string): Float32Array {
  const a = numbers(v, path);
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

function strings(v: Doc, path: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw badModel(`${path}: expected strings`);
  return v as string[];
}

/** `base_score`: "5E-1" in xgboost 1.x; "[5E-1]" or a vector per target in xgboost ≥ 2.1. */
function baseScores(v: Doc, path: string): number[] {
  if (typeof v === 'string' && v.trim().startsWith('[')) {
    const parts = v.trim().slice(1, -1).split(',');
    return parts.map((p, i) => num(p, `${path}[${i}]`));
  }
  return [num(v, path)];
}

function readTree(v: Doc, path: string): XgbTree {
  const t = obj(v, path);
  const param = obj(t.tree_param, `${path}.tree_param`);
  const leafVector = param.size_leaf_vector === undefined ? 0 : int(param.size_leaf_vector, `${path}.tree_param`);
  if (leafVector > 1) {
    throw badModel(`${path}: vector-leaf trees (xgboost multi_strategy="multi_output_tree") are not supported`);
  }
  const numNodes = int(param.num_nodes, `${path}.tree_param.num_nodes`);
  const tree: XgbTree = {
    left: numbers(t.left_children, `${path}.left_children`),
    right: numbers(t.right_children, `${path}.right_children`),
    splitIndex: numbers(t.split_indices, `${path}.split_indices`),
    splitCondition: float32s(t.split_conditions, `${path}.split_conditions`),
    defaultLeft: numbers(t.default_left, `${path}.default_left`),
    categories: new Map(),
  };
  if (tree.left.length !== numNodes) {
    throw badModel(`${path}: left_children has ${tree.left.length} entries, tree_param.num_nodes says ${numNodes}`);
  }
  readCategories(t, tree, path);
  return tree;
}

/** Categorical splits (xgboost ≥ 1.5): for node categories_nodes[i], the categories that go right. */
function readCategories(t: Obj, tree: XgbTree, path: string): void {
  if (t.split_type === undefined) return; // written before categorical support: all splits numerical
  const splitType = numbers(t.split_type, `${path}.split_type`);
  const nodes = numbers(t.categories_nodes ?? [], `${path}.categories_nodes`);
  const segments = numbers(t.categories_segments ?? [], `${path}.categories_segments`);
  const sizes = numbers(t.categories_sizes ?? [], `${path}.categories_sizes`);
  const all = numbers(t.categories ?? [], `${path}.categories`);
  if (segments.length !== nodes.length || sizes.length !== nodes.length) {
    throw badModel(`${path}: categories_nodes, categories_segments and categories_sizes differ in length`);
  }
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    const begin = segments[i]!;
    const end = begin + sizes[i]!;
    if (!(Number.isInteger(node) && node >= 0 && node < splitType.length && begin >= 0 && end <= all.length)) {
      throw badModel(`${path}: categorical split ${i} points outside the tree or the category list`);
    }
    tree.categories.set(node, Array.prototype.slice.call(all, begin, end) as number[]);
  }
  for (let node = 0; node < splitType.length; node++) {
    if (splitType[node] === 1 && tree.left[node] !== -1 && !tree.categories.has(node)) {
      throw badModel(`${path}: node ${node} is a categorical split without categories`);
    }
  }
}

function readGbtreeModel(v: Doc, path: string): Pick<XgbBooster, 'trees' | 'treeInfo' | 'numParallelTree'> {
  const model = obj(v, path);
  const param = obj(model.gbtree_model_param, `${path}.gbtree_model_param`);
  const numTrees = int(param.num_trees, `${path}.gbtree_model_param.num_trees`);
  const numParallelTree =
    param.num_parallel_tree === undefined ? 1 : int(param.num_parallel_tree, `${path}.gbtree_model_param`);
  const treesDoc = model.trees;
  if (!Array.isArray(treesDoc)) throw badModel(`${path}.trees: expected a list`);
  if (treesDoc.length !== numTrees) {
    throw badModel(`${path}: ${treesDoc.length} trees listed, gbtree_model_param.num_trees says ${numTrees}`);
  }
  return {
    trees: treesDoc.map((t, i) => readTree(t, `${path}.trees[${i}]`)),
    treeInfo: numbers(model.tree_info, `${path}.tree_info`),
    numParallelTree: Math.max(1, numParallelTree),
  };
}

/** The booster in an xgboost JSON/UBJSON document. Throws MODEL_LOAD_FAILED naming the field at fault. */
export function boosterFromJson(doc: unknown, format: 'json' | 'ubj'): XgbBooster {
  const root = obj(doc as Doc, 'model');
  const learner = obj(root.learner, 'learner');
  const param = obj(learner.learner_model_param, 'learner.learner_model_param');
  const objective = obj(learner.objective, 'learner.objective');
  const gb = obj(learner.gradient_booster, 'learner.gradient_booster');
  const name = gb.name;
  if (name !== 'gbtree' && name !== 'dart' && name !== 'gblinear') {
    throw badModel(`learner.gradient_booster.name: unknown booster ${JSON.stringify(name)}`);
  }
  const attributes: Record<string, string> = {};
  if (isObj(learner.attributes)) {
    for (const [k, val] of Object.entries(learner.attributes)) if (typeof val === 'string') attributes[k] = val;
  }
  if (typeof objective.name !== 'string') throw badModel('learner.objective.name: expected a string');

  const booster: XgbBooster = {
    booster: name as BoosterKind,
    objective: objective.name,
    baseScore: baseScores(param.base_score, 'learner.learner_model_param.base_score'),
    numFeature: int(param.num_feature, 'learner.learner_model_param.num_feature'),
    numClass: int(param.num_class ?? '0', 'learner.learner_model_param.num_class'),
    numTarget: int(param.num_target ?? '1', 'learner.learner_model_param.num_target'),
    trees: [],
    treeInfo: [],
    numParallelTree: 1,
    weightDrop: null,
    linearWeights: null,
    attributes,
    featureNames: strings(learner.feature_names, 'learner.feature_names'),
    format,
  };
  if (name === 'gbtree') {
    Object.assign(booster, readGbtreeModel(gb.model, 'learner.gradient_booster.model'));
  } else if (name === 'dart') {
    const inner = obj(gb.gbtree, 'learner.gradient_booster.gbtree');
    Object.assign(booster, readGbtreeModel(inner.model, 'learner.gradient_booster.gbtree.model'));
    booster.weightDrop = float32s(gb.weight_drop, 'learner.gradient_booster.weight_drop');
  } else {
    const model = obj(gb.model, 'learner.gradient_booster.model');
    booster.linearWeights = float32s(model.weights, 'learner.gradient_booster.model.weights');
  }
  return booster;
}
