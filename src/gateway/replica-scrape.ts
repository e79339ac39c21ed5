// The replicas' own `/metrics` pages (the model server's inferd_model_*, KServe's request_*_seconds, model
// load time, payload logger; a KServe Python server's series) on the gateway's `/metrics`: on each scrape the
// gateway reads every ready replica's page over loopback (in parallel, bounded in time) and adds the labels
// that say whose it is (namespace, service, component, revision, replica). KServe exposes these per pod;
// one machine has one scrape target instead. A replica that does not answer in time is left out of that scrape.

import type { EndpointTable } from '../routing/endpoint-table.js';
import { componentOf } from './metrics.js';

/** Longest wait for one replica's page. */
export const REPLICA_SCRAPE_TIMEOUT_MS = 1_000;
/** A replica page larger than this is left out (a runaway label set must not blow up the gateway's page). */
const MAX_PAGE_BYTES = 4 * 1024 * 1024;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

interface Family {
  help: string | undefined;
  type: string | undefined;
  samples: string[];
}

/** One scrape target: a replica's HTTP port and the labels its samples get. */
export interface ReplicaPage {
  port: number;
  labels: string;
}

/** The ready replicas to read, one per port (a model host shared by several services gets its `replica` label only). */
export function replicaPages(endpoints: EndpointTable): ReplicaPage[] {
  const byPort = new Map<number, { labels: string; shared: boolean; key: string }>();
  for (const ep of endpoints.all()) {
    const { service, component } = componentOf(ep);
    for (const r of ep.routes) {
      for (const t of r.replicas) {
        const labels = `namespace="${escapeLabel(ep.namespace)}",service="${escapeLabel(service)}",component="${component}",revision="${escapeLabel(r.revision)}",replica="${escapeLabel(t.key)}"`;
        const seen = byPort.get(t.port);
        if (seen === undefined) byPort.set(t.port, { labels, shared: false, key: t.key });
        else if (seen.labels !== labels) seen.shared = true;
      }
    }
  }
  return [...byPort].map(([port, p]) => ({
    port,
    labels: p.shared ? `replica="${escapeLabel(`127.0.0.1:${port}`)}"` : p.labels,
  }));
}

/** Reads the pages and merges them: each metric family once (HELP, TYPE), its samples from every replica. */
export async function scrapeReplicas(pages: ReplicaPage[], timeoutMs = REPLICA_SCRAPE_TIMEOUT_MS): Promise<string> {
  const texts = await Promise.all(pages.map((p) => readPage(p.port, timeoutMs)));
  const families = new Map<string, Family>();
  for (let i = 0; i < pages.length; i++) {
    const text = texts[i];
    if (text !== undefined) mergePage(families, text, pages[i]!.labels);
  }
  const out: string[] = [];
  for (const [name, f] of families) {
    if (f.samples.length === 0) continue;
    if (f.help !== undefined) out.push(`# HELP ${name} ${f.help}`);
    if (f.type !== undefined) out.push(`# TYPE ${name} ${f.type}`);
    for (const s of f.samples) out.push(s);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

async function readPage(port: number, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200 || !(res.headers.get('content-type') ?? '').startsWith('text/plain')) {
      await res.body?.cancel();
      return undefined;
    }
    const text = await res.text();
    return text.length > MAX_PAGE_BYTES ? undefined : text;
  } catch {
    return undefined; // not answering in time, or gone: this scrape goes on without it
  }
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\S+)?$/;

/** Adds one page's samples (with `labels` added) to the families; lines that are not samples are skipped. */
export function mergePage(families: Map<string, Family>, text: string, labels: string): void {
  let current: Family | undefined;
  let currentName = '';
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) {
      f = { help: undefined, type: undefined, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      const name = sp < 0 ? rest : rest.slice(0, sp);
      const value = sp < 0 ? '' : rest.slice(sp + 1);
      current = family(name);
      currentName = name;
      if (line[2] === 'H') current.help ??= value;
      else current.type ??= value;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) continue;
    const [, name, own, value, ts] = m as unknown as [string, string, string | undefined, string, string | undefined];
    // A sample belongs to the family declared above it when its name extends that family's (_bucket, _sum, ...).
    const f = current !== undefined && name.startsWith(currentName) ? current : family(name);
    const inner = own === undefined || own === '{}' ? '' : `,${own.slice(1, -1)}`;
    f.samples.push(`${name}{${labels}${inner}} ${value}${ts ?? ''}`);
  }
}
