// Revisions of a service's predictor, as Knative makes them under KServe: a new one only when the revision
// template changes (spec.predictor without canaryTrafficPercent, plus the annotations Knative copies to the
// template), numbered `{name}-predictor-00001`, ... and stored with the spec they were made from, so the
// previous revision of a canary can be started again after an inferd restart. The ledger is the durable
// record (a JSON file per service under the state dir in `inferd serve`; in memory in tests).

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceService } from '../../api/types.js';
import { revisionName } from './observed.js';

export interface RevisionRecord {
  /** `{name}-predictor-00001`. */
  name: string;
  number: number;
  /** Hash of the revision template (templateHashOf). */
  templateHash: string;
  /** The service as it was when the revision was made (metadata trimmed): what its replicas run. */
  spec: InferenceService;
  createdAt: string;
}

/** Where a service's revisions are kept, by `namespace/name`. */
export interface RevisionLedger {
  list(serviceKey: string): RevisionRecord[];
  add(serviceKey: string, rec: RevisionRecord): void;
  remove(serviceKey: string, names: readonly string[]): void;
  /** Forgets every revision of a deleted service. */
  drop(serviceKey: string): void;
}

/** Annotation prefixes Knative copies to the revision template (a change to them makes a revision). */
const TEMPLATE_ANNOTATION_PREFIXES = ['autoscaling.knative.dev/', 'serving.inferd.dev/', 'serving.knative.dev/'];

/** The revision template: the predictor without canaryTrafficPercent, plus the template annotations. */
export function revisionTemplate(isvc: InferenceService): unknown {
  const { canaryTrafficPercent: _ignored, ...predictor } = isvc.spec?.predictor ?? {};
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(isvc.metadata.annotations ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (TEMPLATE_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))) annotations[k] = v;
  }
  return { predictor, annotations };
}

export function templateHashOf(isvc: InferenceService): string {
  return createHash('sha256')
    .update(stableJson(revisionTemplate(isvc)))
    .digest('hex')
    .slice(0, 16);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The service's latest revision: the ledger's newest when its template is the spec's, else a new record
 * (returned as `created`, for the caller to add). Numbers never go back, even after garbage collection.
 */
export function resolveRevision(
  isvc: InferenceService,
  records: readonly RevisionRecord[],
  now: string,
): { latest: RevisionRecord; created: boolean } {
  const hash = templateHashOf(isvc);
  const newest = records.reduce<RevisionRecord | undefined>((a, r) => (!a || r.number > a.number ? r : a), undefined);
  if (newest && newest.templateHash === hash) return { latest: newest, created: false };
  const m = isvc.metadata;
  let number = (newest?.number ?? 0) + 1;
  if (!newest) {
    // No ledger yet (a service from before revisions were recorded): go on from the stored status's numbering;
    // the same generation is the same revision (resumed after a restart, not made again).
    const stored = /-(\d{5,})$/.exec(isvc.status?.components?.predictor?.latestCreatedRevision ?? '');
    if (stored) number = Number(stored[1]) + (isvc.status?.observedGeneration === m.generation ? 0 : 1);
  }
  return {
    latest: {
      name: revisionName(m.name, number),
      number,
      templateHash: hash,
      spec: {
        apiVersion: isvc.apiVersion,
        kind: isvc.kind,
        metadata: {
          name: m.name,
          namespace: m.namespace,
          ...(m.annotations ? { annotations: m.annotations } : {}),
          ...(m.labels ? { labels: m.labels } : {}),
          ...(m.uid ? { uid: m.uid } : {}),
          generation: m.generation,
        },
        spec: structuredClone(isvc.spec),
      },
      createdAt: now,
    },
    created: true,
  };
}

/**
 * Revisions to garbage-collect: beyond the `retain` newest, never one that is `protect`ed (latest created,
 * latest ready, rolled out, previous rolled out, or taking traffic).
 */
export function revisionsToCollect(
  records: readonly RevisionRecord[],
  protect: ReadonlySet<string>,
  retain: number,
): RevisionRecord[] {
  const sorted = [...records].sort((a, b) => b.number - a.number);
  let kept = 0;
  const out: RevisionRecord[] = [];
  for (const r of sorted) {
    if (protect.has(r.name)) continue;
    if (kept < retain) kept++;
    else out.push(r);
  }
  return out;
}

export class MemoryRevisionLedger implements RevisionLedger {
  private readonly byService = new Map<string, RevisionRecord[]>();
  list(serviceKey: string): RevisionRecord[] {
    return [...(this.byService.get(serviceKey) ?? [])];
  }
  add(serviceKey: string, rec: RevisionRecord): void {
    this.byService.set(serviceKey, [...this.list(serviceKey).filter((r) => r.name !== rec.name), rec]);
  }
  remove(serviceKey: string, names: readonly string[]): void {
    this.byService.set(
      serviceKey,
      this.list(serviceKey).filter((r) => !names.includes(r.name)),
    );
  }
  drop(serviceKey: string): void {
    this.byService.delete(serviceKey);
  }
}

/**
 * One JSON file per service (`{dir}/{namespace}/{name}.json`), written to a temporary file and renamed, so a
 * kill -9 leaves the old or the new list, never half of one. Read once per service, then kept in memory.
 */
export class FileRevisionLedger implements RevisionLedger {
  private readonly cache = new Map<string, RevisionRecord[]>();
  constructor(private readonly dir: string) {}

  list(serviceKey: string): RevisionRecord[] {
    let recs = this.cache.get(serviceKey);
    if (!recs) {
      recs = this.read(serviceKey);
      this.cache.set(serviceKey, recs);
    }
    return [...recs];
  }
  add(serviceKey: string, rec: RevisionRecord): void {
    this.write(serviceKey, [...this.list(serviceKey).filter((r) => r.name !== rec.name), rec]);
  }
  remove(serviceKey: string, names: readonly string[]): void {
    this.write(
      serviceKey,
      this.list(serviceKey).filter((r) => !names.includes(r.name)),
    );
  }
  drop(serviceKey: string): void {
    this.cache.delete(serviceKey);
    rmSync(this.file(serviceKey), { force: true });
  }

  private file(serviceKey: string): string {
    const [ns, name] = serviceKey.split('/') as [string, string];
    return join(this.dir, ns, `${name}.json`);
  }
  private read(serviceKey: string): RevisionRecord[] {
    try {
      const parsed = JSON.parse(readFileSync(this.file(serviceKey), 'utf8')) as { revisions?: RevisionRecord[] };
      return Array.isArray(parsed.revisions) ? parsed.revisions : [];
    } catch {
      return []; // none yet (or unreadable: revisions start again from what the status says)
    }
  }
  private write(serviceKey: string, recs: RevisionRecord[]): void {
    const file = this.file(serviceKey);
    mkdirSync(join(file, '..'), { recursive: true });
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ revisions: recs }), { mode: 0o600 });
    renameSync(tmp, file);
    this.cache.set(serviceKey, recs);
  }
}
