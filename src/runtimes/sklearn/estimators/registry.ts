// Which pickled scikit-learn classes the native runtime can serve, by their full import path (current
// `sklearn.svm._classes` and pre-0.22 `sklearn.svm.classes` spellings), and how to build each one: estimators
// (predict) and transformers (Pipeline steps, ColumnTransformer parts). Also the harmless helper objects a
// fitted model carries that prediction never reads, and the Cython pickling helpers the unpickler may resolve.

// Builders load on demand: a family's module (svm.js, forest.js, ...) is imported only when a model file holds one
// of its classes (loadBuilders scans the unpickled object graph first), so a worker serving an SVC never compiles
// the other families' code. The class tables themselves -- what the unpickler's allowlist reads -- are static
// and synchronous: which classes a pickle may name never depends on what has been loaded.

import { InferdError } from '../../../errors.js';
import type { AllowlistOptions } from '../pickle/allowlist.js';
import { NdArray } from '../pickle/ndarray.js';
import { PyObject, PyStateObject } from '../pickle/py-values.js';
import type { Estimator } from './estimator.js';
import { EstimatorState } from './estimator-state.js';
import { NUMPY_UFUNC_GLOBALS } from './numpy-ufunc-names.js';
import type { BuildContext, EstimatorBuilder, TransformerBuilder } from './registry-types.js';
import type { Transformer } from './transformer.js';

/** A builder by reference: the family module that exports it, imported on first use. */
interface LazyBuilder {
  readonly family: string;
  readonly load: () => Promise<object>;
  readonly exportName: string;
}

/** `family('svm', () => import('./svm.js'))('buildSupportVectorClassifier')`: export names checked by tsc. */
function family<M extends object>(name: string, load: () => Promise<M>) {
  return <K extends keyof M & string>(exportName: K): LazyBuilder => ({ family: name, load, exportName });
}

const svm = family('svm', () => import('./svm.js'));
const linear = family('linear', () => import('./linear.js'));
const tree = family('tree', () => import('./tree.js'));
const forest = family('forest', () => import('./forest.js'));
const naiveBayes = family('naive-bayes', () => import('./naive-bayes.js'));
const mlp = family('mlp', () => import('./mlp.js'));
const gradientBoosting = family('gradient-boosting', () => import('./gradient-boosting.js'));
const histGradientBoosting = family('hist-gradient-boosting', () => import('./hist-gradient-boosting.js'));
const weightBoosting = family('weight-boosting', () => import('./weight-boosting.js'));
const voting = family('voting', () => import('./voting.js'));
const stacking = family('stacking', () => import('./stacking.js'));
const neighbors = family('neighbors', () => import('./neighbors.js'));
const dummy = family('dummy', () => import('./dummy.js'));
const pipeline = family('pipeline', () => import('./pipeline.js'));
const scalers = family('scalers', () => import('./scalers.js'));
const encoders = family('encoders', () => import('./encoders.js'));
const polynomialFeatures = family('polynomial-features', () => import('./polynomial-features.js'));
const functionTransformer = family('function-transformer', () => import('./function-transformer.js'));
const simpleImputer = family('simple-imputer', () => import('./simple-imputer.js'));
const decomposition = family('decomposition', () => import('./decomposition.js'));
const columnTransformer = family('column-transformer', () => import('./column-transformer.js'));

type Family = readonly [modules: readonly string[], classes: Record<string, LazyBuilder>];

