// `-o yaml` and `-o json` as kubectl prints them: keys sorted (kubectl round-trips objects through
// Go maps), YAML sequences not indented under their key, JSON indented by 4, lists wrapped in `kind: List`.

import { stringify } from 'yaml';

/** A deep copy with object keys in sorted order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** kubectl's list wrapper for `-o yaml|json` of more than one object. */
export function asList(items: readonly unknown[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/** YAML text of one object, ending in a newline; never folds long strings. */
export function toYaml(value: unknown): string {
  // YAML 1.1 quoting, as kubectl's go-yaml: timestamps, yes/no/on/off stay strings for every reader.
  return stringify(sortKeys(value), { version: '1.1', indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false });
}

/** JSON text of one object, kubectl-indented, ending in a newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 4)}\n`;
}
