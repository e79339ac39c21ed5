// The Kubernetes objects one revision of an InferenceService becomes in cluster mode (KServe's raw
// deployment mode, without Knative): a Deployment running inferd's model server with the storage
// initializer as init container, a Service, and an HPA when CPU/memory autoscaling is asked for. Pure:
// the service, the revision and the operator's settings in, plain objects out (validated against the
// Kubernetes schemas in test/operator/objects.test.ts).

import type { InferenceService, OwnerReference, Resource, Secret, ServiceAccount } from '../api/types.js';
import type { ScaleSettings } from '../controllers/autoscaler/scale-source.js';
import { KSERVE_MODEL_MOUNT } from '../controllers/inference-service/containers.js';
import { storageUriOf } from '../controllers/inference-service/plan.js';
import { predictorReplicaArgs, servedModelName } from '../replica-protocol.js';
import { s3FromSecret, secretValues } from '../storage/credentials.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'inferd';
export const ISVC_LABEL = 'serving.kserve.io/inferenceservice';
export const REVISION_LABEL = 'serving.inferd.dev/revision';
export const COMPONENT_LABEL = 'component';
/** The revision template's hash and the spec it was made from (what revisions.ts's ledger keeps locally). */
export const TEMPLATE_HASH_ANNOTATION = 'serving.inferd.dev/template-hash';
export const REVISION_SPEC_ANNOTATION = 'serving.inferd.dev/revision-spec';
export const REVISION_NUMBER_ANNOTATION = 'serving.inferd.dev/revision-number';
export const REVISION_CREATED_ANNOTATION = 'serving.inferd.dev/revision-created';
export const CONTROLLER_CLASS_ANNOTATION = 'serving.inferd.dev/controller-class';
export const FINALIZER = 'serving.inferd.dev/finalizer';
export const HTTP_PORT = 8080;
export const GRPC_PORT = 8081;
const MODEL_VOLUME = 'kserve-provision-location';

export interface BuildContext {
  /** `ghcr.io/inferd/inferd:<version>` or `--image`. */
  image: string;
}

export interface RevisionInput {
  /** The service as the revision was made from it (defaulted). */
  isvc: InferenceService;
  /** `{name}-predictor-00001` (also the Deployment's and the Service's name). */
  revision: string;
  number: number;
  templateHash: string;
  createdAt: string;
  settings: ScaleSettings;
  /** Replicas to ask for; undefined leaves them to the HPA. */
  replicas: number | undefined;
  /** Secrets of the predictor's service account, for the storage initializer's env. */
  credentials?: { serviceAccount?: ServiceAccount; secrets: Secret[] };
}

export function ownerReferenceTo(isvc: InferenceService): OwnerReference {
  return {
    apiVersion: isvc.apiVersion,
    kind: isvc.kind,
    name: isvc.metadata.name,
    uid: isvc.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function labelsFor(isvc: InferenceService, revision?: string): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [ISVC_LABEL]: isvc.metadata.name,
    [COMPONENT_LABEL]: 'predictor',
    ...(revision ? { [REVISION_LABEL]: revision } : {}),
  };
}

function meta(
  isvc: InferenceService,
  name: string,
  revision: string | undefined,
  annotations?: Record<string, string>,
) {
  return {
    name,
    namespace: isvc.metadata.namespace ?? 'default',
    labels: labelsFor(isvc, revision),
    ...(annotations ? { annotations } : {}),
    ownerReferences: [ownerReferenceTo(isvc)],
  };
}

type EnvVar = { name: string; value?: string; valueFrom?: unknown };

/**
 * The storage initializer's env the KServe way (its credential builder): S3 keys as secretKeyRefs to the
 * service account's secret (never copied into the Deployment), endpoint/region/TLS settings from the
 * secret's serving.kserve.io/s3-* annotations as plain values; a GCS key file mounted from its secret.
 */
