// Which pickled scikit-learn classes the native runtime can serve, by their full import path (current
// `sklearn.svm._classes` and pre-0.22 `sklearn.svm.classes` spellings), and how to build each one: estimators
// (predict) and transformers (Pipeline steps, ColumnTransformer parts). Also the harmless helper objects a
// fitted model carries that prediction never reads, and the Cython pickling helpers the unpickler may resolve.

import { InferdError } from '../../../errors.js';
import type { AllowlistOptions } from '../pickle/allowlist.js';
import { PyObject } from '../pickle/py-values.js';
import { buildColumnTransformer } from './column-transformer.js';
import { buildPCA, buildTruncatedSVD } from './decomposition.js';
import { buildDummyClassifier, buildDummyRegressor } from './dummy.js';
import { buildOneHotEncoder, buildOrdinalEncoder } from './encoders.js';
import type { Estimator } from './estimator.js';
import { EstimatorState } from './estimator-state.js';
import { buildForestClassifier, buildForestRegressor } from './forest.js';
import { buildFunctionTransformer, NUMPY_UFUNC_GLOBALS } from './function-transformer.js';
import { buildGradientBoostingClassifier, buildGradientBoostingRegressor } from './gradient-boosting.js';
import { buildHistGradientBoostingClassifier, buildHistGradientBoostingRegressor } from './hist-gradient-boosting.js';
import {
  buildLinearClassifier,
  buildLinearRegressor,
  buildLinearSVC,
  buildLogisticRegression,
  buildSGDClassifier,
} from './linear.js';
import { buildMLPClassifier, buildMLPRegressor } from './mlp.js';
import { buildBernoulliNB, buildComplementNB, buildGaussianNB, buildMultinomialNB } from './naive-bayes.js';
import { buildKNeighborsClassifier, buildKNeighborsRegressor } from './neighbors.js';
import { buildPipeline, buildPipelineTransformer } from './pipeline.js';
import { buildPolynomialFeatures } from './polynomial-features.js';
import type { BuildContext, EstimatorBuilder, TransformerBuilder } from './registry-types.js';
import {
  buildMaxAbsScaler,
  buildMinMaxScaler,
  buildNormalizer,
  buildRobustScaler,
  buildStandardScaler,
} from './scalers.js';
import { buildSimpleImputer } from './simple-imputer.js';
import { buildStackingClassifier, buildStackingRegressor } from './stacking.js';
import { buildSupportVectorClassifier, buildSupportVectorRegressor } from './svm.js';
import type { Transformer } from './transformer.js';
import { buildDecisionTreeClassifier, buildDecisionTreeRegressor } from './tree.js';
import { buildVotingClassifier, buildVotingRegressor } from './voting.js';
import { buildAdaBoostClassifier, buildAdaBoostRegressor } from './weight-boosting.js';

type Family<B> = readonly [modules: readonly string[], classes: Record<string, B>];

/** [modules (current, legacy), class names → builder] */
const ESTIMATORS: ReadonlyArray<Family<EstimatorBuilder>> = [
  [
    ['sklearn.svm._classes', 'sklearn.svm.classes'],
    {
      SVC: buildSupportVectorClassifier,
      NuSVC: buildSupportVectorClassifier,
      SVR: buildSupportVectorRegressor,
      NuSVR: buildSupportVectorRegressor,
      LinearSVC: buildLinearSVC,
      LinearSVR: buildLinearRegressor,
    },
  ],
  [
    ['sklearn.linear_model._logistic', 'sklearn.linear_model.logistic'],
    { LogisticRegression: buildLogisticRegression },
  ],
  [['sklearn.linear_model._base', 'sklearn.linear_model.base'], { LinearRegression: buildLinearRegressor }],
  [
    ['sklearn.linear_model._ridge', 'sklearn.linear_model.ridge'],
    { Ridge: buildLinearRegressor, RidgeCV: buildLinearRegressor },
  ],
  [
    ['sklearn.linear_model._coordinate_descent', 'sklearn.linear_model.coordinate_descent'],
    { Lasso: buildLinearRegressor, ElasticNet: buildLinearRegressor },
  ],
  [
    ['sklearn.tree._classes', 'sklearn.tree.tree'],
    {
      DecisionTreeClassifier: buildDecisionTreeClassifier,
      DecisionTreeRegressor: buildDecisionTreeRegressor,
      ExtraTreeClassifier: buildDecisionTreeClassifier,
      ExtraTreeRegressor: buildDecisionTreeRegressor,
    },
  ],
  [
    ['sklearn.ensemble._forest', 'sklearn.ensemble.forest'],
    {
      RandomForestClassifier: buildForestClassifier,
      RandomForestRegressor: buildForestRegressor,
      ExtraTreesClassifier: buildForestClassifier,
      ExtraTreesRegressor: buildForestRegressor,
    },
  ],
  [
    ['sklearn.linear_model._stochastic_gradient', 'sklearn.linear_model.stochastic_gradient'],
    { SGDClassifier: buildSGDClassifier, SGDRegressor: buildLinearRegressor },
  ],
  [['sklearn.linear_model._perceptron', 'sklearn.linear_model.perceptron'], { Perceptron: buildLinearClassifier }],
  [
    ['sklearn.naive_bayes'],
    {
      GaussianNB: buildGaussianNB,
      MultinomialNB: buildMultinomialNB,
      ComplementNB: buildComplementNB,
      BernoulliNB: buildBernoulliNB,
    },
  ],
  [
    ['sklearn.neural_network._multilayer_perceptron', 'sklearn.neural_network.multilayer_perceptron'],
    { MLPClassifier: buildMLPClassifier, MLPRegressor: buildMLPRegressor },
  ],
  [
    ['sklearn.ensemble._gb', 'sklearn.ensemble.gradient_boosting'],
    {
      GradientBoostingClassifier: buildGradientBoostingClassifier,
      GradientBoostingRegressor: buildGradientBoostingRegressor,
    },
  ],
  [
    ['sklearn.ensemble._hist_gradient_boosting.gradient_boosting'],
    {
      HistGradientBoostingClassifier: buildHistGradientBoostingClassifier,
      HistGradientBoostingRegressor: buildHistGradientBoostingRegressor,
    },
  ],
  [
    ['sklearn.ensemble._weight_boosting', 'sklearn.ensemble.weight_boosting'],
    { AdaBoostClassifier: buildAdaBoostClassifier, AdaBoostRegressor: buildAdaBoostRegressor },
  ],
  [['sklearn.ensemble._voting'], { VotingClassifier: buildVotingClassifier, VotingRegressor: buildVotingRegressor }],
  [
    ['sklearn.ensemble._stacking'],
    { StackingClassifier: buildStackingClassifier, StackingRegressor: buildStackingRegressor },
  ],
  [
    ['sklearn.neighbors._classification', 'sklearn.neighbors.classification'],
    { KNeighborsClassifier: buildKNeighborsClassifier },
  ],
  [
    ['sklearn.neighbors._regression', 'sklearn.neighbors.regression'],
    { KNeighborsRegressor: buildKNeighborsRegressor },
  ],
  [['sklearn.dummy'], { DummyClassifier: buildDummyClassifier, DummyRegressor: buildDummyRegressor }],
  [['sklearn.pipeline'], { Pipeline: buildPipeline }],
];

