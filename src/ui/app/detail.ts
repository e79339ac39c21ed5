// One InferenceService: overview (conditions, model status, download progress, revisions and traffic),
// charts from /metrics, try it, replica logs, events, the manifest (secrets masked) with edit, and delete.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, callModel, isvcPath, type Resource, request, scrapeMetrics, streamLogs, watchList } from './api.js';
import { Chart } from './charts.js';
import { loadYaml, YamlEditor } from './editor.js';
import { age, html, navigate } from './html.js';
import { Pill, predictorOf, readyOf as readyOfObj, Traffic } from './list.js';
import { maskSecrets, v1Example, v2Example } from './manifest.js';
import { type Point, parsePrometheus, pointBetween, type ServiceSnapshot, snapshot } from './metrics.js';

const POLL_MS = 2000;
const KEEP_POINTS = 150;

type Tab = 'overview' | 'metrics' | 'try' | 'logs' | 'yaml' | 'events';

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };
/** `downloading model: 12.3 MiB of 50.0 MiB (…)` (the predictor's condition message) → fraction done. */
export function downloadFraction(message: string): number | undefined {
  const m = /([\d.]+) (B|KiB|MiB|GiB|TiB) of ([\d.]+) (B|KiB|MiB|GiB|TiB)/.exec(message);
  if (!m) return undefined;
  const done = Number(m[1]) * UNITS[m[2]!]!;
  const total = Number(m[3]) * UNITS[m[4]!]!;
  return total > 0 ? Math.min(1, done / total) : undefined;
}

function Overview({ obj, seen }: { obj: Resource; seen: string[] }) {
  const p = predictorOf(obj);
  const c = obj.status?.components?.predictor ?? {};
  const conditions = (obj.status?.conditions ?? []) as {
    type: string;
    status: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
  }[];
  const ms = obj.status?.modelStatus;
  const predictorCond = conditions.find((x) => x.type === 'PredictorReady');
  const downloading = predictorCond?.message?.startsWith('downloading model') ? predictorCond.message : undefined;
  const fraction = downloading ? downloadFraction(downloading) : undefined;
  return html`<div class="grid">
    <div class="card"><h3>Service</h3><dl class="kv">
      <dt>URL</dt><dd class="mono">${obj.status?.url ?? ''}</dd>
      <dt>Address</dt><dd class="mono">${obj.status?.address?.url ?? ''}</dd>
      <dt>Format</dt><dd>${p.format}</dd>
      <dt>Runtime</dt><dd>${p.runtime || html`<span class="muted">auto</span>`}</dd>
      <dt>Storage URI</dt><dd class="mono">${p.storageUri}</dd>
      <dt>Replicas</dt><dd id="replicas">${c.readyReplicas ?? 0} ready / ${c.desiredReplicas ?? 0} desired${
        c.restartCount ? ` · ${c.restartCount} restarts` : ''
      }</dd>
      <dt>Created</dt><dd>${obj.metadata.creationTimestamp ?? ''} (${age(obj.metadata.creationTimestamp)} ago)</dd>
    </dl></div>
    <div class="card" id="model-status"><h3>Model</h3><dl class="kv">
      <dt>Transition</dt><dd>${ms?.transitionStatus ?? '–'}</dd>
      <dt>Active state</dt><dd>${ms?.states?.activeModelState ?? '–'}</dd>
      <dt>Target state</dt><dd>${ms?.states?.targetModelState ?? '–'}</dd>
      ${ms?.lastFailureInfo ? html`<dt>Last failure</dt><dd class="error">${ms.lastFailureInfo.reason}: ${ms.lastFailureInfo.message}</dd>` : null}
      <dt>Seen here</dt><dd id="model-timeline">${seen.join(' → ')}</dd>
    </dl>
    ${
      downloading
        ? html`<div id="download" class="notice">${downloading}${
            fraction !== undefined
              ? html` <span class="progress"><div class="bar" ref=${(el: HTMLElement | null) => {
                  // CSSOM, not a style attribute: allowed by the CSP.
                  if (el) el.style.width = `${Math.round(fraction * 100)}%`;
                }}></div></span>`
              : null
          }</div>`
        : null
    }</div>
    <div class="card"><h3>Revisions and traffic</h3><dl class="kv">
      <dt>Latest created</dt><dd class="mono">${c.latestCreatedRevision ?? '–'}</dd>
      <dt>Latest ready</dt><dd class="mono">${c.latestReadyRevision ?? '–'}</dd>
      <dt>Rolled out</dt><dd class="mono">${c.latestRolledoutRevision ?? '–'}</dd>
      ${c.previousRolledoutRevision ? html`<dt>Previous</dt><dd class="mono">${c.previousRolledoutRevision}</dd>` : null}
      <dt>Traffic</dt><dd><${Traffic} obj=${obj} /></dd>
    </dl></div>
    <div class="card wide"><h3>Conditions</h3>
      <table id="conditions"><thead><tr><th>Type</th><th>Status</th><th>Reason</th><th>Message</th><th>Since</th></tr></thead>
      <tbody>${conditions.map(
        (
          x,
        ) => html`<tr data-type=${x.type}><td>${x.type}</td><td><${Pill} status=${x.status} /></td><td>${x.reason ?? ''}</td>
          <td>${x.message ?? ''}</td><td>${age(x.lastTransitionTime)}</td></tr>`,
      )}</tbody></table></div>
  </div>`;
}

