// `inferd describe`: kubectl's layout for one object — identity and metadata first, then what the kind
// has (an InferenceService's spec, status, conditions, traffic and model status; a Secret's key sizes,
// never its values), then the object's events.

import { ageOf } from '../../api/age.js';
import type { InferenceGraph } from '../../api/inference-graph.js';
import { eventTime } from '../../api/printing.js';
import type { InferenceService, InferenceServiceStatus } from '../../api/types.js';
import { describeInferenceGraph } from './describe-graph.js';
import { describeInferenceServiceStatus } from './describe-isvc.js';
import { DescribeWriter } from './describe-writer.js';
import { toYaml } from './yaml.js';

type Obj = Record<string, unknown>;

export interface DescribeOptions {
  nowMs: number;
  showSecrets: boolean;
  /** For an InferenceGraph: the InferenceServices of its namespace, by name (step targets and readiness). */
  services?: ReadonlyMap<string, InferenceService>;
}

const entries = (m: unknown, sep: string): string[] =>
  m && typeof m === 'object'
    ? Object.entries(m as Record<string, string>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}${sep}${v}`)
    : [];

function header(w: DescribeWriter, obj: Obj): void {
  const meta = (obj.metadata ?? {}) as Record<string, unknown>;
  w.field(0, 'Name', meta.name);
  if (meta.namespace !== undefined) w.field(0, 'Namespace', meta.namespace);
  w.list(0, 'Labels', entries(meta.labels, '='));
  w.list(0, 'Annotations', entries(meta.annotations, ': '));
}

function metadataBlock(w: DescribeWriter, obj: Obj): void {
  const meta = (obj.metadata ?? {}) as Record<string, unknown>;
  w.field(0, 'API Version', obj.apiVersion);
  w.field(0, 'Kind', obj.kind);
  w.field(0, 'Metadata');
  if (meta.creationTimestamp !== undefined) w.field(1, 'Creation Timestamp', meta.creationTimestamp);
  if (meta.deletionTimestamp !== undefined) w.field(1, 'Deletion Timestamp', meta.deletionTimestamp);
  if (meta.generation !== undefined) w.field(1, 'Generation', meta.generation);
  if (meta.resourceVersion !== undefined) w.field(1, 'Resource Version', meta.resourceVersion);
  if (meta.uid !== undefined) w.field(1, 'UID', meta.uid);
}

function yamlSection(w: DescribeWriter, title: string, value: unknown): void {
  if (value === undefined || value === null) return;
  w.field(0, title);
  w.raw(1, toYaml(value));
}

function decodedSize(value: string, base64: boolean): number {
  return base64 ? Buffer.from(value, 'base64').length : Buffer.byteLength(value);
}

function secretBody(w: DescribeWriter, obj: Obj, opts: DescribeOptions): void {
  w.blank();
  w.field(0, 'Type', obj.type ?? 'Opaque');
  w.blank();
  w.raw(0, 'Data\n====');
  const rows: [string, string, boolean][] = [
    ...Object.entries((obj.data ?? {}) as Record<string, string>).map(
      ([k, v]) => [k, v, true] as [string, string, boolean],
    ),
    ...Object.entries((obj.stringData ?? {}) as Record<string, string>).map(
      ([k, v]) => [k, v, false] as [string, string, boolean],
    ),
  ];
  for (const [k, v, isBase64] of rows.sort(([a], [b]) => a.localeCompare(b))) {
    const shown = opts.showSecrets
      ? isBase64
        ? Buffer.from(v, 'base64').toString('utf8')
        : v
      : `${decodedSize(v, isBase64)} bytes`;
    w.field(0, k, shown);
  }
}

function events(w: DescribeWriter, evs: readonly Obj[], nowMs: number): void {
  if (evs.length === 0) {
    w.field(0, 'Events', '<none>');
    return;
  }
  w.field(0, 'Events');
  const rows = [['Type', 'Reason', 'Age', 'From', 'Message']];
  for (const e of evs) {
    const count = typeof e.count === 'number' ? e.count : 1;
    const last = ageOf(eventTime(e), nowMs);
    const age =
      count > 1 && typeof e.firstTimestamp === 'string'
        ? `${last} (x${count} over ${ageOf(e.firstTimestamp, nowMs)})`
        : last;
    const from = (e.source as { component?: string } | undefined)?.component ?? (e.reportingComponent as string) ?? '';
    rows.push([String(e.type ?? ''), String(e.reason ?? ''), age, from, String(e.message ?? '').trim()]);
  }
  w.table(1, rows);
}

/** The describe text for `obj` and the events about it (oldest first). */
export function describeObject(obj: Obj, evs: readonly Obj[], opts: DescribeOptions): string {
  const w = new DescribeWriter();
  header(w, obj);
  switch (obj.kind) {
    case 'Secret':
      secretBody(w, obj, opts); // prints sizes, or values only with --show-secrets
      break;
    case 'ServiceAccount': {
      const secrets = ((obj.secrets ?? []) as { name?: string }[]).map((s) => s.name ?? '');
      w.list(0, 'Mountable secrets', secrets);
      break;
    }
    case 'Namespace':
      w.field(0, 'Status', (obj.status as { phase?: string } | undefined)?.phase ?? 'Active');
      break;
    case 'Event':
      metadataBlock(w, obj);
      yamlSection(w, 'Involved Object', obj.involvedObject);
      w.field(0, 'Type', obj.type);
      w.field(0, 'Reason', obj.reason);
      w.field(0, 'Message', obj.message);
      break;
    default: {
      metadataBlock(w, obj);
      const { apiVersion: _a, kind: _k, metadata: _m, status, spec, ...rest } = obj;
      yamlSection(w, 'Spec', spec);
      for (const [k, v] of Object.entries(rest)) yamlSection(w, k.charAt(0).toUpperCase() + k.slice(1), v);
      if (obj.kind === 'InferenceGraph')
        describeInferenceGraph(w, obj as unknown as InferenceGraph, opts.services ?? new Map());
      if (obj.kind === 'InferenceService')
        describeInferenceServiceStatus(w, status as InferenceServiceStatus | undefined);
      else yamlSection(w, 'Status', status);
    }
  }
  if (obj.kind !== 'Event') events(w, evs, opts.nowMs);
  return w.toString();
}
