// `--for=condition=Ready[=True]` and `--for=delete`: parsing, and kubectl's rule for when a condition is
// met — the type matches case-insensitively, the status matches, and the condition was observed for the
// object's current generation (so a wait right after an apply does not see the old Ready=True).

import { InferdError } from '../errors.js';

export type WaitFor = { kind: 'condition'; type: string; status: string } | { kind: 'delete' };

/** Parses `--for`. */
export function parseWaitFor(value: string | undefined): WaitFor {
  if (!value) throw new InferdError('INVALID_INPUT', '--for must be set: --for=condition=Ready or --for=delete');
  if (value.toLowerCase() === 'delete') return { kind: 'delete' };
  const m = /^condition=([^=]+)(?:=(.*))?$/i.exec(value);
  if (!m?.[1]) throw new InferdError('INVALID_INPUT', `unrecognized condition: "${value}"`);
  return { kind: 'condition', type: m[1], status: m[2] === undefined || m[2] === '' ? 'True' : m[2] };
}

interface ConditionLike {
  type?: unknown;
  status?: unknown;
  observedGeneration?: unknown;
}

/** kubectl wait's `checkCondition` for one object. */
export function isConditionMet(obj: Record<string, unknown>, want: { type: string; status: string }): boolean {
  const status = (obj.status ?? {}) as { conditions?: ConditionLike[]; observedGeneration?: unknown };
  const generation = (obj.metadata as { generation?: unknown } | undefined)?.generation;
  for (const c of status.conditions ?? []) {
    if (typeof c.type !== 'string' || c.type.toLowerCase() !== want.type.toLowerCase()) continue;
    if (typeof c.status !== 'string') continue;
    if (typeof generation === 'number') {
      const observed = typeof c.observedGeneration === 'number' ? c.observedGeneration : status.observedGeneration;
      if (typeof observed === 'number' && observed < generation) return false;
    }
    return c.status.toLowerCase() === want.status.toLowerCase();
  }
  return false;
}