function Metrics({ obj }: { obj: Resource }) {
  const ns = obj.metadata.namespace!;
  const name = obj.metadata.name;
  const [points, setPoints] = useState<Point[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const objRef = useRef(obj);
  objRef.current = obj;
  useEffect(() => {
    const ac = new AbortController();
    let prev: ServiceSnapshot | undefined;
    const poll = async () => {
      try {
        const text = await scrapeMetrics(ac.signal);
        const cur = snapshot(parsePrometheus(text), ns, name, Date.now() / 1000);
        // Replicas from the object's status where the gateway has no replicas series yet.
        const c = objRef.current.status?.components?.predictor ?? {};
        cur.replicasReady ??= c.readyReplicas;
        cur.replicasDesired ??= c.desiredReplicas;
        if (prev) {
          const p = pointBetween(prev, cur);
          setPoints((old) => [...old, p].slice(-KEEP_POINTS));
        }
        prev = cur;
        setError(undefined);
      } catch (err) {
        if (!ac.signal.aborted) setError(err instanceof ApiError ? `metrics: ${err.message}` : String(err));
      }
    };
    void poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      ac.abort();
      clearInterval(timer);
    };
  }, [ns, name]);
  const times = points.map((p) => p.t);
  return html`<div>
    ${error ? html`<div class="error">${error}</div>` : null}
    <p class="muted">From the gateway's /metrics, every ${POLL_MS / 1000} s (${points.length} points).</p>
    <div class="grid">
      <${Chart} id="chart-rps" title="Request rate" unit="req/s" times=${times}
        series=${[{ label: 'req/s', color: '#2b59c3', values: points.map((p) => p.rps) }]} />
      <${Chart} id="chart-latency" title="Latency" unit="ms (p50)" times=${times}
        series=${[
          { label: 'p50 ms', color: '#2b59c3', values: points.map((p) => p.p50Ms) },
          { label: 'p99 ms', color: '#b54708', values: points.map((p) => p.p99Ms) },
        ]} />
      <${Chart} id="chart-errors" title="Errors" unit="err/s" times=${times}
        series=${[{ label: 'errors/s', color: '#b42318', values: points.map((p) => p.errorsPerSecond) }]} />
      <${Chart} id="chart-replicas" title="Replicas" unit="ready" times=${times}
        series=${[
          { label: 'ready', color: '#067647', values: points.map((p) => p.replicasReady) },
          { label: 'desired', color: '#667085', values: points.map((p) => p.replicasDesired) },
        ]} />
    </div>
  </div>`;
}

