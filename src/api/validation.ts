// One entry point for validating any stored kind (after checkKind): dispatches to the kind's validator.

import { validateEvent, validateNamespace, validateSecret, validateServiceAccount } from './core.validation.js';
import { validateInferenceGraph } from './inference-graph.validation.js';
import { validateInferenceService } from './inference-service.validation.js';
import { validateObjectMeta } from './object-meta.validation.js';
import { validateRoleBinding } from './role-binding.validation.js';
import { validateServingRuntime } from './serving-runtime.validation.js';
import { validateTrainedModel } from './trained-model.validation.js';
import {
  type InferenceService,
  kindByName,
  type Problem,
  type Resource,
  type ServingRuntime,
  type TrainedModel,
} from './types.js';

export { validateObjectMeta };

export interface ValidationContext {
  servedFormats: readonly string[];
  runtimes?: readonly ServingRuntime[];
}

/** Problems with `obj`, whose kind must already be a served one (see checkKind). */
export function validateResource(obj: Resource, ctx: ValidationContext): Problem[] {
  switch (obj.kind) {
    case 'InferenceService':
      return validateInferenceService(obj as InferenceService, ctx);
    case 'ServingRuntime':
    case 'ClusterServingRuntime':
      return validateServingRuntime(obj as ServingRuntime, ctx);
    case 'TrainedModel':
      return validateTrainedModel(obj as TrainedModel);
    case 'Secret':
      return validateSecret(obj);
    case 'ServiceAccount':
      return validateServiceAccount(obj);
    case 'Namespace':
      return validateNamespace(obj);
    case 'Event':
      return validateEvent(obj);
    case 'InferenceGraph': {
      const graph = validateInferenceGraph(obj);
      // KServe's own name message replaces the generic one when both refuse the name.
      const named = graph.some((p) => p.path === 'metadata.name');
      const meta = validateObjectMeta(obj.metadata, kindByName('InferenceGraph')!);
      return [...meta.filter((p) => !named || p.path !== 'metadata.name'), ...graph];
    }
    case 'RoleBinding':
      return [...validateObjectMeta(obj.metadata, kindByName('RoleBinding')!), ...validateRoleBinding(obj)];
    default: {
      const kind = kindByName(obj.kind);
      return kind ? validateObjectMeta(obj.metadata, kind) : [{ path: 'kind', message: `unknown kind ${obj.kind}` }];
    }
  }
}
