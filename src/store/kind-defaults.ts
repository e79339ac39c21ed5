// Per-kind server-side defaulting that Kubernetes itself does on every write, whatever the client:
// Secret `stringData` is merged into base64 `data` (and never stored), Namespaces get phase Active and the
// `kubernetes.io/metadata.name` label. Model-level defaulting (KServe's) is not here: that is `admit`.

import type { Resource } from '../api/types.js';

type Defaulter = (obj: Resource) => void;

function defaultSecret(obj: Resource): void {
  const stringData = obj['stringData'] as Record<string, unknown> | undefined;
  if (stringData && typeof stringData === 'object') {
    const data = { ...((obj['data'] as Record<string, string> | undefined) ?? {}) };
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    obj['data'] = data;
  }
  delete obj['stringData'];
  if (obj['type'] === undefined) obj['type'] = 'Opaque';
}

function defaultNamespace(obj: Resource): void {
  obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
  obj.spec = { finalizers: ['kubernetes'], ...(obj.spec as object | undefined) };
}

const DEFAULTERS: Record<string, Defaulter> = {
  Secret: defaultSecret,
  Namespace: defaultNamespace,
};

/** Applies the kind's built-in defaulting in place (no-op for kinds without one). */
export function applyKindDefaults(obj: Resource): void {
  DEFAULTERS[obj.kind]?.(obj);
}

/** The status a new object starts with: Namespaces are Active at once; other kinds start without one. */
export function initialStatus(kind: string): unknown {
  return kind === 'Namespace' ? { phase: 'Active' } : undefined;
}