/** [modules (current, legacy), class names → builder] */
const ESTIMATORS: ReadonlyArray<Family> = [
  [
    ['sklearn.svm._classes', 'sklearn.svm.classes'],
    {
      SVC: svm('buildSupportVectorClassifier'),
      NuSVC: svm('buildSupportVectorClassifier'),
      SVR: svm('buildSupportVectorRegressor'),
      NuSVR: svm('buildSupportVectorRegressor'),
      LinearSVC: linear('buildLinearSVC'),
      LinearSVR: linear('buildLinearRegressor'),
    },
  ],
  [
    ['sklearn.linear_model._logistic', 'sklearn.linear_model.logistic'],
    { LogisticRegression: linear('buildLogisticRegression') },
  ],
  [['sklearn.linear_model._base', 'sklearn.linear_model.base'], { LinearRegression: linear('buildLinearRegressor') }],
  [
    ['sklearn.linear_model._ridge', 'sklearn.linear_model.ridge'],
    { Ridge: linear('buildLinearRegressor'), RidgeCV: linear('buildLinearRegressor') },
  ],
  [
    ['sklearn.linear_model._coordinate_descent', 'sklearn.linear_model.coordinate_descent'],
    { Lasso: linear('buildLinearRegressor'), ElasticNet: linear('buildLinearRegressor') },
  ],
  [
    ['sklearn.tree._classes', 'sklearn.tree.tree'],
    {
      DecisionTreeClassifier: tree('buildDecisionTreeClassifier'),
      DecisionTreeRegressor: tree('buildDecisionTreeRegressor'),
      ExtraTreeClassifier: tree('buildDecisionTreeClassifier'),
      ExtraTreeRegressor: tree('buildDecisionTreeRegressor'),
    },
  ],
  [
    ['sklearn.ensemble._forest', 'sklearn.ensemble.forest'],
    {
      RandomForestClassifier: forest('buildForestClassifier'),
      RandomForestRegressor: forest('buildForestRegressor'),
      ExtraTreesClassifier: forest('buildForestClassifier'),
      ExtraTreesRegressor: forest('buildForestRegressor'),
    },
  ],
  [
    ['sklearn.linear_model._stochastic_gradient', 'sklearn.linear_model.stochastic_gradient'],
    { SGDClassifier: linear('buildSGDClassifier'), SGDRegressor: linear('buildLinearRegressor') },
  ],
  [
    ['sklearn.linear_model._perceptron', 'sklearn.linear_model.perceptron'],
    { Perceptron: linear('buildLinearClassifier') },
  ],
  [
    ['sklearn.naive_bayes'],
    {
      GaussianNB: naiveBayes('buildGaussianNB'),
      MultinomialNB: naiveBayes('buildMultinomialNB'),
      ComplementNB: naiveBayes('buildComplementNB'),
      BernoulliNB: naiveBayes('buildBernoulliNB'),
    },
  ],
  [
    ['sklearn.neural_network._multilayer_perceptron', 'sklearn.neural_network.multilayer_perceptron'],
    { MLPClassifier: mlp('buildMLPClassifier'), MLPRegressor: mlp('buildMLPRegressor') },
  ],
  [
    ['sklearn.ensemble._gb', 'sklearn.ensemble.gradient_boosting'],
    {
      GradientBoostingClassifier: gradientBoosting('buildGradientBoostingClassifier'),
      GradientBoostingRegressor: gradientBoosting('buildGradientBoostingRegressor'),
    },
  ],
  [
    ['sklearn.ensemble._hist_gradient_boosting.gradient_boosting'],
    {
      HistGradientBoostingClassifier: histGradientBoosting('buildHistGradientBoostingClassifier'),
      HistGradientBoostingRegressor: histGradientBoosting('buildHistGradientBoostingRegressor'),
    },
  ],
  [
    ['sklearn.ensemble._weight_boosting', 'sklearn.ensemble.weight_boosting'],
    {
      AdaBoostClassifier: weightBoosting('buildAdaBoostClassifier'),
      AdaBoostRegressor: weightBoosting('buildAdaBoostRegressor'),
    },
  ],
  [
    ['sklearn.ensemble._voting'],
    { VotingClassifier: voting('buildVotingClassifier'), VotingRegressor: voting('buildVotingRegressor') },
  ],
  [
    ['sklearn.ensemble._stacking'],
    { StackingClassifier: stacking('buildStackingClassifier'), StackingRegressor: stacking('buildStackingRegressor') },
  ],
  [
    ['sklearn.neighbors._classification', 'sklearn.neighbors.classification'],
    { KNeighborsClassifier: neighbors('buildKNeighborsClassifier') },
  ],
  [
    ['sklearn.neighbors._regression', 'sklearn.neighbors.regression'],
    { KNeighborsRegressor: neighbors('buildKNeighborsRegressor') },
  ],
  [['sklearn.dummy'], { DummyClassifier: dummy('buildDummyClassifier'), DummyRegressor: dummy('buildDummyRegressor') }],
  [['sklearn.pipeline'], { Pipeline: pipeline('buildPipeline') }],
];

