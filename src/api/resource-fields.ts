// The field names each object may carry, for "unknown field" problems (kubectl's strict field validation
// rejects them the same way: `strict decoding error: unknown field "spec.predictor.sklean"`). Names follow
// KServe's Go structs (pkg/apis/serving/v1beta1/*.go) and the corev1 types they inline.

import { FRAMEWORK_KEYS } from './types.js';

export const TOP_LEVEL_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;

export const OBJECT_META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
] as const;

/** corev1.Container */
export const CONTAINER_FIELDS = [
  'name',
  'image',
  'command',
  'args',
  'workingDir',
  'ports',
  'envFrom',
  'env',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'volumeMounts',
  'volumeDevices',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'imagePullPolicy',
  'securityContext',
  'stdin',
  'stdinOnce',
  'tty',
] as const;

/** corev1.PodSpec as inlined by KServe's PodSpec (podspec.go). */
export const POD_SPEC_FIELDS = [
  'volumes',
  'initContainers',
  'containers',
  'ephemeralContainers',
  'restartPolicy',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'dnsPolicy',
  'nodeSelector',
  'serviceAccountName',
  'serviceAccount',
  'automountServiceAccountToken',
  'nodeName',
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'shareProcessNamespace',
  'securityContext',
  'imagePullSecrets',
  'hostname',
  'subdomain',
  'affinity',
  'schedulerName',
  'tolerations',
  'hostAliases',
  'priorityClassName',
  'priority',
  'dnsConfig',
  'readinessGates',
  'runtimeClassName',
  'enableServiceLinks',
  'preemptionPolicy',
  'overhead',
  'topologySpreadConstraints',
  'setHostnameAsFQDN',
  'os',
  'hostUsers',
  'schedulingGates',
  'resourceClaims',
  'resources',
] as const;

/** ComponentExtensionSpec (component.go) */
export const COMPONENT_EXTENSION_FIELDS = [
  'minReplicas',
  'maxReplicas',
  'scaleTarget',
  'scaleMetric',
  'scaleMetricType',
  'autoScaling',
  'containerConcurrency',
  'timeout',
  'canaryTrafficPercent',
  'logger',
  'batcher',
  'labels',
  'annotations',
  'deploymentStrategy',
] as const;

/** PredictorSpec's own fields (predictor.go), besides the inlined PodSpec and ComponentExtensionSpec. */
export const PREDICTOR_OWN_FIELDS = [
  'model',
  ...FRAMEWORK_KEYS,
  'name',
  'storageUris',
  'storageContainerName',
  'workerSpec',
] as const;

export const PREDICTOR_FIELDS: readonly string[] = [
  ...PREDICTOR_OWN_FIELDS,
  ...COMPONENT_EXTENSION_FIELDS,
  ...POD_SPEC_FIELDS,
];

export const TRANSFORMER_FIELDS: readonly string[] = [...COMPONENT_EXTENSION_FIELDS, ...POD_SPEC_FIELDS, 'storageUris'];
export const EXPLAINER_FIELDS: readonly string[] = [...TRANSFORMER_FIELDS, 'art'];

/** PredictorExtensionSpec (predictor.go): the old-style framework keys' fields. */
export const EXTENSION_FIELDS: readonly string[] = [
  'storageUri',
  'runtimeVersion',
  'protocolVersion',
  'storage',
  'confidential',
  ...CONTAINER_FIELDS,
];

/** ModelSpec (predictor_model.go) */
export const MODEL_FIELDS: readonly string[] = ['modelFormat', 'runtime', ...EXTENSION_FIELDS];

export const MODEL_FORMAT_FIELDS = ['name', 'version'] as const;
export const INFERENCE_SERVICE_SPEC_FIELDS = ['predictor', 'transformer', 'explainer', 'canary'] as const;
export const LOGGER_FIELDS = [
  'url',
  'mode',
  'metadataHeaders',
  'metadataAnnotations',
  'storage',
  'marshallerUrl',
  'batchSize',
  'batchInterval',
] as const;
export const BATCHER_FIELDS = ['maxBatchSize', 'maxLatency', 'timeout'] as const;
export const STORAGE_SPEC_FIELDS = ['key', 'path', 'parameters', 'schemaPath'] as const;
export const SUPPORTED_MODEL_FORMAT_FIELDS = ['name', 'version', 'autoSelect', 'priority'] as const;
