// Status condition helpers for the controllers, with Knative's semantics (knative.dev/pkg/apis/condition_set.go,
// which KServe's status uses): one condition per type, kept sorted by type, and lastTransitionTime changing only
// when the status changes.

import type { Condition, ConditionStatus } from './types.js';

/**
 * Returns a new list with `c` set: added, or replacing the condition of the same type. The old
 * lastTransitionTime is kept when the status is unchanged (reason/message/severity still update).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  c: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const list = conditions ?? [];
  const old = list.find((x) => x.type === c.type);
  const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : now;
  const next: Condition = { ...c, lastTransitionTime };
  if (next.reason === undefined) delete next.reason;
  if (next.message === undefined) delete next.message;
  if (next.severity === undefined) delete next.severity;
  return [...list.filter((x) => x.type !== c.type), next].sort((a, b) =>
    a.type < b.type ? -1 : a.type > b.type ? 1 : 0,
  );
}

export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Whether the condition `type` (default `Ready`) has status "True". */
export function isReady(conditions: readonly Condition[] | undefined, type = 'Ready'): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/** A new list without the condition `type`. */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** The status of condition `type`, "Unknown" when absent. */
export function conditionStatus(conditions: readonly Condition[] | undefined, type: string): ConditionStatus {
  return getCondition(conditions, type)?.status ?? 'Unknown';
}