export function storageEnv(credentials: RevisionInput['credentials']): { env: EnvVar[]; gcsSecret?: string } {
  const env: EnvVar[] = [];
  let gcsSecret: string | undefined;
  for (const secret of credentials?.secrets ?? []) {
    const values = secretValues(secret);
    const ref = (envName: string, keys: string[]) => {
      const key = keys.find((k) => values[k] !== undefined);
      if (key) env.push({ name: envName, valueFrom: { secretKeyRef: { name: secret.metadata.name, key } } });
    };
    ref('AWS_ACCESS_KEY_ID', ['AWS_ACCESS_KEY_ID', 'awsAccessKeyID']);
    ref('AWS_SECRET_ACCESS_KEY', ['AWS_SECRET_ACCESS_KEY', 'awsSecretAccessKey']);
    const s3 = s3FromSecret({ ...secret, data: {}, stringData: {} }, credentials?.serviceAccount);
    if (s3.endpoint)
      env.push({ name: 'AWS_ENDPOINT_URL', value: s3.endpoint }, { name: 'S3_ENDPOINT', value: s3.endpoint });
    if (s3.region) env.push({ name: 'AWS_REGION', value: s3.region });
    if (s3.verifySsl !== undefined) env.push({ name: 'S3_VERIFY_SSL', value: s3.verifySsl ? '1' : '0' });
    if (s3.anonymous !== undefined) env.push({ name: 'awsAnonymousCredential', value: String(s3.anonymous) });
    if (s3.caBundle) env.push({ name: 'AWS_CA_BUNDLE', value: s3.caBundle });
    if (values['gcloud-application-credentials.json'] !== undefined && !gcsSecret) {
      gcsSecret = secret.metadata.name;
      env.push({ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/secrets/gcloud-application-credentials.json' });
    }
  }
  // One value per name: the first secret that has it wins, as in KServe.
  const seen = new Set<string>();
  return { env: env.filter((e) => !seen.has(e.name) && seen.add(e.name)), ...(gcsSecret ? { gcsSecret } : {}) };
}

/** The model server's args: KServe's flags, the ports of the contract, then the predictor's extras. */
export function modelServerArgs(isvc: InferenceService): string[] {
  const model = isvc.spec?.predictor?.model;
  const args = [
    'model-server',
    '--model_name',
    servedModelName(isvc),
    '--model_dir',
    KSERVE_MODEL_MOUNT,
    '--http_port',
    String(HTTP_PORT),
    '--grpc_port',
    String(GRPC_PORT),
    '--model_format',
    model?.modelFormat?.name ?? 'sklearn',
  ];
  // predictorReplicaArgs repeats --model_name when the spec's args name one: the same value, harmless.
  return [
    ...args,
    ...predictorReplicaArgs(isvc.spec?.predictor, isvc.metadata.namespace).filter(
      (a, i, all) => a !== '--model_name' && all[i - 1] !== '--model_name',
    ),
  ];
}

export function deploymentFor(input: RevisionInput, ctx: BuildContext): Resource {
  const { isvc, revision } = input;
  const predictor = isvc.spec?.predictor;
  const uri = storageUriOf(isvc);
  const { env: initEnv, gcsSecret } = storageEnv(input.credentials);
  const modelEnv = (predictor?.model?.env ?? []) as EnvVar[];
  const podLabels = labelsFor(isvc, revision);
  const initContainers = uri
    ? [
        {
          name: 'storage-initializer',
          image: ctx.image,
          args: ['storage-initializer', uri, KSERVE_MODEL_MOUNT],
          ...(initEnv.length ? { env: initEnv } : {}),
          volumeMounts: [
            { name: MODEL_VOLUME, mountPath: KSERVE_MODEL_MOUNT },
            ...(gcsSecret ? [{ name: 'gcs-credentials', mountPath: '/var/secrets', readOnly: true }] : []),
          ],
        },
      ]
    : [];
  const container = {
    name: 'kserve-container',
    image: ctx.image,
    args: modelServerArgs(isvc),
    ...(modelEnv.length ? { env: modelEnv } : {}),
    ports: [
      { name: 'http1', containerPort: HTTP_PORT, protocol: 'TCP' },
      { name: 'grpc', containerPort: GRPC_PORT, protocol: 'TCP' },
    ],
    readinessProbe: { httpGet: { path: '/v2/health/ready', port: HTTP_PORT }, periodSeconds: 2, failureThreshold: 3 },
    livenessProbe: { httpGet: { path: '/v2/health/live', port: HTTP_PORT }, periodSeconds: 10, failureThreshold: 6 },
    ...(predictor?.model?.resources ? { resources: predictor.model.resources } : {}),
    volumeMounts: [{ name: MODEL_VOLUME, mountPath: KSERVE_MODEL_MOUNT, readOnly: true }],
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(isvc, revision, revision, {
      [TEMPLATE_HASH_ANNOTATION]: input.templateHash,
      [REVISION_NUMBER_ANNOTATION]: String(input.number),
      [REVISION_CREATED_ANNOTATION]: input.createdAt,
      [REVISION_SPEC_ANNOTATION]: JSON.stringify({ metadata: isvc.metadata, spec: isvc.spec }),
    }),
    spec: {
      ...(input.replicas !== undefined ? { replicas: input.replicas } : {}),
      selector: { matchLabels: { [ISVC_LABEL]: isvc.metadata.name, [REVISION_LABEL]: revision } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          ...(predictor?.serviceAccountName ? { serviceAccountName: predictor.serviceAccountName } : {}),
          ...(initContainers.length ? { initContainers } : {}),
          containers: [container],
          volumes: [
            { name: MODEL_VOLUME, emptyDir: {} },
            ...(gcsSecret ? [{ name: 'gcs-credentials', secret: { secretName: gcsSecret } }] : []),
          ],
        },
      },
    },
  };
}

/** The revision's Service: ports 80→8080 (http) and 8081 (grpc), selecting the revision's pods. */
export function serviceFor(isvc: InferenceService, revision: string): Resource {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(isvc, revision, revision),
    spec: {
      selector: { [ISVC_LABEL]: isvc.metadata.name, [REVISION_LABEL]: revision },
      ports: [
        { name: 'http1', port: 80, targetPort: HTTP_PORT, protocol: 'TCP' },
        { name: 'grpc', port: GRPC_PORT, targetPort: GRPC_PORT, protocol: 'TCP' },
      ],
    },
  };
}