function TryIt({ obj }: { obj: Resource }) {
  const ns = obj.metadata.namespace!;
  const name = obj.metadata.name;
  const [protocol, setProtocol] = useState<'v1' | 'v2'>(
    obj.spec?.predictor?.model?.protocolVersion === 'v2' ? 'v2' : 'v1',
  );
  const [meta, setMeta] = useState<{ inputs?: { name?: string; datatype?: string; shape?: number[] }[] }>();
  const [body, setBody] = useState('');
  const [answer, setAnswer] = useState<{ status: number; text: string; ms: number } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void callModel(ns, name, `/v2/models/${encodeURIComponent(name)}`, undefined)
      .then((r) => (r.status === 200 ? setMeta(JSON.parse(r.text)) : setMeta({})))
      .catch(() => setMeta({}));
  }, [ns, name]);
  useEffect(() => {
    if (meta) setBody(protocol === 'v1' ? v1Example(meta) : v2Example(meta));
  }, [meta, protocol]);
  const send = async () => {
    setBusy(true);
    const path =
      protocol === 'v1'
        ? `/v1/models/${encodeURIComponent(name)}:predict`
        : `/v2/models/${encodeURIComponent(name)}/infer`;
    try {
      setAnswer(await callModel(ns, name, path, body));
    } catch (err) {
      setAnswer({ status: 0, text: String(err), ms: 0 });
    } finally {
      setBusy(false);
    }
  };
  return html`<div>
    <div class="row">
      <label><input type="radio" name="protocol" id="proto-v1" checked=${protocol === 'v1'} onChange=${() => setProtocol('v1')} /> V1 <code>:predict</code></label>
      <label><input type="radio" name="protocol" id="proto-v2" checked=${protocol === 'v2'} onChange=${() => setProtocol('v2')} /> V2 <code>/infer</code></label>
      <span class="muted">${meta?.inputs?.length ? 'prefilled from the model metadata' : 'template (the model publishes no input metadata)'}</span>
    </div>
    <textarea id="try-body" class="small" spellcheck="false" value=${body} onInput=${(e: Event) => setBody((e.target as HTMLTextAreaElement).value)}></textarea>
    <div class="row"><button class="primary" id="try-send" disabled=${busy} onClick=${send}>Send</button>
      ${answer ? html`<span id="try-status">HTTP ${answer.status}</span> <span id="try-latency">${answer.ms.toFixed(1)} ms</span>` : null}</div>
    ${answer ? html`<pre class="yaml" id="try-answer">${answer.text}</pre>` : null}
  </div>`;
}

function Logs({ obj }: { obj: Resource }) {
  const ns = obj.metadata.namespace!;
  const name = obj.metadata.name;
  const [tail, setTail] = useState(200);
  const [follow, setFollow] = useState(true);
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const ac = new AbortController();
    setLines([]);
    setError(undefined);
    let buffer: string[] = [];
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      const batch = buffer;
      buffer = [];
      setLines((old) => [...old, ...batch].slice(-2000));
    };
    streamLogs(
      ns,
      name,
      tail,
      follow,
      (line) => {
        buffer.push(line);
        if (!scheduled) {
          scheduled = true;
          requestAnimationFrame(flush);
        }
      },
      ac.signal,
    ).catch((err) => {
      if (!ac.signal.aborted) setError(err instanceof ApiError ? err.message : String(err));
    });
    return () => ac.abort();
  }, [ns, name, tail, follow]);
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [lines]);
  return html`<div>
    <div class="row">
      <label>Last <select value=${String(tail)} onChange=${(e: Event) => setTail(Number((e.target as HTMLSelectElement).value))}>
        ${[50, 200, 1000].map((n) => html`<option value=${String(n)}>${n}</option>`)}</select> lines</label>
      <label><input type="checkbox" id="logs-follow" checked=${follow} onChange=${(e: Event) => setFollow((e.target as HTMLInputElement).checked)} /> follow</label>
    </div>
    ${error ? html`<div class="error">${error}</div>` : null}
    <pre class="logs" id="logs" ref=${pre}>${lines.length ? lines.join('\n') : 'no log lines yet'}</pre>
  </div>`;
}

function Events({ obj }: { obj: Resource }) {
  const ns = obj.metadata.namespace!;
  const [items, setItems] = useState<Resource[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const ac = new AbortController();
    const sel = encodeURIComponent(`involvedObject.name=${obj.metadata.name},involvedObject.kind=InferenceService`);
    watchList(
      `/api/v1/namespaces/${encodeURIComponent(ns)}/events?fieldSelector=${sel}`,
      setItems,
      (e) => setError(e?.message),
      ac.signal,
    );
    return () => ac.abort();
  }, [ns, obj.metadata.name]);
  const sorted = [...items].sort((a, b) => String(b.lastTimestamp ?? '').localeCompare(String(a.lastTimestamp ?? '')));
  return html`<div>${error ? html`<div class="error">${error}</div>` : null}
    <table id="events"><thead><tr><th>Type</th><th>Reason</th><th>Message</th><th>Count</th><th>First</th><th>Last</th></tr></thead>
    <tbody>${sorted.map(
      (
        e,
      ) => html`<tr><td>${String(e.type ?? '')}</td><td>${String(e.reason ?? '')}</td><td>${String(e.message ?? '')}</td>
        <td>${String(e.count ?? 1)}</td><td>${age(e.firstTimestamp as string)}</td><td>${age(e.lastTimestamp as string)}</td></tr>`,
    )}</tbody></table>
    ${sorted.length ? null : html`<p class="muted">No events.</p>`}</div>`;
}

