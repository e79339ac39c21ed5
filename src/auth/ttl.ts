// Token lifetimes: `30d`, `12h`, `90m`, `1h30m` (Go durations plus days, as kubeadm's `--ttl` reads `24h0m0s`).

import { parseDurationMs } from '../duration.js';
import { InferdError } from '../errors.js';

export function parseTtlMs(text: string): number {
  const m = /^(\d+)d(.*)$/.exec(text.trim());
  let ms: number;
  try {
    ms = m ? Number(m[1]) * 86_400_000 + (m[2] ? parseDurationMs(m[2]) : 0) : parseDurationMs(text);
  } catch {
    ms = Number.NaN;
  }
  if (!(ms > 0))
    throw new InferdError('INVALID_INPUT', `--ttl "${text}": expected a positive duration like 30d, 12h or 90m`);
  return ms;
}