/**
 * An autoscaling/v2 HPA for CPU or memory scaling (KServe's raw-mode autoscaler class `hpa`), or undefined
 * when the revision is not scaled by one: a fixed count (min = max), scale to zero and concurrency/rps
 * metrics are not something an HPA can do (docs/operator.md).
 */
export function hpaFor(isvc: InferenceService, revision: string, s: ScaleSettings): Resource | undefined {
  if (!hpaManages(s)) return undefined;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta(isvc, revision, revision),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: revision },
      minReplicas: Math.max(1, s.minScale),
      maxReplicas: s.maxScale,
      metrics: [
        {
          type: 'Resource',
          resource: { name: s.metric, target: { type: 'Utilization', averageUtilization: Math.round(s.target) } },
        },
      ],
    },
  };
}

/** Whether an HPA owns the Deployment's replicas (then the operator leaves spec.replicas alone). */
export function hpaManages(s: ScaleSettings): boolean {
  return s.autoscaled && (s.metric === 'cpu' || s.metric === 'memory') && s.maxScale > Math.max(1, s.minScale);
}

/**
 * True when every field `desired` sets has the same value in `live` (objects compared by the desired keys,
 * arrays element by element and of equal length): the API server's defaults in `live` are not differences.
 */
export function covers(live: unknown, desired: unknown): boolean {
  if (desired === null || typeof desired !== 'object') return live === desired;
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => covers(live[i], d));
  }
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
  const l = live as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) => v === undefined || covers(l[k], v));
}
