// TrainedModel checks: the CRD's schema (spec.inferenceService; spec.model.storageUri, framework, memory all
// required, memory a quantity) and KServe's TrainedModel webhook (name a DNS-1035 label, as the model name
// becomes a path segment; storageUri schemes as for InferenceServices). Whether the parent exists, is a
// multi-model server and supports the framework is status, not admission (conditions, as KServe's controller
// reports them): the parent may be created after its models.

import { isObject, isString, type Out, present, unknownFields } from './checks.js';
import { parseQuantity } from './limits.js';
import { validateObjectMeta } from './object-meta.validation.js';
import { TOP_LEVEL_FIELDS } from './resource-fields.js';
import { storageUriProblem } from './storage-uri.js';
import { kindByName, type Problem, type TrainedModel } from './types.js';

export function validateTrainedModel(tm: TrainedModel): Problem[] {
  const out: Out = [];
  const obj = tm as unknown as Record<string, unknown>;
  unknownFields(obj, TOP_LEVEL_FIELDS, '', out);
  out.push(...validateObjectMeta(obj['metadata'], kindByName('TrainedModel')!));
  const spec = obj['spec'];
  if (!present(spec)) {
    out.push({ path: 'spec', message: 'required (with inferenceService and model)' });
    return out;
  }
  if (!isObject(spec, 'spec', out)) return out;
  unknownFields(spec, ['inferenceService', 'model'], 'spec', out);
  const parent = spec['inferenceService'];
  if (!present(parent) || parent === '') {
    out.push({ path: 'spec.inferenceService', message: 'required: the multi-model InferenceService to load into' });
  } else isString(parent, 'spec.inferenceService', out);
  const model = spec['model'];
  if (!present(model)) {
    out.push({ path: 'spec.model', message: 'required (with storageUri, framework and memory)' });
    return out;
  }
  if (!isObject(model, 'spec.model', out)) return out;
  unknownFields(model, ['storageUri', 'framework', 'memory'], 'spec.model', out);
  const uri = model['storageUri'];
  if (!present(uri) || uri === '') out.push({ path: 'spec.model.storageUri', message: 'required' });
  else if (isString(uri, 'spec.model.storageUri', out)) {
    const bad = storageUriProblem(uri);
    if (bad) out.push({ path: 'spec.model.storageUri', message: bad });
  }
  const framework = model['framework'];
  if (!present(framework) || framework === '') {
    out.push({ path: 'spec.model.framework', message: 'required: the model format (sklearn, xgboost, ...)' });
  } else isString(framework, 'spec.model.framework', out);
  const memory = model['memory'];
  if (!present(memory) || memory === '') {
    out.push({ path: 'spec.model.memory', message: 'required: a quantity such as 128Mi' });
  } else if (parseQuantity(memory) === undefined) {
    out.push({
      path: 'spec.model.memory',
      message: `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', got ${JSON.stringify(memory)} (write e.g. 128Mi)`,
    });
  }
  return out;
}
