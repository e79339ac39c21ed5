// Revisions of a service's predictor, as Knative makes them under KServe: a new one only when the revision
// template changes (spec.predictor without canaryTrafficPercent, plus the annotations Knative copies to the
// template), numbered `{name}-predictor-00001`, ... and stored with the spec they were made from, so the
// previous revision of a canary can be started again after an inferd restart. The ledger is the durable
// record (a JSON file per service under the state dir in `inferd serve`; in memory in tests). The same file
// keeps the transformer's and explainer's revisions (their specs, which were Ready, their traffic block), so a
// component's canary keeps its split after a restart and a rollback can start its previous revision again.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container, InferenceService } from '../../api/types.js';
import type { ComponentRollout } from './component-traffic.js';
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

export type SideComponent = 'transformer' | 'explainer';

/** One revision of a transformer or explainer (`transformer-{hash}`): what its replicas run. */
export interface ComponentRevisionRecord {
  name: string;
  /** The service as it was when the revision last ran as the latest (metadata trimmed). */
  spec: InferenceService;
  container: Container;
}

/** A transformer's or explainer's revisions that may run again, which have been Ready, and its rollout. */
export interface ComponentRecord {
  revisions: ComponentRevisionRecord[];
  everReady: string[];
  rollout?: ComponentRollout;
}

/** Where a service's revisions are kept, by `namespace/name`. */
export interface RevisionLedger {
  list(serviceKey: string): RevisionRecord[];
  add(serviceKey: string, rec: RevisionRecord): void;
  remove(serviceKey: string, names: readonly string[]): void;
  /** A transformer's or explainer's record (undefined: none kept). */
  component(serviceKey: string, component: SideComponent): ComponentRecord | undefined;
  /** Replaces (undefined: forgets) a transformer's or explainer's record. */
  setComponent(serviceKey: string, component: SideComponent, rec: ComponentRecord | undefined): void;
  /** Forgets every revision of a deleted service (its components' too). */
  drop(serviceKey: string): void;
}

/** What one service's ledger holds (the file's content; `components` absent in files of older versions). */
interface ServiceLedger {
  revisions: RevisionRecord[];
  components?: Partial<Record<SideComponent, ComponentRecord>>;
}

/** The service with its metadata trimmed to what its replicas need: what a revision record keeps. */
export function trimmedService(isvc: InferenceService): InferenceService {
  const m = isvc.metadata;
  return {
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
  };
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
      spec: trimmedService(isvc),
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
  private readonly components = new Map<string, ComponentRecord>();
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
  component(serviceKey: string, component: SideComponent): ComponentRecord | undefined {
    const rec = this.components.get(`${serviceKey}#${component}`);
    return rec ? structuredClone(rec) : undefined;
  }
  setComponent(serviceKey: string, component: SideComponent, rec: ComponentRecord | undefined): void {
    if (rec) this.components.set(`${serviceKey}#${component}`, structuredClone(rec));
    else this.components.delete(`${serviceKey}#${component}`);
  }
  drop(serviceKey: string): void {
    this.byService.delete(serviceKey);
    this.components.delete(`${serviceKey}#transformer`);
    this.components.delete(`${serviceKey}#explainer`);
  }
}

/**
 * One JSON file per service (`{dir}/{namespace}/{name}.json`), written to a temporary file and renamed, so a
 * kill -9 leaves the old or the new list, never half of one. Read once per service, then kept in memory.
 */
export class FileRevisionLedger implements RevisionLedger {
  private readonly cache = new Map<string, ServiceLedger>();
  constructor(private readonly dir: string) {}

  list(serviceKey: string): RevisionRecord[] {
    return [...this.ledgerOf(serviceKey).revisions];
  }
  add(serviceKey: string, rec: RevisionRecord): void {
    const l = this.ledgerOf(serviceKey);
    this.write(serviceKey, { ...l, revisions: [...l.revisions.filter((r) => r.name !== rec.name), rec] });
  }
  remove(serviceKey: string, names: readonly string[]): void {
    const l = this.ledgerOf(serviceKey);
    this.write(serviceKey, { ...l, revisions: l.revisions.filter((r) => !names.includes(r.name)) });
  }
  component(serviceKey: string, component: SideComponent): ComponentRecord | undefined {
    const rec = this.ledgerOf(serviceKey).components?.[component];
    return rec ? structuredClone(rec) : undefined;
  }
  setComponent(serviceKey: string, component: SideComponent, rec: ComponentRecord | undefined): void {
    const l = this.ledgerOf(serviceKey);
    const components = { ...l.components };
    if (rec) components[component] = structuredClone(rec);
    else if (components[component]) delete components[component];
    else return; // nothing to forget: no write
    this.write(serviceKey, {
      revisions: l.revisions,
      ...(Object.keys(components).length > 0 ? { components } : {}),
    });
  }
  drop(serviceKey: string): void {
    this.cache.delete(serviceKey);
    rmSync(this.file(serviceKey), { force: true });
  }

  private ledgerOf(serviceKey: string): ServiceLedger {
    let l = this.cache.get(serviceKey);
    if (!l) {
      l = this.read(serviceKey);
      this.cache.set(serviceKey, l);
    }
    return l;
  }
  private file(serviceKey: string): string {
    const [ns, name] = serviceKey.split('/') as [string, string];
    return join(this.dir, ns, `${name}.json`);
  }
  private read(serviceKey: string): ServiceLedger {
    try {
      const parsed = JSON.parse(readFileSync(this.file(serviceKey), 'utf8')) as Partial<ServiceLedger>;
      const components: Partial<Record<SideComponent, ComponentRecord>> = {};
      for (const c of ['transformer', 'explainer'] as const) {
        const rec = parsed.components?.[c];
        if (rec && Array.isArray(rec.revisions) && Array.isArray(rec.everReady)) components[c] = rec;
      }
      return {
        revisions: Array.isArray(parsed.revisions) ? parsed.revisions : [],
        ...(Object.keys(components).length > 0 ? { components } : {}),
      };
    } catch {
      return { revisions: [] }; // none yet (or unreadable: revisions start again from what the status says)
    }
  }
  private write(serviceKey: string, l: ServiceLedger): void {
    const file = this.file(serviceKey);
    mkdirSync(join(file, '..'), { recursive: true });
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(l), { mode: 0o600 });
    renameSync(tmp, file);
    this.cache.set(serviceKey, l);
  }
}