const TRANSFORMERS: ReadonlyArray<Family> = [
  [
    ['sklearn.preprocessing._data', 'sklearn.preprocessing.data'],
    {
      StandardScaler: scalers('buildStandardScaler'),
      MinMaxScaler: scalers('buildMinMaxScaler'),
      RobustScaler: scalers('buildRobustScaler'),
      MaxAbsScaler: scalers('buildMaxAbsScaler'),
      Normalizer: scalers('buildNormalizer'),
    },
  ],
  [
    ['sklearn.preprocessing._encoders', 'sklearn.preprocessing.data'],
    { OneHotEncoder: encoders('buildOneHotEncoder'), OrdinalEncoder: encoders('buildOrdinalEncoder') },
  ],
  [
    ['sklearn.preprocessing._polynomial', 'sklearn.preprocessing.data', 'sklearn.preprocessing._data'],
    { PolynomialFeatures: polynomialFeatures('buildPolynomialFeatures') },
  ],
  [
    ['sklearn.preprocessing._function_transformer', 'sklearn.preprocessing.function_transformer'],
    { FunctionTransformer: functionTransformer('buildFunctionTransformer') },
  ],
  [['sklearn.impute._base', 'sklearn.impute'], { SimpleImputer: simpleImputer('buildSimpleImputer') }],
  [['sklearn.decomposition._pca', 'sklearn.decomposition.pca'], { PCA: decomposition('buildPCA') }],
  [
    ['sklearn.decomposition._truncated_svd', 'sklearn.decomposition.truncated_svd'],
    { TruncatedSVD: decomposition('buildTruncatedSVD') },
  ],
  [['sklearn.compose._column_transformer'], { ColumnTransformer: columnTransformer('buildColumnTransformer') }],
  [['sklearn.pipeline'], { Pipeline: pipeline('buildPipelineTransformer') }],
];

function byName(families: ReadonlyArray<Family>): ReadonlyMap<string, LazyBuilder> {
  return new Map(
    families.flatMap(([modules, classes]) =>
      modules.flatMap((module) =>
        Object.entries(classes).map(([name, build]) => [`${module}.${name}`, build] as const),
      ),
    ),
  );
}

const ESTIMATOR_BUILDERS = byName(ESTIMATORS);
const TRANSFORMER_BUILDERS = byName(TRANSFORMERS);

/** Objects estimators read (attribute bags) that are neither estimators nor transformers themselves. */
const HELPER_CLASSES = [
  'sklearn.tree._tree.Tree',
  'sklearn.impute._base.MissingIndicator',
  'sklearn.compose._column_transformer.make_column_selector',
  'sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor',
  'sklearn.ensemble._hist_gradient_boosting.binning._BinMapper',
  'sklearn.preprocessing._label.LabelBinarizer',
  'sklearn.preprocessing._label.LabelEncoder',
  'sklearn.preprocessing.label.LabelBinarizer',
  'sklearn.preprocessing.label.LabelEncoder',
];

