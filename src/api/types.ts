// Kubernetes-style resource types for the kinds inferd stores, with KServe's field names exactly as KServe
// spells them. Types only: defaulting and validation live beside this file; nothing else from inferd is imported.

export interface ObjectMeta {
  name: string;
  namespace?: string; // absent for cluster-scoped kinds (Namespace, ClusterServingRuntime)
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Keys of clients that must finish cleanup before a delete removes the object. */
  finalizers?: string[];
  /** Objects this one belongs to (Kubernetes' garbage collection deletes it after them). */
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any stored object. `spec`/`status` are kind-specific; Secret has `data`/`stringData`, ServiceAccount `secrets`. */
export interface Resource<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
  [extra: string]: unknown;
}

export interface KindInfo {
  kind: string;
  apiVersion: string; // group/version, or "v1" for the core group
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  /** Whether spec changes bump metadata.generation (kinds with spec/status). */
  hasStatus: boolean;
}

/** Every kind the store accepts. The control API serves each under its Kubernetes path. */
export const KINDS: readonly KindInfo[] = [
  {
    kind: 'InferenceService',
    apiVersion: 'serving.kserve.io/v1beta1',
    plural: 'inferenceservices',
    singular: 'inferenceservice',
    shortNames: ['isvc'],
    namespaced: true,
    hasStatus: true,
  },
  {
    kind: 'ServingRuntime',
    apiVersion: 'serving.kserve.io/v1alpha1',
    plural: 'servingruntimes',
    singular: 'servingruntime',
    shortNames: [],
    namespaced: true,
    hasStatus: true,
  },
  {
    kind: 'ClusterServingRuntime',
    apiVersion: 'serving.kserve.io/v1alpha1',
    plural: 'clusterservingruntimes',
    singular: 'clusterservingruntime',
    shortNames: [],
    namespaced: false,
    hasStatus: true,
  },
  {
    kind: 'Secret',
    apiVersion: 'v1',
    plural: 'secrets',
    singular: 'secret',
    shortNames: [],
    namespaced: true,
    hasStatus: false,
  },
  {
    kind: 'ServiceAccount',
    apiVersion: 'v1',
    plural: 'serviceaccounts',
    singular: 'serviceaccount',
    shortNames: ['sa'],
    namespaced: true,
    hasStatus: false,
  },
  {
    kind: 'Namespace',
    apiVersion: 'v1',
    plural: 'namespaces',
    singular: 'namespace',
    shortNames: ['ns'],
    namespaced: false,
    hasStatus: true,
  },
  {
    kind: 'Event',
    apiVersion: 'v1',
    plural: 'events',
    singular: 'event',
    shortNames: ['ev'],
    namespaced: true,
    hasStatus: false,
  },
  // KServe's graph router (src/graph, docs/graphs.md).
  {
    kind: 'InferenceGraph',
    apiVersion: 'serving.kserve.io/v1alpha1',
    plural: 'inferencegraphs',
    singular: 'inferencegraph',
    shortNames: ['ig'],
    namespaced: true,
    hasStatus: true,
  },
  // KServe's multi-model serving: a model loaded into a multi-model InferenceService (docs/multi-model.md).
  {
    kind: 'TrainedModel',
    apiVersion: 'serving.kserve.io/v1alpha1',
    plural: 'trainedmodels',
    singular: 'trainedmodel',
    shortNames: ['tm'],
    namespaced: true,
    hasStatus: true,
  },
  // OIDC identities' namespace roles (src/auth/role-bindings.ts, docs/auth.md).
  {
    kind: 'RoleBinding',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    plural: 'rolebindings',
    singular: 'rolebinding',
    shortNames: [],
    namespaced: true,
    hasStatus: false,
  },
];

