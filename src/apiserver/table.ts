// Server-side printing: a `meta.k8s.io` Table instead of the object or list when the client asks for one
// (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, kubectl's default for `get`). The KServe kinds
// get their CRDs' additionalPrinterColumns, evaluated as the apiextensions apiserver does (the first match
// of each JSONPath; a missing value is a null cell; `date` columns become ages). The core kinds get the
// columns kubectl shows for them on a real cluster.

import { humanDuration } from '../api/age.js';
import { eventTime, latestTarget, previousTarget } from '../api/printing.js';
import type { InferenceServiceStatus, KindInfo, Resource } from '../api/types.js';

export interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'boolean' | 'date' | 'number';
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean | null;
type Obj = Resource & Record<string, unknown>;

interface Column {
  def: ColumnDefinition;
  cell(obj: Obj, nowMs: number): Cell;
}

const col = (
  name: string,
  type: ColumnDefinition['type'],
  cell: Column['cell'],
  description = '',
  priority = 0,
): Column => ({ def: { name, type, format: name === 'Name' ? 'name' : '', description, priority }, cell });

/** kubectl's `ConvertToHumanReadableDateType`: an age, or `<unknown>`. */
function age(timestamp: unknown, nowMs: number): string {
  const t = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  return Number.isNaN(t) ? '<unknown>' : humanDuration(nowMs - t);
}

const nameCol = col(
  'Name',
  'string',
  (o) => o.metadata?.name ?? '',
  'Name must be unique within a namespace. Cannot be updated.',
);
const crdAge = col('Age', 'date', (o, now) => age(o.metadata?.creationTimestamp, now));
const coreAge = col('Age', 'string', (o, now) => age(o.metadata?.creationTimestamp, now));
const orNull = (v: unknown): Cell => (v === undefined || v === null ? null : (v as Cell));
const spec = (o: Obj) => (o['spec'] ?? {}) as Record<string, unknown>;
const isvcStatus = (o: Obj) => o['status'] as InferenceServiceStatus | undefined;

// KServe v0.12.1 config/crd/serving.kserve.io_inferenceservices.yaml: additionalPrinterColumns (all priority 0).
const INFERENCE_SERVICE: Column[] = [
  nameCol,
  col('URL', 'string', (o) => orNull(isvcStatus(o)?.url)),
  col('Ready', 'string', (o) => orNull(isvcStatus(o)?.conditions?.find((c) => c.type === 'Ready')?.status)),
  col('Prev', 'integer', (o) => orNull(previousTarget(isvcStatus(o))?.percent)),
  col('Latest', 'integer', (o) => orNull(latestTarget(isvcStatus(o))?.percent)),
  col('PrevRolledoutRevision', 'string', (o) => orNull(previousTarget(isvcStatus(o))?.revisionName)),
  col('LatestReadyRevision', 'string', (o) => orNull(latestTarget(isvcStatus(o))?.revisionName)),
  crdAge,
];

// KServe's ServingRuntime CRDs: `[*]` JSONPaths print their first match only, as the apiserver does.
const SERVING_RUNTIME: Column[] = [
  nameCol,
  col('Disabled', 'boolean', (o) => orNull(spec(o)['disabled'])),
  col('ModelType', 'string', (o) =>
    orNull((spec(o)['supportedModelFormats'] as { name?: string }[] | undefined)?.[0]?.name),
  ),
  col('Containers', 'string', (o) => orNull((spec(o)['containers'] as { name?: string }[] | undefined)?.[0]?.name)),
  crdAge,
];

// KServe v0.12.1 config/crd/serving.kserve.io_inferencegraphs.yaml: URL, Ready, Age.
const INFERENCE_GRAPH: Column[] = [
  nameCol,
  col('URL', 'string', (o) => orNull((o['status'] as { url?: string } | undefined)?.url)),
  col('Ready', 'string', (o) => orNull(isvcStatus(o)?.conditions?.find((c) => c.type === 'Ready')?.status)),
  crdAge,
];