/** Classes the unpickler may rebuild as attribute bags. */
export const SUPPORTED_CLASSES: ReadonlySet<string> = new Set([
  ...ESTIMATOR_BUILDERS.keys(),
  ...TRANSFORMER_BUILDERS.keys(),
  ...HELPER_CLASSES,
]);

/**
 * Harmless sklearn objects a fitted model carries but prediction never reads: a Bunch of named estimators
 * (duplicates of estimators_), fitted-only label encoders, optimizer state, Cython loss objects.
 */
const IGNORED_CLASSES = new Set([
  'sklearn.utils._bunch.Bunch',
  'sklearn.utils.Bunch',
  'sklearn.neural_network._stochastic_optimizers.AdamOptimizer',
  'sklearn.neural_network._stochastic_optimizers.SGDOptimizer',
]);
const IGNORED_PATTERNS = [
  /^sklearn\._loss\._loss\.(__pyx_unpickle_)?Cy\w+$/, // HistGradientBoosting's Cython loss (closs)
  /^sklearn\.linear_model\._sgd_fast\.\w+$/, // SGD's Cython loss objects (Hinge, Log, ...): `loss` names it
  /^sklearn\.ensemble\._gb_losses\.\w+$/, // GradientBoosting's loss: its class name is all we read
  /^sklearn\._loss\.(loss|link)\.\w+$/, // HistGradientBoosting's loss, link and Interval: the class name only
];

function isIgnored(qualifiedName: string): boolean {
  return IGNORED_CLASSES.has(qualifiedName) || IGNORED_PATTERNS.some((p) => p.test(qualifiedName));
}

/** scikit-learn (and scipy.sparse) names we recognise but do not implement: reported as UNSUPPORTED. */
export function isRecognisedUnsupported(qualifiedName: string): boolean {
  return qualifiedName.startsWith('sklearn.') || qualifiedName.startsWith('scipy.sparse.');
}

