// KServe's InferenceGraph (serving.kserve.io/v1alpha1, pkg/apis/serving/v1alpha1/inference_graph.go): the
// fields inferd reads, spelled as KServe spells them. Types and constants only.

import type { Condition, Resource } from './types.js';

export type InferenceRouterType = 'Sequence' | 'Splitter' | 'Ensemble' | 'Switch';
export const ROUTER_TYPES: readonly InferenceRouterType[] = ['Sequence', 'Splitter', 'Ensemble', 'Switch'];
export type StepDependency = 'Soft' | 'Hard';
export const STEP_DEPENDENCIES: readonly StepDependency[] = ['Soft', 'Hard'];
/** GraphRootNodeName: every request enters the graph here. */
export const ROOT_NODE = 'root';

export interface InferenceStep {
  /** `name` in YAML (Go: StepName); unique within its node; Ensemble keys its answer by it. */
  name?: string;
  nodeName?: string;
  serviceName?: string;
  serviceUrl?: string;
  /** `$request` (default) or `$response` (the previous step's answer, Sequence only). */
  data?: string;
  weight?: number;
  /** A GJSON path (tidwall/gjson); the step is taken when it exists (src/graph/gjson.ts). */
  condition?: string;
  dependency?: StepDependency;
}

export interface InferenceRouter {
  routerType: InferenceRouterType;
  steps?: InferenceStep[];
}

export interface InferenceGraphSpec {
  nodes: Record<string, InferenceRouter>;
  /** Seconds; KServe uses it for the router's Knative timeout. inferd: the whole graph's deadline. */
  timeout?: number;
  minReplicas?: number;
  maxReplicas?: number;
  scaleTarget?: number;
  scaleMetric?: string;
  resources?: unknown;
  affinity?: unknown;
}

export interface InferenceGraphStatus {
  conditions?: Condition[];
  url?: string;
  observedGeneration?: number;
}

export type InferenceGraph = Resource<InferenceGraphSpec, InferenceGraphStatus>;