function Manifest({ obj }: { obj: Resource }) {
  const [text, setText] = useState<string | undefined>(undefined);
  // What the editor starts from: the masked manifest without its status (the server owns status).
  const [editText, setEditText] = useState('');
  const [editing, setEditing] = useState(false);
  useEffect(() => {
    const masked = maskSecrets(obj);
    const { status: _status, ...rest } = masked;
    void loadYaml().then((YAML) => {
      setText(YAML.stringify(masked));
      setEditText(YAML.stringify(rest));
    });
  }, [obj.metadata.resourceVersion]);
  if (editing) {
    return html`<${YamlEditor} initial=${editText} mode=${{ original: obj }} namespace=${obj.metadata.namespace!}
      onDone=${() => setEditing(false)} onCancel=${() => setEditing(false)} />`;
  }
  return html`<div>
    <div class="row"><button id="edit-yaml" onClick=${() => setEditing(true)} disabled=${text === undefined}>Edit</button>
      <span class="muted">Secret values are masked (********); saving keeps the stored values.</span></div>
    <pre class="yaml" id="manifest">${text ?? 'loading…'}</pre>
  </div>`;
}

export function DetailPage({ namespace, name }: { namespace: string; name: string }) {
  const [obj, setObj] = useState<Resource | undefined | null>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tab, setTab] = useState<Tab>('overview');
  const [confirming, setConfirming] = useState(false);
  const [seen, setSeen] = useState<string[]>([]);
  useEffect(() => {
    const ac = new AbortController();
    setSeen([]);
    watchList(
      `${isvcPath(namespace)}?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`,
      (items) => {
        const o = items[0];
        setObj(o ?? null);
        if (o) {
          const ms = o.status?.modelStatus?.states;
          const pc = (o.status?.conditions ?? []).find((x: { type: string }) => x.type === 'PredictorReady');
          const state = pc?.message?.startsWith('downloading')
            ? 'Downloading'
            : ms?.activeModelState || ms?.targetModelState;
          if (state) setSeen((old) => (old[old.length - 1] === state ? old : [...old, state]));
        }
      },
      (e) => setError(e?.message),
      ac.signal,
    );
    return () => ac.abort();
  }, [namespace, name]);
  const remove = async () => {
    try {
      await request('DELETE', isvcPath(namespace, name));
      navigate(`#/ns/${encodeURIComponent(namespace)}`);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      setConfirming(false);
    }
  };
  if (obj === undefined)
    return html`<p class="muted">Loading…</p>${error ? html`<div class="error">${error}</div>` : null}`;
  if (obj === null)
    return html`<div><p id="gone">InferenceService ${namespace}/${name} does not exist (or was deleted).</p>
      <a href=${`#/ns/${encodeURIComponent(namespace)}`}>Back to the list</a></div>`;
  const ready = readyOfObj(obj);
  const tabs: [Tab, string][] = [
    ['overview', 'Overview'],
    ['metrics', 'Metrics'],
    ['try', 'Try it'],
    ['logs', 'Logs'],
    ['events', 'Events'],
    ['yaml', 'YAML'],
  ];
  return html`<section>
    <div class="row"><h1>${namespace}/${name}</h1> <span id="ready"><${Pill} status=${ready.status} title=${ready.reason} /></span>
      <span class="spacer"></span><button class="danger" id="delete" onClick=${() => setConfirming(true)}>Delete</button></div>
    ${error ? html`<div class="error">${error}</div>` : null}
    <div class="tabs">${tabs.map(
      ([t, label]) =>
        html`<button id=${`tab-${t}`} class=${tab === t ? 'active' : ''} onClick=${() => setTab(t)}>${label}</button>`,
    )}</div>
    ${tab === 'overview' ? html`<${Overview} obj=${obj} seen=${seen} />` : null}
    ${tab === 'metrics' ? html`<${Metrics} obj=${obj} />` : null}
    ${tab === 'try' ? html`<${TryIt} obj=${obj} />` : null}
    ${tab === 'logs' ? html`<${Logs} obj=${obj} />` : null}
    ${tab === 'events' ? html`<${Events} obj=${obj} />` : null}
    ${tab === 'yaml' ? html`<${Manifest} obj=${obj} />` : null}
    ${
      confirming
        ? html`<div class="dialog" role="dialog" aria-modal="true"><div>
        <p>Delete InferenceService <b>${namespace}/${name}</b>? Its replicas stop and its routes go away.</p>
        <div class="row"><button class="danger" id="confirm-delete" onClick=${remove}>Delete</button>
          <button id="cancel-delete" onClick=${() => setConfirming(false)}>Cancel</button></div></div></div>`
        : null
    }
  </section>`;
}