/** Numpy scalar types a fitted estimator stores as parameters (OneHotEncoder(dtype=np.float64)). */
const NUMPY_TYPES = ['float64', 'float32', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool_', 'object_'];

/** The DistanceMetric classes a KNeighbors tree may hold (the estimator reads effective_metric_ instead). */
const DISTANCE_METRICS = ['EuclideanDistance', 'ManhattanDistance', 'ChebyshevDistance', 'MinkowskiDistance'];
const DISTANCE_MODULES = ['sklearn.metrics._dist_metrics', 'sklearn.neighbors._dist_metrics'];

/** What the unpickler needs to know about the classes above. */
export const UNPICKLE_OPTIONS: AllowlistOptions = {
  objectClasses: SUPPORTED_CLASSES,
  // Cython types whose pickled state is a tuple, rebuilt through their modules' newObj(cls) helpers
  stateClasses: new Set([
    'sklearn.neighbors._kd_tree.KDTree',
    'sklearn.neighbors._ball_tree.BallTree',
    ...DISTANCE_METRICS.flatMap((m) => DISTANCE_MODULES.map((module) => `${module}.${m}`)),
  ]),
  constructorFunctions: new Set([
    'sklearn.neighbors._kd_tree.newObj',
    'sklearn.neighbors._ball_tree.newObj',
    ...DISTANCE_MODULES.map((module) => `${module}.newObj`),
  ]),
  isRecognisedUnsupported,
  isIgnored,
  inertGlobals: new Set([...NUMPY_UFUNC_GLOBALS, ...NUMPY_TYPES.map((t) => `numpy.${t}`)]),
};

/** Family modules imported so far, by family name (a module's exports once its import has settled). */
const loaded = new Map<string, Readonly<Record<string, unknown>>>();

/** The family modules this thread has imported, sorted (tests check that loading stays lazy). */
export function loadedFamilies(): string[] {
  return [...loaded.keys()].sort();
}

async function loadFamily(builder: LazyBuilder): Promise<void> {
  if (!loaded.has(builder.family)) loaded.set(builder.family, (await builder.load()) as Record<string, unknown>);
}

/** Thrown inside a synchronous build when a nested object's family was not imported beforehand; caught below. */
class FamilyNotLoaded {
  constructor(readonly builder: LazyBuilder) {}
}

function resolve<B>(builder: LazyBuilder): B {
  const exports = loaded.get(builder.family);
  if (!exports) throw new FamilyNotLoaded(builder);
  return exports[builder.exportName] as B;
}

const context: BuildContext = {
  estimator(object, owner) {
    return buildNested<EstimatorBuilder>(object, owner, ESTIMATOR_BUILDERS, 'estimator') as Estimator;
  },
  transformer(object, owner) {
    return buildNested<TransformerBuilder>(object, owner, TRANSFORMER_BUILDERS, 'transformer') as Transformer;
  },
};

function buildNested<B extends EstimatorBuilder | TransformerBuilder>(
  object: unknown,
  owner: EstimatorState,
  builders: ReadonlyMap<string, LazyBuilder>,
  role: string,
): Estimator | Transformer {
  if (!(object instanceof PyObject)) throw owner.invalid(`holds ${describe(object)} where a ${role} belongs`);
  const builder = builders.get(object.className);
  if (!builder) {
    throw new InferdError(
      'UNSUPPORTED',
      `the native sklearn runtime cannot use a '${object.className}' as a ${role} (in ${owner.className})`,
      { reason: 'UnsupportedModel', classNames: [object.className] },
    );
  }
  return resolve<B>(builder)(new EstimatorState(object), context);
}

/**
 * Imports the family modules of every estimator or transformer class in an unpickled object graph (attributes,
 * constructor arguments, lists, tuples, dicts, object arrays), so that the synchronous build finds them loaded.
 */
async function loadBuilders(root: unknown): Promise<void> {
  const needed = new Map<string, LazyBuilder>();
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (value instanceof PyObject) {
      for (const builder of [ESTIMATOR_BUILDERS.get(value.className), TRANSFORMER_BUILDERS.get(value.className)]) {
        if (builder) needed.set(builder.family, builder);
      }
      stack.push(...value.attributes.values(), ...value.args);
      if (value instanceof PyStateObject) stack.push(value.state);
    } else if (value instanceof Map) {
      stack.push(...value.keys(), ...value.values());
    } else if (Array.isArray(value)) {
      stack.push(...value);
    } else if (value instanceof NdArray && Array.isArray(value.data)) {
      stack.push(...value.data);
    }
  }
  await Promise.all([...needed.values()].map(loadFamily));
}

/**
 * The estimator for the unpickled root object of a model file: imports the builders its classes need, then builds
 * synchronously. Should the scan have missed a nested object's family, the build stops at it, imports it and
 * starts over (a build only reads the object graph), so a missed family costs time, never a wrong answer.
 */
export async function buildEstimator(root: unknown): Promise<Estimator> {
  if (!(root instanceof PyObject)) {
    throw new InferdError('MODEL_LOAD_FAILED', `the model file holds ${describe(root)}, not a scikit-learn estimator`, {
      reason: 'ModelLoadFailed',
    });
  }
  const builder = ESTIMATOR_BUILDERS.get(root.className);
  if (!builder) {
    throw new InferdError('UNSUPPORTED', `the native sklearn runtime cannot serve a '${root.className}' as a model`, {
      reason: 'UnsupportedModel',
      classNames: [root.className],
    });
  }
  await loadBuilders(root);
  for (;;) {
    try {
      return resolve<EstimatorBuilder>(builder)(new EstimatorState(root), context);
    } catch (err) {
      if (!(err instanceof FamilyNotLoaded)) throw err;
      await loadFamily(err.builder);
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof Map) return 'a dict';
  if (Array.isArray(value)) return Object.isFrozen(value) ? 'a tuple' : 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return `a ${value.constructor.name}`;
  return `a ${typeof value}`;
}
