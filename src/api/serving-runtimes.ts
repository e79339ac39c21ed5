// KServe's built-in ClusterServingRuntimes (config/runtimes/*.yaml, the installed set of
// config/runtimes/kustomization.yaml), with their supportedModelFormats and protocolVersions exactly as KServe
// ships them, so that runtime auto-selection picks what KServe would pick. The containers keep KServe's images
// and arguments for reference (and for the cluster mode); locally inferd serves a runtime natively when its
// `inferd.dev/runtime` annotation lists the model's format (see inferdRuntimeFor).

import type { Container, ProtocolVersion, ServingRuntime, SupportedModelFormat } from './types.js';

export { type RuntimeSelection, selectRuntime } from './runtime-selection.js';

/** Annotation on a (Cluster)ServingRuntime: comma-separated inferd runtimes that serve it natively. */
export const INFERD_RUNTIME_ANNOTATION = 'inferd.dev/runtime';
/** Annotation marking the runtimes defined here (user-applied runtimes do not carry it). */
export const INFERD_BUILTIN_ANNOTATION = 'inferd.dev/builtin';

/** Runtime argument templates over the InferenceService's metadata, as KServe's runtimes use them. */
const MODEL_NAME_ARG = '--model_name={{.Name}}';
const MODEL_DIR_ARG = '--model_dir=/mnt/models';
const HTTP_PORT_ARG = '--http_port=8080';
/** Requests = limits in every built-in runtime. */
const RESOURCES = { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } };

interface BuiltinDef {
  name: string;
  formats: SupportedModelFormat[];
  protocolVersions: ProtocolVersion[];
  container: Container;
  /** inferd runtimes that serve this one natively (format names). */
  inferd?: string[];
  metricsPort?: number;
}

/** One entry per (name, version), as in KServe's YAML. */
function formats(name: string, versions: string[], autoSelect: boolean | undefined, priority?: number) {
  return versions.map(
    (version): SupportedModelFormat => ({
      name,
      version,
      ...(autoSelect === undefined ? {} : { autoSelect }),
      ...(priority === undefined ? {} : { priority }),
    }),
  );
}

const DEFS: BuiltinDef[] = [
  {
    name: 'kserve-sklearnserver', // config/runtimes/kserve-sklearnserver.yaml
    formats: formats('sklearn', ['1'], true, 1),
    protocolVersions: ['v1', 'v2'],
    container: { image: 'kserve/sklearnserver:latest', args: [MODEL_NAME_ARG, MODEL_DIR_ARG, HTTP_PORT_ARG] },
    inferd: ['sklearn'],
  },
  {
    name: 'kserve-xgbserver', // config/runtimes/kserve-xgbserver.yaml
    formats: formats('xgboost', ['2'], true, 1),
    protocolVersions: ['v1', 'v2'],
    container: {
      image: 'kserve/xgbserver:latest',
      args: [MODEL_NAME_ARG, MODEL_DIR_ARG, HTTP_PORT_ARG, '--nthread=1'],
    },
    inferd: ['xgboost'],
  },
  {
    name: 'kserve-lgbserver', // config/runtimes/kserve-lgbserver.yaml
    formats: formats('lightgbm', ['4'], true, 1),
    protocolVersions: ['v1', 'v2'],
    container: {
      image: 'kserve/lgbserver:latest',
      args: [MODEL_NAME_ARG, MODEL_DIR_ARG, HTTP_PORT_ARG, '--nthread=1'],
    },
    inferd: ['lightgbm'],
  },
  {
    name: 'kserve-mlserver', // config/runtimes/kserve-mlserver.yaml
    formats: [
      ...formats('sklearn', ['0', '1'], true, 2),
      ...formats('xgboost', ['1', '2'], true, 2),
      ...formats('lightgbm', ['3', '4'], true, 2),
      ...formats('mlflow', ['1', '2'], true, 1),
    ],
    protocolVersions: ['v2'],
    container: {
      image: 'docker.io/seldonio/mlserver:1.7.1',
      env: [
        { name: 'MLSERVER_MODEL_IMPLEMENTATION', value: '{{.Labels.modelClass}}' },
        { name: 'MLSERVER_HTTP_PORT', value: '8080' },
        { name: 'MLSERVER_GRPC_PORT', value: '9000' },
        { name: 'MODELS_DIR', value: '/mnt/models' },
      ],
    },
    inferd: ['sklearn', 'xgboost', 'lightgbm', 'mlflow'],
  },
  {
    name: 'kserve-tensorflow-serving', // config/runtimes/kserve-tensorflow-serving.yaml
    formats: formats('tensorflow', ['1', '2'], true, 2),
    protocolVersions: ['v1', 'grpc-v1'],
    container: {
      image: 'tensorflow/serving:2.6.2',
      command: ['/usr/bin/tensorflow_model_server'],
      args: [
        MODEL_NAME_ARG,
        '--port=9000',
        '--rest_api_port=8080',
        '--model_base_path=/mnt/models',
        '--rest_api_timeout_in_ms=60000',
      ],
    },
  },
  {
    name: 'kserve-torchserve', // config/runtimes/kserve-torchserve.yaml
    formats: formats('pytorch', ['1'], true, 2),
    protocolVersions: ['v1', 'v2', 'grpc-v2'],
    container: {
      image: 'pytorch/torchserve-kfs:0.9.0',
      args: [
        'torchserve',
        '--start',
        '--model-store=/mnt/models/model-store',
        '--ts-config=/mnt/models/config/config.properties',
      ],
      env: [{ name: 'TS_SERVICE_ENVELOPE', value: '{{.Labels.serviceEnvelope}}' }],
    },
    metricsPort: 8082,
  },
  {
    name: 'kserve-tritonserver', // config/runtimes/kserve-tritonserver.yaml
    formats: [
      ...formats('tensorrt', ['8'], true, 1),
      ...formats('tensorflow', ['1', '2'], true, 1),
      ...formats('onnx', ['1'], true, 1),
      ...formats('pytorch', ['1'], undefined),
      ...formats('triton', ['2'], true, 1),
    ],
    protocolVersions: ['v2', 'grpc-v2'],
    container: {
      image: 'nvcr.io/nvidia/tritonserver:23.05-py3',
      args: [
        'tritonserver',
        '--model-store=/mnt/models',
        '--grpc-port=9000',
        '--http-port=8080',
        '--allow-grpc=true',
        '--allow-http=true',
      ],
    },
    inferd: ['onnx'],
  },
  {
    name: 'kserve-pmmlserver', // config/runtimes/kserve-pmmlserver.yaml
    formats: formats('pmml', ['3', '4'], true, 1),
    protocolVersions: ['v1', 'v2'],
    container: { image: 'kserve/pmmlserver:latest', args: [MODEL_NAME_ARG, MODEL_DIR_ARG, HTTP_PORT_ARG] },
  },
  {
    name: 'kserve-paddleserver', // config/runtimes/kserve-paddleserver.yaml
    formats: formats('paddle', ['2'], true, 1),
    protocolVersions: ['v1', 'v2'],
    container: { image: 'kserve/paddleserver:latest', args: [MODEL_NAME_ARG, MODEL_DIR_ARG, HTTP_PORT_ARG] },
  },
  {
    name: 'kserve-huggingfaceserver', // config/runtimes/kserve-huggingfaceserver.yaml
    formats: formats('huggingface', ['1'], true, 1),
    protocolVersions: ['v2', 'v1'],
    container: { image: 'kserve/huggingfaceserver:latest', args: [MODEL_NAME_ARG] },
  },
];

