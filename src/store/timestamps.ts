// Kubernetes timestamps: RFC 3339 in UTC with whole seconds (`2026-11-24T05:32:28Z`), as metav1.Time marshals.

/** `2026-11-24T05:32:28Z` for an epoch-milliseconds instant (milliseconds are dropped, not rounded). */
export function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
