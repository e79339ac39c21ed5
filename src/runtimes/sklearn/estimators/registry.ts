// Which pickled scikit-learn classes the native runtime can serve, by their full import path (current
// `sklearn.svm._classes` and pre-0.22 `sklearn.svm.classes` spellings), and how to build each one.

import { InferdError } from '../../../errors.js';
import { PyObject } from '../pickle/py-values.js';
import type { Estimator } from './estimator.js';
import { EstimatorState } from './estimator-state.js';
import { buildForestClassifier, buildForestRegressor } from './forest.js';
import { buildLinearRegressor, buildLinearSVC, buildLogisticRegression } from './linear.js';
import { buildSupportVectorClassifier, buildSupportVectorRegressor } from './svm.js';
import { buildDecisionTreeClassifier, buildDecisionTreeRegressor } from './tree.js';

type Builder = (state: EstimatorState) => Estimator;

/** [modules (current, legacy), class names, builder] */
const FAMILIES: ReadonlyArray<[readonly string[], Record<string, Builder>]> = [
  [
    ['sklearn.svm._classes', 'sklearn.svm.classes'],
    {
      SVC: buildSupportVectorClassifier,
      NuSVC: buildSupportVectorClassifier,
      SVR: buildSupportVectorRegressor,
      NuSVR: buildSupportVectorRegressor,
      LinearSVC: buildLinearSVC,
    },
  ],
  [
    ['sklearn.linear_model._logistic', 'sklearn.linear_model.logistic'],
    { LogisticRegression: buildLogisticRegression },
  ],
  [['sklearn.linear_model._base', 'sklearn.linear_model.base'], { LinearRegression: buildLinearRegressor }],
  [['sklearn.linear_model._ridge', 'sklearn.linear_model.ridge'], { Ridge: buildLinearRegressor }],
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
];

const BUILDERS: ReadonlyMap<string, Builder> = new Map(
  FAMILIES.flatMap(([modules, classes]) =>
    modules.flatMap((module) => Object.entries(classes).map(([name, build]) => [`${module}.${name}`, build] as const)),
  ),
);

/** Classes the unpickler may rebuild as attribute bags: the estimators above plus the Tree they hold. */
export const SUPPORTED_CLASSES: ReadonlySet<string> = new Set([...BUILDERS.keys(), 'sklearn.tree._tree.Tree']);

/** scikit-learn (and scipy.sparse) names we recognise but do not implement: reported as UNSUPPORTED. */
export function isRecognisedUnsupported(qualifiedName: string): boolean {
  return qualifiedName.startsWith('sklearn.') || qualifiedName.startsWith('scipy.sparse.');
}

/** The estimator for the unpickled root object of a model file. */
export function buildEstimator(root: unknown): Estimator {
  if (!(root instanceof PyObject)) {
    throw new InferdError('MODEL_LOAD_FAILED', `the model file holds ${describe(root)}, not a scikit-learn estimator`, {
      reason: 'ModelLoadFailed',
    });
  }
  const build = BUILDERS.get(root.className);
  if (!build) {
    throw new InferdError('UNSUPPORTED', `the native sklearn runtime cannot serve a '${root.className}' as a model`, {
      reason: 'UnsupportedModel',
      classNames: [root.className],
    });
  }
  return build(new EstimatorState(root));
}

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof Map) return 'a dict';
  if (Array.isArray(value)) return Object.isFrozen(value) ? 'a tuple' : 'a list';
  if (typeof value === 'object') return `a ${value.constructor.name}`;
  return `a ${typeof value}`;
}
