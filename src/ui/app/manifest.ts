// Manifests as the app shows and builds them. Pure (no DOM): test/ui/manifest.test.ts.

export const MASK = '********';
const SECRET_NAME = /secret|password|passwd|token|credential|api[_-]?key|access[_-]?key|private/i;

/**
 * A copy fit to show: Secret data masked, env values whose names look secret masked (credentials pasted into a
 * manifest's env instead of a Secret reference), the server's bookkeeping (managedFields) dropped.
 */
export function maskSecrets<T>(obj: T): T {
  const copy = structuredClone(obj) as unknown;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.env)) {
      for (const e of o.env as Record<string, unknown>[]) {
        if (e && typeof e.name === 'string' && 'value' in e && SECRET_NAME.test(e.name)) e.value = MASK;
      }
    }
    for (const x of Object.values(o)) walk(x);
  };
  const top = copy as Record<string, unknown> | undefined;
  if (top && typeof top === 'object') {
    if (top.kind === 'Secret') {
      for (const key of ['data', 'stringData']) {
        const d = top[key];
        if (d && typeof d === 'object') for (const k of Object.keys(d)) (d as Record<string, unknown>)[k] = MASK;
      }
    }
    const meta = top.metadata as Record<string, unknown> | undefined;
    if (meta) delete meta.managedFields;
  }
  walk(copy);
  return copy as T;
}

export interface ShortForm {
  name: string;
  namespace: string;
  format: string;
  storageUri: string;
}

/** The form's InferenceService (new style: `predictor.model.modelFormat`). */
export function manifestFromForm(f: ShortForm): Record<string, unknown> {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: f.name.trim(), namespace: f.namespace.trim() },
    spec: { predictor: { model: { modelFormat: { name: f.format.trim() }, storageUri: f.storageUri.trim() } } },
  };
}

/** The API's field path for a form input (what a 422's causes name). */
export const FORM_FIELDS: Record<keyof ShortForm, string> = {
  name: 'metadata.name',
  namespace: 'metadata.namespace',
  format: 'spec.predictor.model.modelFormat.name',
  storageUri: 'spec.predictor.model.storageUri',
};

interface TensorMeta {
  name?: string;
  datatype?: string;
  shape?: number[];
}

/** A V2 infer body from the model's metadata (zeros of each input's shape, -1 dims as 1), else a template. */
export function v2Example(meta: { inputs?: TensorMeta[] } | undefined): string {
  const inputs = meta?.inputs?.length
    ? meta.inputs.map((i) => {
        const shape = (i.shape?.length ? i.shape : [1, 4]).map((d) => (d > 0 ? d : 1));
        const size = shape.reduce((a, b) => a * b, 1);
        const datatype = i.datatype ?? 'FP32';
        const zero = datatype === 'BYTES' ? '' : datatype === 'BOOL' ? false : 0;
        return { name: i.name ?? 'input-0', shape, datatype, data: new Array(Math.min(size, 10_000)).fill(zero) };
      })
    : [{ name: 'input-0', shape: [1, 4], datatype: 'FP32', data: [0, 0, 0, 0] }];
  return JSON.stringify({ inputs }, null, 2);
}

/** A V1 predict body: one row per V2 input shape when known, else a 4-feature row. */
export function v1Example(meta: { inputs?: TensorMeta[] } | undefined): string {
  const width = meta?.inputs?.[0]?.shape?.at(-1);
  const n = width && width > 0 ? width : 4;
  return JSON.stringify({ instances: [new Array(n).fill(0)] });
}

/**
 * Puts back the values `maskSecrets` hid, where the edited copy still holds the mask at the same place (same
 * keys, env entries matched by name), so an edit of a masked manifest never writes the mask itself.
 */
export function unmask<T>(edited: T, original: unknown): T {
  const walk = (e: unknown, o: unknown): void => {
    if (!e || typeof e !== 'object' || !o || typeof o !== 'object') return;
    if (Array.isArray(e)) {
      e.forEach((x, i) => {
        const named = x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string';
        const match = named
          ? (o as unknown[]).find((y) => (y as { name?: unknown } | null)?.name === (x as { name: string }).name)
          : (o as unknown[])[i];
        walk(x, match);
      });
      return;
    }
    const eo = e as Record<string, unknown>;
    const oo = o as Record<string, unknown>;
    for (const [k, v] of Object.entries(eo)) {
      if (v === MASK && typeof oo[k] === 'string') eo[k] = oo[k];
      else walk(v, oo[k]);
    }
  };
  walk(edited, original);
  return edited;
}

/** `spec.predictor.containers[0].env` → ['spec', 'predictor', 'containers', 0, 'env'] (a 422's field path). */
export function fieldPathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}
