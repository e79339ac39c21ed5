// sklearn's feature-name check for DataFrame input (BaseEstimator._check_feature_names with reset=False): when the
// estimator was fitted on named columns and the request names its columns (KServe's `content_type: pd`), the
// names must be the same and in the same order. Either side without names only warns in sklearn, so passes here.

import { invalidInput } from './input-matrix.js';

const MAX_NAMES_SHOWN = 5;

function listNames(names: readonly string[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) {
    if (i >= MAX_NAMES_SHOWN) {
      out += '- ...\n';
      break;
    }
    out += `- ${names[i]}\n`;
  }
  return out;
}

export function checkFeatureNames(fitted: readonly string[] | null, given: readonly string[]): void {
  if (!fitted) return;
  if (fitted.length === given.length && fitted.every((name, i) => name === given[i])) return;
  const fittedSet = new Set(fitted);
  const givenSet = new Set(given);
  const unexpected = [...givenSet].filter((n) => !fittedSet.has(n)).sort();
  const missing = [...fittedSet].filter((n) => !givenSet.has(n)).sort();
  let message = 'The feature names should match those that were passed during fit.\n';
  if (unexpected.length) message += `Feature names unseen at fit time:\n${listNames(unexpected)}`;
  if (missing.length) message += `Feature names seen at fit time, yet now missing:\n${listNames(missing)}`;
  if (!unexpected.length && !missing.length)
    message += 'Feature names must be in the same order as they were in fit.\n';
  throw invalidInput(message);
}
