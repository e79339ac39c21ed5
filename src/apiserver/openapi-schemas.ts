// OpenAPI (v3 structural) schemas for the kinds inferd serves, derived from the fields in src/api/types.ts:
// what `kubectl explain` shows and what kubectl's apply reads. Not the validator: inferd validates every
// write itself (src/api/), so parts it passes through to runtimes (containers, resources, affinity...) keep
// `x-kubernetes-preserve-unknown-fields`, as KServe's CRD does for its embedded Kubernetes types.

import { FRAMEWORK_KEYS, type KindInfo } from '../api/types.js';

export type Schema = Record<string, unknown>;

const str = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) });
const int = (description?: string): Schema => ({
  type: 'integer',
  format: 'int32',
  ...(description ? { description } : {}),
});
const bool: Schema = { type: 'boolean' };
const strMap: Schema = { type: 'object', additionalProperties: { type: 'string' } };
const free: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const arr = (items: Schema): Schema => ({ type: 'array', items });
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  ...extra,
});
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
export const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';

/** Shared definitions every group-version document carries. */
export const META_SCHEMAS: Record<string, Schema> = {
  [OBJECT_META]: obj({
    name: str(),
    generateName: str(),
    namespace: str(),
    uid: str(),
    resourceVersion: str(),
    generation: { type: 'integer', format: 'int64' },
    creationTimestamp: { type: 'string', format: 'date-time' },
    deletionTimestamp: { type: 'string', format: 'date-time' },
    labels: strMap,
    annotations: strMap,
    finalizers: arr(str()),
    ownerReferences: arr(free),
    managedFields: arr(free),
  }),
  [LIST_META]: obj({ resourceVersion: str(), continue: str(), remainingItemCount: { type: 'integer' } }),
  'io.k8s.apimachinery.pkg.apis.meta.v1.Status': obj({
    apiVersion: str(),
    kind: str(),
    metadata: ref(LIST_META),
    status: str(),
    message: str(),
    reason: str(),
    details: free,
    code: int(),
  }),
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': { type: 'object', description: 'a patch document' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions': obj({
    apiVersion: str(),
    kind: str(),
    dryRun: arr(str()),
    gracePeriodSeconds: { type: 'integer', format: 'int64' },
    propagationPolicy: str(),
    preconditions: free,
  }),
};

const container: Schema = obj(
  {
    name: str(),
    image: str(),
    command: arr(str()),
    args: arr(str()),
    env: arr(obj({ name: str(), value: str(), valueFrom: free }, { required: ['name'] })),
    resources: free,
    ports: arr(free),
  },
  { 'x-kubernetes-preserve-unknown-fields': true },
);

const extensionFields: Record<string, Schema> = {
  ...(container['properties'] as Record<string, Schema>),
  storageUri: str('where the model is: s3://, gs://, https://, pvc://, file:// or a local path'),
  runtimeVersion: str(),
  // KServe's CRD lists no enum here; inferd's validation names the accepted values (v1, v2, grpc-v1, grpc-v2).
  protocolVersion: str('v1, v2, grpc-v1 or grpc-v2'),
  storage: obj({ key: str(), path: str(), parameters: strMap, schemaPath: str() }),
};
const predictorExtension = obj(extensionFields, { 'x-kubernetes-preserve-unknown-fields': true });
const modelSpec = obj(
  {
    ...extensionFields,
    modelFormat: obj({ name: str(), version: str() }, { required: ['name'] }),
    runtime: str('a ServingRuntime or ClusterServingRuntime name'),
  },
  // modelFormat is required by validation (src/api), not by the schema: KServe's CRD requires nothing here.
  { 'x-kubernetes-preserve-unknown-fields': true },
);

