// Secret values never reach a terminal unless asked for (DESIGN.md "Secrets are never … shown by get"):
// every printer runs objects through maskSecrets first; `--show-secrets` is the only way around it.

export const MASK = '***';

const maskValues = (data: unknown): unknown =>
  data && typeof data === 'object' && !Array.isArray(data)
    ? Object.fromEntries(Object.keys(data).map((k) => [k, MASK]))
    : data;

/** A copy of `obj` with Secret `data`/`stringData` values replaced by `***`; other kinds are returned as-is. */
export function maskSecrets<T>(obj: T): T {
  if (!obj || typeof obj !== 'object') return obj;
  const o = obj as Record<string, unknown>;
  if (Array.isArray(o.items)) return { ...o, items: o.items.map(maskSecrets) } as T;
  if (o.kind !== 'Secret') return obj;
  const copy: Record<string, unknown> = { ...o };
  if ('data' in copy) copy.data = maskValues(copy.data);
  if ('stringData' in copy) copy.stringData = maskValues(copy.stringData);
  return copy as T;
}