// KServe v0.12.1 config/crd/serving.kserve.io_trainedmodels.yaml: URL, Ready, Age.
const TRAINED_MODEL: Column[] = [
  nameCol,
  col('URL', 'string', (o) => orNull(isvcStatus(o)?.url)),
  col('Ready', 'string', (o) => orNull(isvcStatus(o)?.conditions?.find((c) => c.type === 'Ready')?.status)),
  crdAge,
];

const countOf = (...values: unknown[]): number =>
  values.reduce<number>(
    (n, v) => n + (Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
    0,
  );

// Kubernetes' built-in printers (pkg/printers/internalversion) for the core kinds inferd stores.
const CORE: Record<string, Column[]> = {
  Namespace: [
    nameCol,
    col(
      'Status',
      'string',
      (o) => ((o['status'] as { phase?: string } | undefined)?.phase ?? 'Active') as string,
      'The status of the namespace',
    ),
    coreAge,
  ],
  Secret: [
    nameCol,
    col('Type', 'string', (o) => (o['type'] as string | undefined) ?? 'Opaque', 'The type of the secret'),
    col('Data', 'integer', (o) => countOf(o['data'], o['stringData']), 'The number of entries in the secret'),
    coreAge,
  ],
  ServiceAccount: [
    nameCol,
    col('Secrets', 'integer', (o) => countOf(o['secrets']), 'The number of secrets in the service account'),
    coreAge,
  ],
  Event: [
    col('Last Seen', 'string', (o, now) => age(eventTime(o), now)),
    col('Type', 'string', (o) => orNull(o['type'])),
    col('Reason', 'string', (o) => orNull(o['reason'])),
    col('Object', 'string', (o) => {
      const io = o['involvedObject'] as { kind?: string; name?: string } | undefined;
      return io ? `${(io.kind ?? '').toLowerCase()}/${io.name ?? ''}` : '';
    }),
    col('Message', 'string', (o) => orNull(o['message'])),
  ],
};

function columnsOf(kind: KindInfo): Column[] {
  if (kind.kind === 'InferenceService') return INFERENCE_SERVICE;
  if (kind.kind === 'InferenceGraph') return INFERENCE_GRAPH;
  if (kind.kind === 'ServingRuntime' || kind.kind === 'ClusterServingRuntime') return SERVING_RUNTIME;
  if (kind.kind === 'TrainedModel') return TRAINED_MODEL;
  return CORE[kind.kind] ?? [nameCol, crdAge];
}

/**
 * The Table version asked for by an Accept header (`v1` or `v1beta1`), or undefined when the client wants
 * plain objects. The first acceptable entry wins, as in the apiserver's content negotiation.
 */
export function tableVersion(accept: string | undefined): 'v1' | 'v1beta1' | undefined {
  if (!accept) return undefined;
  for (const entry of accept.split(',')) {
    const [type, ...params] = entry.split(';').map((s) => s.trim());
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (p['as'] === 'Table' && p['g'] === 'meta.k8s.io' && (p['v'] === 'v1' || p['v'] === 'v1beta1')) {
      if (type === 'application/json' || type === '*/*') return p['v'];
      continue;
    }
    // A plain JSON (or any) entry before any Table entry: the client prefers objects.
    if (type === 'application/json' || type === '*/*' || type === 'application/yaml') return undefined;
  }
  return undefined;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** `?includeObject=` (default Metadata, as the apiserver). */
export function includeObjectOf(params: URLSearchParams): IncludeObject {
  const v = params.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

export interface TableOptions {
  version: 'v1' | 'v1beta1';
  includeObject: IncludeObject;
  nowMs: number;
  resourceVersion?: string;
}

function rowObject(obj: Resource, include: IncludeObject, version: string): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

/** The Table for `items` of `kind`. */
export function toTable(kind: KindInfo, items: readonly Resource[], opts: TableOptions) {
  const cols = columnsOf(kind);
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.version}`,
    metadata: opts.resourceVersion === undefined ? {} : { resourceVersion: opts.resourceVersion },
    columnDefinitions: cols.map((c) => c.def),
    rows: items.map((o) => {
      const object = rowObject(o, opts.includeObject, opts.version);
      return {
        cells: cols.map((c) => c.cell(o as Obj, opts.nowMs)),
        ...(object === undefined ? {} : { object }),
      };
    }),
  };
}
