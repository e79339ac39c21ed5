// The columns `inferd get` prints for each kind, matching kubectl: the InferenceService columns are
// KServe's CRD printer columns (PREVROLLEDOUTREVISION/LATESTREADYREVISION have priority 1, so only
// `-o wide` shows them); Secrets, ServiceAccounts, Namespaces and Events are kubectl's built-in tables.

import { ageOf } from '../../api/age.js';
import { eventTime, latestTarget, previousTarget } from '../../api/printing.js';
import type { InferenceServiceStatus, KindInfo } from '../../api/types.js';

type Obj = Record<string, unknown> & { metadata?: { name?: string; namespace?: string; creationTimestamp?: string } };

export interface Column {
  header: string;
  /** Shown only with `-o wide` (a CRD printer column with priority > 0). */
  wide?: boolean;
  cell(obj: Obj, nowMs: number): string;
}

const name: Column = { header: 'NAME', cell: (o) => o.metadata?.name ?? '' };
const age: Column = { header: 'AGE', cell: (o, now) => ageOf(o.metadata?.creationTimestamp, now) };
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const count = (v: unknown): string =>
  String(Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0);

const isvcStatus = (o: Obj) => o.status as InferenceServiceStatus | undefined;

function replicasCell(st: InferenceServiceStatus | undefined): string {
  const p = st?.components?.predictor;
  return p?.desiredReplicas === undefined ? '' : `${p.readyReplicas ?? 0}/${p.desiredReplicas}`;
}

const INFERENCE_SERVICE: Column[] = [
  name,
  { header: 'URL', cell: (o) => str(isvcStatus(o)?.url) },
  { header: 'READY', cell: (o) => str(isvcStatus(o)?.conditions?.find((c) => c.type === 'Ready')?.status) },
  { header: 'PREV', cell: (o) => str(previousTarget(isvcStatus(o))?.percent) },
  { header: 'LATEST', cell: (o) => str(latestTarget(isvcStatus(o))?.percent) },
  { header: 'PREVROLLEDOUTREVISION', wide: true, cell: (o) => str(previousTarget(isvcStatus(o))?.revisionName) },
  { header: 'LATESTREADYREVISION', wide: true, cell: (o) => str(latestTarget(isvcStatus(o))?.revisionName) },
  // inferd's own: Ready/desired replicas over the revisions taking traffic (0/0 when scaled to zero).
  { header: 'REPLICAS', wide: true, cell: (o) => replicasCell(isvcStatus(o)) },
  age,
];

// KServe's ServingRuntime printer columns: DISABLED, MODELTYPE (supportedModelFormats[*].name), CONTAINERS.
const SERVING_RUNTIME: Column[] = [
  name,
  { header: 'DISABLED', cell: (o) => str((o.spec as { disabled?: boolean } | undefined)?.disabled) },
  {
    header: 'MODELTYPE',
    cell: (o) =>
      ((o.spec as { supportedModelFormats?: { name: string }[] })?.supportedModelFormats ?? [])
        .map((f) => f.name)
        .join(','),
  },
  {
    header: 'CONTAINERS',
    cell: (o) =>
      ((o.spec as { containers?: { name?: string }[] })?.containers ?? []).map((c) => c.name ?? '').join(','),
  },
  age,
];

// KServe's TrainedModel printer columns: URL, READY, AGE.
const TRAINED_MODEL: Column[] = [
  name,
  { header: 'URL', cell: (o) => str(isvcStatus(o)?.url) },
  { header: 'READY', cell: (o) => str(isvcStatus(o)?.conditions?.find((c) => c.type === 'Ready')?.status) },
  age,
];

const EVENT: Column[] = [
  { header: 'LAST SEEN', cell: (o, now) => ageOf(eventTime(o), now) },
  { header: 'TYPE', cell: (o) => str(o.type) },
  { header: 'REASON', cell: (o) => str(o.reason) },
  {
    header: 'OBJECT',
    cell: (o) => {
      const io = o.involvedObject as { kind?: string; name?: string } | undefined;
      return io ? `${(io.kind ?? '').toLowerCase()}/${io.name ?? ''}` : '';
    },
  },
  { header: 'MESSAGE', cell: (o) => str(o.message) },
];

// KServe's InferenceGraph CRD printer columns: URL, READY, AGE.
const INFERENCE_GRAPH: Column[] = [
  name,
  { header: 'URL', cell: (o) => str((o.status as { url?: string } | undefined)?.url) },
  {
    header: 'READY',
    cell: (o) =>
      str(
        (o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.find(
          (c) => c.type === 'Ready',
        )?.status,
      ),
  },
  age,
];

const BY_KIND: Record<string, Column[]> = {
  InferenceService: INFERENCE_SERVICE,
  InferenceGraph: INFERENCE_GRAPH,
  ServingRuntime: SERVING_RUNTIME,
  ClusterServingRuntime: SERVING_RUNTIME,
  TrainedModel: TRAINED_MODEL,
  Secret: [
    name,
    { header: 'TYPE', cell: (o) => str(o.type ?? 'Opaque') },
    { header: 'DATA', cell: (o) => count({ ...(o.data as object), ...(o.stringData as object) }) },
    age,
  ],
  ServiceAccount: [name, { header: 'SECRETS', cell: (o) => count(o.secrets) }, age],
  Namespace: [
    name,
    { header: 'STATUS', cell: (o) => str((o.status as { phase?: string } | undefined)?.phase ?? 'Active') },
    age,
  ],
  Event: EVENT,
};

export interface TableOptions {
  wide: boolean;
  /** `-A`: a leading NAMESPACE column (namespaced kinds only). */
  withNamespace: boolean;
  nowMs: number;
}

/** The columns for `kind` under `opts`. */
export function columnsFor(kind: KindInfo, opts: Pick<TableOptions, 'wide' | 'withNamespace'>): Column[] {
  const cols = (BY_KIND[kind.kind] ?? [name, age]).filter((c) => opts.wide || !c.wide);
  const nsCol: Column = { header: 'NAMESPACE', cell: (o) => o.metadata?.namespace ?? '' };
  return opts.withNamespace && kind.namespaced ? [nsCol, ...cols] : cols;
}

/** The header row. */
export function headerRow(columns: readonly Column[]): string[] {
  return columns.map((c) => c.header);
}

/** One data row. */
export function dataRow(columns: readonly Column[], obj: Obj, nowMs: number): string[] {
  return columns.map((c) => c.cell(obj, nowMs));
}

/** Header plus one row per object, ready for formatTable. */
export function tableRows(kind: KindInfo, items: readonly Obj[], opts: TableOptions): string[][] {
  const cols = columnsFor(kind, opts);
  return [headerRow(cols), ...items.map((o) => dataRow(cols, o, opts.nowMs))];
}
