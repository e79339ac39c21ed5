// The CustomResourceDefinitions (apiextensions.k8s.io/v1) of the serving.kserve.io kinds inferd serves,
// generated from the same OpenAPI schemas the control API publishes (src/apiserver/openapi-schemas.ts), so
// the cluster and the laptop accept the same fields. Not a validator: inferd's own validation (src/api/)
// still runs on every object; these schemas only make the API server keep (not prune) what inferd reads.

import { type KindInfo, kindByName } from '../api/types.js';
import { kindSchemas, type Schema, schemaName } from '../apiserver/openapi-schemas.js';

export type CustomResourceDefinition = Record<string, unknown> & {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[] };
    scope: 'Namespaced' | 'Cluster';
    versions: CrdVersion[];
  };
};

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: Schema };
  subresources: Record<string, unknown>;
  additionalPrinterColumns: PrinterColumn[];
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'boolean' | 'date' | 'number';
  jsonPath: string;
  priority?: number;
}

const READY = ".status.conditions[?(@.type=='Ready')].status";
const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const RUNTIME_COLUMNS: PrinterColumn[] = [
  { name: 'Disabled', type: 'boolean', jsonPath: '.spec.disabled' },
  { name: 'ModelType', type: 'string', jsonPath: '.spec.supportedModelFormats[*].name' },
  { name: 'Containers', type: 'string', jsonPath: '.spec.containers[*].name' },
  AGE,
];
const URL_READY_AGE: PrinterColumn[] = [
  { name: 'URL', type: 'string', jsonPath: '.status.url' },
  { name: 'Ready', type: 'string', jsonPath: READY },
  AGE,
];

/**
 * Per kind: KServe v0.12.1's printer columns and subresources (config/crd/serving.kserve.io_*.yaml), so
 * `kubectl get isvc` prints the same table on a cluster with inferd's CRDs as with KServe's. KServe declares
 * no scale subresource on any of these kinds; inferd scales the Deployments it generates (apps/v1 scale).
 */
const CRD_KINDS: Record<string, { columns: PrinterColumn[]; status: boolean }> = {
  InferenceService: {
    status: true,
    columns: [
      { name: 'URL', type: 'string', jsonPath: '.status.url' },
      { name: 'Ready', type: 'string', jsonPath: READY },
      { name: 'Prev', type: 'integer', jsonPath: ".status.components.predictor.traffic[?(@.tag=='prev')].percent" },
      {
        name: 'Latest',
        type: 'integer',
        jsonPath: '.status.components.predictor.traffic[?(@.latestRevision==true)].percent',
      },
      {
        name: 'PrevRolledoutRevision',
        type: 'string',
        jsonPath: ".status.components.predictor.traffic[?(@.tag=='prev')].revisionName",
      },
      {
        name: 'LatestReadyRevision',
        type: 'string',
        jsonPath: '.status.components.predictor.traffic[?(@.latestRevision==true)].revisionName',
      },
      AGE,
    ],
  },
  ServingRuntime: { status: false, columns: RUNTIME_COLUMNS },
  ClusterServingRuntime: { status: false, columns: RUNTIME_COLUMNS },
  TrainedModel: { status: true, columns: URL_READY_AGE },
  InferenceGraph: { status: true, columns: URL_READY_AGE },
};

/** The kinds `inferd crds` prints, in KServe's kustomization order. */
export const CRD_KIND_NAMES = [
  'InferenceService',
  'TrainedModel',
  'ClusterServingRuntime',
  'ServingRuntime',
  'InferenceGraph',
] as const;

/** Keys a structural schema may not carry (OpenAPI extras the control API document uses). */
const DROPPED_KEYS = new Set(['x-kubernetes-group-version-kind']);

/**
 * `schema` as a structural CRD schema: `$ref`s inlined, metadata reduced to `type: object` (the API server
 * owns ObjectMeta's schema; a CRD may not restate it), document-only extensions dropped.
 */
function structural(schema: Schema, defs: Record<string, Schema>, path: string): Schema {
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const target = defs[ref.replace('#/components/schemas/', '')];
    if (!target) throw new Error(`${path}: unresolved ${ref}`); // a bug in openapi-schemas.ts, not user input
    return structural(target, defs, path);
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, sub]) => [
          name,
          path === '' && name === 'metadata' ? { type: 'object' } : structural(sub, defs, `${path}.${name}`),
        ]),
      );
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = typeof value === 'object' ? structural(value as Schema, defs, `${path}[]`) : value;
    } else {
      out[key] = value;
    }
  }
  return out;
}

function crdFor(info: KindInfo): CustomResourceDefinition {
  const extra = CRD_KINDS[info.kind];
  if (!extra) throw new Error(`no CRD settings for ${info.kind}`); // CRD_KIND_NAMES and CRD_KINDS disagree
  const [group, version] = info.apiVersion.split('/') as [string, string];
  const defs = kindSchemas(info);
  const openAPIV3Schema = structural(defs[schemaName(info)]!, defs, '');
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${info.plural}.${group}`,
      labels: { 'app.kubernetes.io/name': 'inferd', 'app.kubernetes.io/component': 'crd' },
      annotations: { 'serving.inferd.dev/generated-by': 'inferd crds' },
    },
    spec: {
      group,
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        ...(info.shortNames.length > 0 ? { shortNames: [...info.shortNames] } : {}),
      },
      scope: info.namespaced ? 'Namespaced' : 'Cluster',
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema },
          subresources: extra.status ? { status: {} } : {},
          additionalPrinterColumns: extra.columns.map((c) => ({ ...c })),
        },
      ],
    },
  };
}

/** Every serving.kserve.io CRD inferd needs on a cluster, fresh objects on each call. */
export function generateCrds(): CustomResourceDefinition[] {
  return CRD_KIND_NAMES.map((name) => {
    const info = kindByName(name);
    if (!info) throw new Error(`${name} is not in KINDS`); // src/api/types.ts lost a kind the CRDs need
    return crdFor(info);
  });
}