// KServe's Go `int` fields: an integer with no format (int32 would be narrower than KServe's CRD).
const integer: Schema = { type: 'integer' };
const componentFields: Record<string, Schema> = {
  minReplicas: integer,
  maxReplicas: integer,
  scaleTarget: integer,
  scaleMetric: { type: 'string', enum: ['cpu', 'memory', 'concurrency', 'rps'] },
  containerConcurrency: { type: 'integer', format: 'int64' },
  timeout: { type: 'integer', format: 'int64' },
  canaryTrafficPercent: { type: 'integer', format: 'int64' },
  logger: obj({ url: str(), mode: { type: 'string', enum: ['all', 'request', 'response'] } }),
  batcher: obj({ maxBatchSize: integer, maxLatency: integer, timeout: integer }),
  labels: strMap,
  annotations: strMap,
  containers: arr(container),
  serviceAccountName: str(),
};

const predictor = obj(
  {
    ...componentFields,
    model: modelSpec,
    ...Object.fromEntries(FRAMEWORK_KEYS.map((k) => [k, predictorExtension])),
  },
  // Pod fields (nodeSelector, tolerations, volumes, ...) pass through to the replica spec.
  { 'x-kubernetes-preserve-unknown-fields': true },
);
const component = obj(componentFields, { 'x-kubernetes-preserve-unknown-fields': true });

const condition = obj(
  {
    type: str(),
    status: str(),
    reason: str(),
    message: str(),
    severity: str(),
    lastTransitionTime: str(), // knative's VolatileTime: KServe's CRD gives it no format
  },
  { required: ['type', 'status'] },
);
const traffic = obj({
  configurationName: str(),
  revisionName: str(),
  percent: { type: 'integer', format: 'int64' },
  latestRevision: bool,
  tag: str(),
  url: str(),
});
const componentStatus = obj({
  url: str(),
  restUrl: str(),
  grpcUrl: str(),
  address: free,
  latestCreatedRevision: str(),
  latestReadyRevision: str(),
  previousRolledoutRevision: str(),
  latestRolledoutRevision: str(),
  traffic: arr(traffic),
  restartCount: int('inferd extension: restarts of this component'),
});

const inferenceService: Record<string, Schema> = {
  spec: obj({ predictor, transformer: component, explainer: component }, { required: ['predictor'] }),
  status: obj(
    {
      observedGeneration: { type: 'integer', format: 'int64' },
      url: str(),
      address: free,
      conditions: arr(condition),
      // predictor, transformer, explainer: a map in KServe's CRD
      components: { type: 'object', additionalProperties: componentStatus },
      modelStatus: free,
    },
    { 'x-kubernetes-preserve-unknown-fields': true },
  ),
};

const servingRuntime: Record<string, Schema> = {
  spec: obj(
    {
      supportedModelFormats: arr(
        obj({ name: str(), version: str(), autoSelect: bool, priority: int() }, { required: ['name'] }),
      ),
      protocolVersions: arr(str()),
      multiModel: bool,
      disabled: bool,
      containers: arr(container),
    },
    { 'x-kubernetes-preserve-unknown-fields': true },
  ),
  status: free,
};

// KServe v0.12.1 config/crd/serving.kserve.io_inferencegraphs.yaml, the fields inferd reads (docs/graphs.md).
const inferenceStep = obj({
  name: str('unique within its node; an Ensemble keys its answer by it'),
  nodeName: str(),
  serviceName: str('an InferenceService of the graph namespace'),
  serviceUrl: str(),
  data: str('$request (default) or $response'),
  weight: { type: 'integer', format: 'int64' },
  condition: str('a GJSON path; the step is taken when it exists'),
  dependency: { type: 'string', enum: ['Soft', 'Hard'] },
});
const inferenceGraph: Record<string, Schema> = {
  spec: obj(
    {
      nodes: {
        type: 'object',
        additionalProperties: obj(
          {
            routerType: { type: 'string', enum: ['Sequence', 'Splitter', 'Ensemble', 'Switch'] },
            steps: arr(inferenceStep),
          },
          { required: ['routerType'] },
        ),
      },
      timeout: { type: 'integer', format: 'int64' },
      resources: free,
      affinity: free,
      minReplicas: integer,
      maxReplicas: integer,
      scaleTarget: integer,
      scaleMetric: str(),
    },
    { required: ['nodes'], 'x-kubernetes-preserve-unknown-fields': true },
  ),
  status: obj({
    url: str(),
    conditions: arr(condition),
    annotations: strMap,
    observedGeneration: { type: 'integer', format: 'int64' },
  }),
};

