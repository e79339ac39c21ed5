// Equality-based label selection (`app=iris,tier=model`), the subset of Kubernetes selectors the store
// filters on. Parsing the query-string form lives in the control API; this is the match only.

/** True when every `key=value` of the selector is among the labels (an empty selector matches all). */
export function matchesLabels(
  labels: Record<string, string> | undefined,
  selector: Record<string, string> | undefined,
): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) {
    if (labels?.[k] !== v) return false;
  }
  return true;
}