export function kindByName(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/** Finds a kind by plural, singular, short name or Kind (case-insensitive), as kubectl resolves `get isvc`. */
export function kindByAlias(alias: string): KindInfo | undefined {
  const a = alias.toLowerCase();
  return KINDS.find(
    (k) => k.plural === a || k.singular === a || k.kind.toLowerCase() === a || k.shortNames.includes(a),
  );
}

// ---- KServe InferenceService (serving.kserve.io/v1beta1), the fields inferd reads ----

export interface ModelFormat {
  name: string;
  version?: string;
}

export interface StorageSpec {
  key?: string;
  path?: string;
  parameters?: Record<string, string>;
  schemaPath?: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: unknown;
  ports?: unknown[];
  [extra: string]: unknown;
}

/** Fields shared by `model` and the old framework keys (`sklearn`, `xgboost`, ...). */
export interface PredictorExtensionSpec extends Container {
  storageUri?: string;
  runtimeVersion?: string;
  protocolVersion?: 'v1' | 'v2' | 'grpc-v1' | 'grpc-v2';
  storage?: StorageSpec;
}

export interface ModelSpec extends PredictorExtensionSpec {
  modelFormat: ModelFormat;
  runtime?: string;
}

export interface LoggerSpec {
  url?: string;
  mode?: 'all' | 'request' | 'response';
}

export interface BatcherSpec {
  maxBatchSize?: number;
  maxLatency?: number;
  timeout?: number;
}

export interface ComponentExtensionSpec {
  minReplicas?: number;
  maxReplicas?: number;
  scaleTarget?: number;
  scaleMetric?: 'cpu' | 'memory' | 'concurrency' | 'rps';
  containerConcurrency?: number;
  timeout?: number;
  canaryTrafficPercent?: number;
  logger?: LoggerSpec;
  batcher?: BatcherSpec;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export const FRAMEWORK_KEYS = [
  'sklearn',
  'xgboost',
  'lightgbm',
  'onnx',
  'pytorch',
  'tensorflow',
  'triton',
  'pmml',
  'paddle',
  'huggingface',
] as const;
export type FrameworkKey = (typeof FRAMEWORK_KEYS)[number];

export interface PredictorSpec extends ComponentExtensionSpec {
  model?: ModelSpec;
  sklearn?: PredictorExtensionSpec;
  xgboost?: PredictorExtensionSpec;
  lightgbm?: PredictorExtensionSpec;
  onnx?: PredictorExtensionSpec;
  pytorch?: PredictorExtensionSpec;
  tensorflow?: PredictorExtensionSpec;
  triton?: PredictorExtensionSpec;
  pmml?: PredictorExtensionSpec;
  paddle?: PredictorExtensionSpec;
  huggingface?: PredictorExtensionSpec;
  containers?: Container[];
  serviceAccountName?: string;
  [extra: string]: unknown;
}

export interface InferenceServiceSpec {
  predictor: PredictorSpec;
  transformer?: Record<string, unknown>;
  explainer?: Record<string, unknown>;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  severity?: string;
  lastTransitionTime: string;
}

export interface TrafficTarget {
  revisionName: string;
  percent: number;
  latestRevision?: boolean;
  tag?: string;
  url?: string;
}

export interface ComponentStatus {
  url?: string;
  address?: { url: string };
  latestCreatedRevision?: string;
  latestReadyRevision?: string;
  previousRolledoutRevision?: string;
  latestRolledoutRevision?: string;
  traffic?: TrafficTarget[];
  /** inferd extension: restarts of this component's replicas (crash back-off). */
  restartCount?: number;
  /** inferd extension: replicas wanted (autoscaler or min/maxReplicas) over the revisions taking traffic. */
  desiredReplicas?: number;
  /** inferd extension: of those, Ready now. */
  readyReplicas?: number;
}

export type ModelState = 'Pending' | 'Loading' | 'Loaded' | 'FailedToLoad' | 'Standby';

export interface ModelStatus {
  transitionStatus: 'UpToDate' | 'InProgress' | 'BlockedByFailedLoad' | 'InvalidSpec';
  modelRevisionStates?: { activeModelState: ModelState; targetModelState?: ModelState };
  states?: { activeModelState: ModelState; targetModelState?: ModelState };
  lastFailureInfo?: { reason: string; message: string; location?: string; time?: string; exitCode?: number };
  copies?: { failedCopies: number; totalCopies?: number };
}

export interface InferenceServiceStatus {
  observedGeneration?: number;
  url?: string;
  address?: { url: string };
  conditions?: Condition[];
  components?: { predictor?: ComponentStatus; transformer?: ComponentStatus; explainer?: ComponentStatus };
  modelStatus?: ModelStatus;
}

export type InferenceService = Resource<InferenceServiceSpec, InferenceServiceStatus>;

// ---- ServingRuntime / ClusterServingRuntime (serving.kserve.io/v1alpha1) ----

export interface SupportedModelFormat {
  name: string;
  version?: string;
  autoSelect?: boolean;
  priority?: number;
}

export interface ServingRuntimeSpec {
  supportedModelFormats: SupportedModelFormat[];
  protocolVersions?: string[];
  multiModel?: boolean;
  disabled?: boolean;
  containers: Container[];
  [extra: string]: unknown;
}

export type ServingRuntime = Resource<ServingRuntimeSpec>;

// ---- core/v1 ----

export interface Secret extends Resource {
  type?: string;
  data?: Record<string, string>; // base64 values
  stringData?: Record<string, string>;
}

export interface ServiceAccount extends Resource {
  secrets?: { name: string; namespace?: string }[];
}

// ---- additions for defaulting/validation (src/api/*.ts) ----

/** KServe's protocol versions (`pkg/constants/constants.go`), in KServe's enum order (v1 < v2 < grpc-v1 < grpc-v2). */
export const PROTOCOL_VERSIONS = ['v1', 'v2', 'grpc-v1', 'grpc-v2'] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];

/** One validation finding: `path` is a JSON path such as `spec.predictor.model.storageUri`. */
export interface Problem {
  path: string;
  message: string;
}

// ---- KServe TrainedModel (serving.kserve.io/v1alpha1) ----

export interface TrainedModelSpec {
  /** The parent multi-model InferenceService, in the same namespace. */
  inferenceService: string;
  model: { storageUri: string; framework: string; memory: string | number };
}

export interface TrainedModelStatus {
  url?: string;
  address?: { url: string };
  /** Knative's status annotations (KServe's CRD has them); inferd puts the measured size here. */
  annotations?: Record<string, string>;
  conditions?: Condition[];
  observedGeneration?: number;
}

export type TrainedModel = Resource<TrainedModelSpec, TrainedModelStatus>;
