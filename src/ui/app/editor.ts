// Create and edit: YAML pasted, uploaded or edited, or the short form. The API validates (one source of truth);
// its 422 names each problem's field path, shown here beside the YAML line that holds it (or the form input).
import { useState } from 'preact/hooks';
import { ApiError, type Cause, KINDS, type Resource, request } from './api.js';
import { html, navigate } from './html.js';
import { FORM_FIELDS, fieldPathSegments, manifestFromForm, type ShortForm, unmask } from './manifest.js';

type YamlModule = typeof import('yaml');
let yamlModule: Promise<YamlModule> | undefined;
export const loadYaml = () => {
  yamlModule ??= import('yaml');
  return yamlModule;
};

export interface FieldProblem {
  field: string;
  message: string;
  /** 1-based line in the YAML where the field (or its nearest parent) is. */
  line?: number;
}

/** The line of `field` in `text`, or of its deepest parent that exists. */
export async function lineOf(text: string, field: string): Promise<number | undefined> {
  const YAML = await loadYaml();
  const lc = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc });
  const path = fieldPathSegments(field);
  // A missing key (a required field left out): the deepest parent that exists.
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

async function problemsOf(err: ApiError, text: string): Promise<FieldProblem[]> {
  const out: FieldProblem[] = [];
  for (const c of err.causes as Cause[]) {
    if (!c.field) continue;
    out.push({ field: c.field, message: c.message ?? c.reason ?? 'invalid', line: await lineOf(text, c.field) });
  }
  return out;
}

/** Sends a YAML manifest: POST to its kind's collection (create) or PUT to the object (edit). */
export async function submitYaml(
  text: string,
  mode: 'create' | { original: Resource },
  defaultNamespace: string,
): Promise<Resource> {
  const YAML = await loadYaml();
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new ApiError(400, `YAML: ${e.message}`);
  }
  const obj = doc.toJS() as Resource | null;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ApiError(400, 'the YAML is not an object');
  const kind = KINDS[obj.kind ?? 'InferenceService'];
  if (!kind)
    throw new ApiError(
      400,
      `kind "${obj.kind}" cannot be created here (InferenceService, InferenceGraph, ServingRuntime, TrainedModel)`,
    );
  const namespace = obj.metadata?.namespace ?? defaultNamespace;
  if (mode === 'create') {
    return request<Resource>('POST', kind.path(namespace), { text, type: 'application/yaml' });
  }
  const body = unmask(obj, mode.original);
  const name = encodeURIComponent(mode.original.metadata.name);
  return request<Resource>('PUT', `${kind.path(namespace)}/${name}`, {
    text: JSON.stringify(body),
    type: 'application/json',
  });
}

export function YamlEditor(props: {
  initial: string;
  mode: 'create' | { original: Resource };
  namespace: string;
  onDone: (obj: Resource) => void;
  onCancel?: () => void;
}) {
  const [text, setText] = useState(props.initial);
  const [error, setError] = useState<string | undefined>(undefined);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    setProblems([]);
    try {
      props.onDone(await submitYaml(text, props.mode, props.namespace));
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(0, String(err));
      setError(e.message);
      setProblems(await problemsOf(e, text));
    } finally {
      setBusy(false);
    }
  };
  const upload = async (ev: Event) => {
    const file = (ev.target as HTMLInputElement).files?.[0];
    if (file) setText(await file.text());
  };
  return html`<div>
    ${props.mode === 'create' ? html`<div class="row"><label for="yaml-file">Upload a file</label><input id="yaml-file" type="file" accept=".yaml,.yml,.json" onChange=${upload} /></div>` : null}
    <label for="yaml">Manifest (YAML)</label>
    <textarea id="yaml" spellcheck="false" value=${text} onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}></textarea>
    ${error ? html`<div class="error" role="alert" id="submit-error">${error}</div>` : null}
    ${
      problems.length
        ? html`<ul id="field-errors">${problems.map(
            (p) =>
              html`<li class="field-error" data-field=${p.field}><code>${p.field}</code>${p.line ? ` (line ${p.line})` : ''}: ${p.message}</li>`,
          )}</ul>`
        : null
    }
    <div class="row">
      <button class="primary" id="submit-yaml" disabled=${busy} onClick=${submit}>${props.mode === 'create' ? 'Create' : 'Save'}</button>
      ${props.onCancel ? html`<button onClick=${props.onCancel}>Cancel</button>` : null}
    </div>
  </div>`;
}

