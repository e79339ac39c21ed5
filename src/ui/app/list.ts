// The services table (live from the control API's watch) and the other kinds' lists.
import { useEffect, useState } from 'preact/hooks';
import { type ApiError, isvcPath, KINDS, type Resource, watchList } from './api.js';
import { age, html } from './html.js';

const OLD_STYLE_FORMATS = [
  'sklearn',
  'xgboost',
  'lightgbm',
  'onnx',
  'tensorflow',
  'pytorch',
  'triton',
  'pmml',
  'paddle',
  'huggingface',
];

export function readyOf(obj: Resource): { status: string; reason: string } {
  const c = (obj.status?.conditions ?? []).find((x: { type: string }) => x.type === 'Ready');
  if (!c) return { status: 'Unknown', reason: 'no status yet' };
  return { status: c.status, reason: c.message ?? c.reason ?? '' };
}

/** Format and runtime of the predictor, new style (`model.modelFormat`) or old (`sklearn:`). */
export function predictorOf(obj: Resource): { format: string; runtime: string; storageUri: string } {
  const p = obj.spec?.predictor ?? {};
  if (p.model) {
    return {
      format: p.model.modelFormat?.name ?? '',
      runtime: p.model.runtime ?? '',
      storageUri: p.model.storageUri ?? '',
    };
  }
  for (const f of OLD_STYLE_FORMATS) {
    if (p[f]) return { format: f, runtime: p[f].runtime ?? '', storageUri: p[f].storageUri ?? '' };
  }
  if (p.containers) return { format: 'custom', runtime: p.containers[0]?.image ?? '', storageUri: '' };
  return { format: '', runtime: '', storageUri: '' };
}

export function Pill({ status, title }: { status: string; title?: string }) {
  const label = status === 'True' ? 'Ready' : status === 'False' ? 'Not ready' : status;
  return html`<span class=${`pill ${status}`} title=${title ?? ''}>${label}</span>`;
}

export function Traffic({ obj }: { obj: Resource }) {
  const t = (obj.status?.components?.predictor?.traffic ?? []) as {
    revisionName: string;
    percent?: number;
    tag?: string;
    latestRevision?: boolean;
  }[];
  if (!t.length) return html`<span class="muted">–</span>`;
  return html`${t.map(
    (r) =>
      html`<div class="mono">${r.revisionName} <b>${r.percent ?? 0}%</b>${r.tag ? ` (${r.tag})` : ''}${
        r.latestRevision ? ' · latest' : ''
      }</div>`,
  )}`;
}

export function ServicesList({ namespace }: { namespace: string }) {
  const [items, setItems] = useState<Resource[] | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [, setTick] = useState(0);
  useEffect(() => {
    setItems(undefined);
    const ac = new AbortController();
    watchList(isvcPath(namespace), setItems, setError, ac.signal);
    // AGE moves on its own.
    const timer = setInterval(() => setTick((t) => t + 1), 5000);
    return () => {
      ac.abort();
      clearInterval(timer);
    };
  }, [namespace]);
  return html`<section>
    <div class="row"><h1>InferenceServices in ${namespace}</h1><span class="spacer"></span>
      <a class="button" href=${`#/create?namespace=${encodeURIComponent(namespace)}`}>+ New service</a></div>
    ${error ? html`<div class="error" role="alert">${error.message}</div>` : null}
    ${
      items === undefined
        ? error
          ? null
          : html`<p class="muted">Loading…</p>`
        : items.length === 0
          ? html`<p class="muted" id="no-services">No InferenceServices in ${namespace} yet.</p>`
          : html`<table id="services">
      <thead><tr><th>Name</th><th>Status</th><th>URL</th><th>Format / runtime</th><th>Storage URI</th>
        <th>Revisions and traffic</th><th>Replicas</th><th>Age</th></tr></thead>
      <tbody>${items.map((obj) => {
        const ready = readyOf(obj);
        const p = predictorOf(obj);
        const c = obj.status?.components?.predictor ?? {};
        return html`<tr data-name=${obj.metadata.name}>
          <td><a href=${`#/ns/${encodeURIComponent(namespace)}/isvc/${encodeURIComponent(obj.metadata.name)}`}>${obj.metadata.name}</a></td>
          <td><${Pill} status=${ready.status} title=${ready.reason} />${
            ready.status !== 'True' && ready.reason ? html`<div class="muted">${ready.reason}</div>` : null
          }</td>
          <td class="mono">${obj.status?.url ?? ''}</td>
          <td>${p.format}${p.runtime ? html`<div class="muted">${p.runtime}</div>` : null}</td>
          <td class="mono">${p.storageUri}</td>
          <td><${Traffic} obj=${obj} /></td>
          <td>${c.readyReplicas ?? 0}/${c.desiredReplicas ?? 0}</td>
          <td>${age(obj.metadata.creationTimestamp)}</td>
        </tr>`;
      })}</tbody></table>`
    }
  </section>`;
}

function KindTable({ kind, namespace }: { kind: string; namespace: string }) {
  const k = KINDS[kind]!;
  const [items, setItems] = useState<Resource[] | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  useEffect(() => {
    setItems(undefined);
    const ac = new AbortController();
    watchList(k.path(namespace), setItems, setError, ac.signal);
    return () => ac.abort();
  }, [kind, namespace]);
  const detail = (o: Resource): string => {
    if (kind === 'InferenceGraph') return Object.keys(o.spec?.nodes ?? {}).join(', ');
    if (kind === 'TrainedModel')
      return `${o.spec?.inferenceService ?? ''} · ${o.spec?.model?.framework ?? ''} · ${o.spec?.model?.storageUri ?? ''}`;
    return (o.spec?.supportedModelFormats ?? [])
      .map((f: { name: string; version?: string }) => f.name + (f.version ? `:${f.version}` : ''))
      .join(', ');
  };
  return html`<section id=${`kind-${kind}`}>
    <h2>${kind}s${k.cluster ? '' : ` in ${namespace}`}</h2>
    ${error ? html`<div class="error">${error.message}</div>` : null}
    ${
      items === undefined
        ? error
          ? null
          : html`<p class="muted">Loading…</p>`
        : items.length === 0
          ? html`<p class="muted">None.</p>`
          : html`<table><thead><tr><th>Name</th><th>Ready</th><th>${
              kind === 'InferenceGraph' ? 'Nodes' : kind === 'TrainedModel' ? 'Service · format · storage' : 'Formats'
            }</th><th>Age</th></tr></thead>
      <tbody>${items.map((o) => {
        const r = readyOf(o);
        return html`<tr><td>${o.metadata.name}</td><td>${
          o.status?.conditions
            ? html`<${Pill} status=${r.status} title=${r.reason} />`
            : html`<span class="muted">–</span>`
        }</td><td class="mono">${detail(o)}</td><td>${age(o.metadata.creationTimestamp)}</td></tr>`;
      })}</tbody></table>`
    }
  </section>`;
}

export function OtherKinds({ namespace }: { namespace: string }) {
  return html`<div>
    <h1>Graphs, runtimes and trained models</h1>
    <${KindTable} kind="InferenceGraph" namespace=${namespace} />
    <${KindTable} kind="TrainedModel" namespace=${namespace} />
    <${KindTable} kind="ServingRuntime" namespace=${namespace} />
    <${KindTable} kind="ClusterServingRuntime" namespace=${namespace} />
  </div>`;
}
