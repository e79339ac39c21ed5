// Whether applying a manifest would change a stored object: compares what `apply` owns — labels,
// annotations and every top-level field except apiVersion/kind/metadata/status — ignoring key order and
// treating an empty map like an absent one.

type Json = unknown;

function normalize(v: Json): Json {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => [k, normalize(x)]);
    return Object.fromEntries(entries);
  }
  return v;
}

const emptyAsAbsent = (m: unknown): unknown =>
  m && typeof m === 'object' && Object.keys(m).length === 0 ? undefined : m;

/** The part of an object that `apply` writes, in a canonical form. */
export function appliedContent(obj: Record<string, unknown>): Json {
  const meta = (obj.metadata ?? {}) as Record<string, unknown>;
  const rest = Object.fromEntries(
    Object.entries(obj).filter(([k]) => !['apiVersion', 'kind', 'metadata', 'status'].includes(k)),
  );
  return normalize({
    ...rest,
    metadata: { labels: emptyAsAbsent(meta.labels), annotations: emptyAsAbsent(meta.annotations) },
  });
}

/** True when `a` and `b` have the same applied content. */
export function sameAppliedContent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(appliedContent(a)) === JSON.stringify(appliedContent(b));
}
