// JSON Merge Patch (RFC 7386): objects merge key by key, `null` deletes, anything else (arrays included)
// replaces. Also what inferd applies for `application/strategic-merge-patch+json`: strategic merge's list
// merging by key is not implemented, so lists in such a patch replace the whole list.

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The result of applying `patch` to `target` (RFC 7386 MergePatch); the inputs are not modified. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}