const trainedModel: Record<string, Schema> = {
  spec: obj(
    {
      inferenceService: str('the multi-model InferenceService to load into'),
      model: obj({ storageUri: str(), framework: str(), memory: { 'x-kubernetes-int-or-string': true } }),
    },
    { required: ['inferenceService', 'model'] },
  ),
  status: free,
};

/** The kind-specific top-level fields (besides apiVersion, kind, metadata). */
const BODIES: Record<string, Record<string, Schema>> = {
  InferenceService: inferenceService,
  InferenceGraph: inferenceGraph,
  ServingRuntime: servingRuntime,
  ClusterServingRuntime: servingRuntime,
  TrainedModel: trainedModel,
  Secret: {
    type: str(),
    data: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } },
    stringData: strMap,
    immutable: bool,
  },
  ServiceAccount: {
    secrets: arr(obj({ name: str(), namespace: str(), kind: str(), apiVersion: str() })),
    imagePullSecrets: arr(obj({ name: str() })),
    automountServiceAccountToken: bool,
  },
  Namespace: { spec: obj({ finalizers: arr(str()) }), status: obj({ phase: str(), conditions: arr(free) }) },
  RoleBinding: {
    roleRef: obj({ apiGroup: str(), kind: str(), name: str() }),
    subjects: arr(obj({ apiGroup: str(), kind: str(), name: str(), namespace: str() })),
  },
  Event: {
    involvedObject: free,
    reason: str(),
    message: str(),
    type: str(),
    count: int(),
    firstTimestamp: { type: 'string', format: 'date-time' },
    lastTimestamp: { type: 'string', format: 'date-time' },
    eventTime: { type: 'string', format: 'date-time' },
    source: free,
    reportingComponent: str(),
    reportingInstance: str(),
    action: str(),
    related: free,
    series: free,
  },
};

/** `io.kserve.serving.v1beta1.InferenceService`, `io.k8s.api.core.v1.Secret`: the names the apiserver uses. */
export function schemaName(kind: KindInfo, suffix = ''): string {
  if (!kind.apiVersion.includes('/')) return `io.k8s.api.core.v1.${kind.kind}${suffix}`;
  const [group, version] = kind.apiVersion.split('/') as [string, string];
  return `${group.split('.').reverse().join('.')}.${version}.${kind.kind}${suffix}`;
}

export function groupVersionKind(kind: KindInfo): { group: string; kind: string; version: string } {
  const [group, version] = kind.apiVersion.includes('/') ? kind.apiVersion.split('/') : ['', kind.apiVersion];
  return { group: group!, kind: kind.kind, version: version! };
}

/** The object schema and its list schema for `kind`. */
export function kindSchemas(kind: KindInfo): Record<string, Schema> {
  const gvk = groupVersionKind(kind);
  const typeMeta = { apiVersion: str(), kind: str() };
  return {
    [schemaName(kind)]: obj(
      { ...typeMeta, metadata: ref(OBJECT_META), ...(BODIES[kind.kind] ?? {}) },
      { 'x-kubernetes-group-version-kind': [gvk] },
    ),
    [schemaName(kind, 'List')]: obj(
      { ...typeMeta, metadata: ref(LIST_META), items: arr(ref(schemaName(kind))) },
      { required: ['items'], 'x-kubernetes-group-version-kind': [{ ...gvk, kind: `${kind.kind}List` }] },
    ),
  };
}
