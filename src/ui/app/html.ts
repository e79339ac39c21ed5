// htm bound to Preact: JSX-like templates in plain ES modules, no build step beyond tsc. Values are always
// text or attributes (Preact escapes them); nothing in this app sets innerHTML.
import htm from 'htm';
import { h } from 'preact';

export const html = htm.bind(h);

/** `3m`, `2h`, `5d` like kubectl's AGE column. */
export function age(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function navigate(hash: string): void {
  location.hash = hash;
}