const TRANSFORMERS: ReadonlyArray<Family<TransformerBuilder>> = [
  [
    ['sklearn.preprocessing._data', 'sklearn.preprocessing.data'],
    {
      StandardScaler: buildStandardScaler,
      MinMaxScaler: buildMinMaxScaler,
      RobustScaler: buildRobustScaler,
      MaxAbsScaler: buildMaxAbsScaler,
      Normalizer: buildNormalizer,
    },
  ],
  [
    ['sklearn.preprocessing._encoders', 'sklearn.preprocessing.data'],
    { OneHotEncoder: buildOneHotEncoder, OrdinalEncoder: buildOrdinalEncoder },
  ],
  [
    ['sklearn.preprocessing._polynomial', 'sklearn.preprocessing.data', 'sklearn.preprocessing._data'],
    { PolynomialFeatures: buildPolynomialFeatures },
  ],
  [
    ['sklearn.preprocessing._function_transformer', 'sklearn.preprocessing.function_transformer'],
    { FunctionTransformer: buildFunctionTransformer },
  ],
  [['sklearn.impute._base', 'sklearn.impute'], { SimpleImputer: buildSimpleImputer }],
  [['sklearn.decomposition._pca', 'sklearn.decomposition.pca'], { PCA: buildPCA }],
  [
    ['sklearn.decomposition._truncated_svd', 'sklearn.decomposition.truncated_svd'],
    { TruncatedSVD: buildTruncatedSVD },
  ],
  [['sklearn.compose._column_transformer'], { ColumnTransformer: buildColumnTransformer }],
  [['sklearn.pipeline'], { Pipeline: buildPipelineTransformer }],
];

function byName<B>(families: ReadonlyArray<Family<B>>): ReadonlyMap<string, B> {
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

const context: BuildContext = {
  estimator(object, owner) {
    const built = buildNested(object, owner, ESTIMATOR_BUILDERS, 'estimator');
    return built as Estimator;
  },
  transformer(object, owner) {
    const built = buildNested(object, owner, TRANSFORMER_BUILDERS, 'transformer');
    return built as Transformer;
  },
};

function buildNested<B extends EstimatorBuilder | TransformerBuilder>(
  object: unknown,
  owner: EstimatorState,
  builders: ReadonlyMap<string, B>,
  role: string,
): Estimator | Transformer {
  if (!(object instanceof PyObject)) throw owner.invalid(`holds ${describe(object)} where a ${role} belongs`);
  const build = builders.get(object.className);
  if (!build) {
    throw new InferdError(
      'UNSUPPORTED',
      `the native sklearn runtime cannot use a '${object.className}' as a ${role} (in ${owner.className})`,
      { reason: 'UnsupportedModel', classNames: [object.className] },
    );
  }
  return build(new EstimatorState(object), context);
}

/** The estimator for the unpickled root object of a model file. */
export function buildEstimator(root: unknown): Estimator {
  if (!(root instanceof PyObject)) {
    throw new InferdError('MODEL_LOAD_FAILED', `the model file holds ${describe(root)}, not a scikit-learn estimator`, {
      reason: 'ModelLoadFailed',
    });
  }
  const build = ESTIMATOR_BUILDERS.get(root.className);
  if (!build) {
    throw new InferdError('UNSUPPORTED', `the native sklearn runtime cannot serve a '${root.className}' as a model`, {
      reason: 'UnsupportedModel',
      classNames: [root.className],
    });
  }
  return build(new EstimatorState(root), context);
}

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof Map) return 'a dict';
  if (Array.isArray(value)) return Object.isFrozen(value) ? 'a tuple' : 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return `a ${value.constructor.name}`;
  return `a ${typeof value}`;
}