function toRuntime(def: BuiltinDef): ServingRuntime {
  const annotations: Record<string, string> = { [INFERD_BUILTIN_ANNOTATION]: 'true' };
  if (def.inferd) annotations[INFERD_RUNTIME_ANNOTATION] = def.inferd.join(',');
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ClusterServingRuntime',
    metadata: { name: def.name, annotations },
    spec: {
      annotations: {
        'prometheus.kserve.io/port': String(def.metricsPort ?? 8080),
        'prometheus.kserve.io/path': '/metrics',
      },
      supportedModelFormats: def.formats,
      protocolVersions: def.protocolVersions,
      containers: [{ name: 'kserve-container', ...def.container, resources: RESOURCES }],
    },
  };
}

/** KServe's built-in ClusterServingRuntimes, by KServe's names. Deep-frozen: copy before changing. */
export const BUILTIN_CLUSTER_SERVING_RUNTIMES: readonly ServingRuntime[] = deepFreeze(DEFS.map(toRuntime));

/** Names of the built-in runtimes. */
export const BUILTIN_RUNTIME_NAMES: readonly string[] = DEFS.map((d) => d.name);

/** One of the runtimes above, or a ClusterServingRuntime stored under a built-in's name. */
export function isBuiltinRuntime(rt: ServingRuntime): boolean {
  return (
    rt.metadata.annotations?.[INFERD_BUILTIN_ANNOTATION] === 'true' ||
    (rt.kind === 'ClusterServingRuntime' && BUILTIN_RUNTIME_NAMES.includes(rt.metadata.name))
  );
}

/**
 * The built-ins plus the stored runtimes; a stored ClusterServingRuntime with a built-in's name replaces it
 * (as re-applying KServe's YAML would). Use this to build `ctx.runtimes` for defaulting and admission.
 */
export function withBuiltinRuntimes(stored: readonly ServingRuntime[]): ServingRuntime[] {
  const overridden = new Set(stored.filter((r) => r.kind === 'ClusterServingRuntime').map((r) => r.metadata.name));
  return [...BUILTIN_CLUSTER_SERVING_RUNTIMES.filter((r) => !overridden.has(r.metadata.name)), ...stored];
}

/**
 * The inferd runtime (a `src/runtimes/` format name) that serves `modelFormat` under this (Cluster)ServingRuntime
 * natively, or undefined when the runtime's `inferd.dev/runtime` annotation does not list it.
 */
export function inferdRuntimeFor(runtime: ServingRuntime, modelFormat: string): string | undefined {
  // A stored runtime re-applied from KServe's YAML under a built-in's name keeps the built-in's native mapping.
  const builtin = DEFS.find((d) => d.name === runtime.metadata.name && runtime.kind === 'ClusterServingRuntime');
  const listed = runtime.metadata.annotations?.[INFERD_RUNTIME_ANNOTATION] ?? builtin?.inferd?.join(',');
  if (!listed) return undefined;
  const names = listed.split(',').map((s) => s.trim());
  return names.includes(modelFormat) ? modelFormat : undefined;
}

/** Every model format name a runtime in `runtimes` declares (any autoSelect), in first-seen order. */
export function knownModelFormats(runtimes: readonly ServingRuntime[]): string[] {
  const seen = new Set<string>();
  for (const rt of runtimes) for (const f of rt.spec?.supportedModelFormats ?? []) seen.add(f.name);
  return [...seen];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