function ShortFormView({ namespace }: { namespace: string }) {
  const [form, setForm] = useState<ShortForm>({ name: '', namespace, format: 'sklearn', storageUri: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | undefined>(undefined);
  const set = (k: keyof ShortForm) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const submit = async () => {
    setError(undefined);
    setErrors({});
    const obj = manifestFromForm(form);
    try {
      await request('POST', KINDS.InferenceService!.path(form.namespace.trim() || namespace), {
        text: JSON.stringify(obj),
        type: 'application/json',
      });
      navigate(`#/ns/${encodeURIComponent(form.namespace)}/isvc/${encodeURIComponent(form.name.trim())}`);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(0, String(err));
      const byInput: Record<string, string> = {};
      const unplaced: string[] = [];
      for (const c of e.causes) {
        const input = (Object.keys(FORM_FIELDS) as (keyof ShortForm)[]).find((k) => FORM_FIELDS[k] === c.field);
        if (input) byInput[input] = c.message ?? 'invalid';
        else unplaced.push(`${c.field ?? ''}: ${c.message ?? ''}`);
      }
      setErrors(byInput);
      setError(Object.keys(byInput).length && !unplaced.length ? undefined : e.message);
    }
  };
  const input = (k: keyof ShortForm, label: string, placeholder: string) =>
    html`<div><label for=${`form-${k}`}>${label} <span class="muted mono">${FORM_FIELDS[k]}</span></label>
      <input id=${`form-${k}`} size="50" placeholder=${placeholder} value=${form[k]} onInput=${set(k)} />
      ${errors[k] ? html`<div class="field-error" data-field=${FORM_FIELDS[k]}>${errors[k]}</div>` : null}</div>`;
  return html`<div id="short-form">
    ${input('name', 'Name', 'sklearn-iris')}
    ${input('namespace', 'Namespace', 'default')}
    ${input('format', 'Model format', 'sklearn, xgboost, lightgbm, onnx, mlflow, …')}
    ${input('storageUri', 'Storage URI', 's3://bucket/path, gs://…, https://…, or a local path')}
    ${error ? html`<div class="error" role="alert">${error}</div>` : null}
    <div class="row"><button class="primary" id="submit-form" onClick=${submit}>Create</button></div>
  </div>`;
}

const EXAMPLE = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sklearn-iris
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
`;

export function CreatePage({ namespace }: { namespace: string }) {
  const [tab, setTab] = useState<'yaml' | 'form'>('yaml');
  return html`<section>
    <h1>New InferenceService</h1>
    <div class="tabs">
      <button id="tab-create-yaml" class=${tab === 'yaml' ? 'active' : ''} onClick=${() => setTab('yaml')}>YAML</button>
      <button id="tab-create-form" class=${tab === 'form' ? 'active' : ''} onClick=${() => setTab('form')}>Form</button>
    </div>
    ${
      tab === 'yaml'
        ? html`<${YamlEditor} initial=${EXAMPLE} mode="create" namespace=${namespace} onDone=${(o: Resource) =>
            navigate(
              o.kind === 'InferenceService'
                ? `#/ns/${encodeURIComponent(o.metadata.namespace ?? namespace)}/isvc/${encodeURIComponent(o.metadata.name)}`
                : '#/other',
            )} />`
        : html`<${ShortFormView} namespace=${namespace} />`
    }
  </section>`;
}
