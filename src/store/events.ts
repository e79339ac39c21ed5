// Kubernetes-style core/v1 Events about stored objects: what `inferd describe` and the web app show under
// "Events". Like client-go's event recorder, a repeat of the same type+reason+message bumps `count` and
// `lastTimestamp` instead of adding an object. Not a log: at most MAX_EVENTS_PER_OBJECT per object are kept.

import { randomInt } from 'node:crypto';
import type { Resource } from '../api/types.js';
import type { Store } from './store.js';
import { rfc3339 } from './timestamps.js';

export type EventType = 'Normal' | 'Warning';

/** The object an Event is about, as Kubernetes' ObjectReference. */
export interface InvolvedObject {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

/** A core/v1 Event object. */
export interface KubeEvent extends Resource {
  involvedObject: InvolvedObject;
  reason: string;
  message: string;
  type: EventType;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: { component: string };
  reportingComponent: string;
}

export interface RecordEventOptions {
  involved: Resource;
  type: EventType;
  reason: string;
  message: string;
  /** `source.component`, e.g. `inferenceservice-controller`. Default `inferd`. */
  component?: string;
  /** Clock, epoch milliseconds. */
  now?: number;
}

/** Events kept per involved object; the oldest are dropped beyond this. */
export const MAX_EVENTS_PER_OBJECT = 50;
/** Kubernetes truncates event messages to 1 KiB. */
const MAX_MESSAGE_CHARS = 1024;

/** Events for cluster-scoped objects live in `default`, as Kubernetes records them. */
function eventNamespace(involved: { namespace?: string }): string {
  return involved.namespace || 'default';
}

function isAbout(ev: KubeEvent, ref: InvolvedObject): boolean {
  const o = ev.involvedObject;
  if (!o || o.kind !== ref.kind || o.name !== ref.name || (o.namespace ?? '') !== (ref.namespace ?? '')) return false;
  return !ref.uid || !o.uid || ref.uid === o.uid;
}

function referenceTo(obj: Resource): InvolvedObject {
  const ref: InvolvedObject = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata.uid) ref.uid = obj.metadata.uid;
  return ref;
}

/** `<name>.<hex>`: Kubernetes names events after the object plus the time in hex nanoseconds. */
function eventName(objName: string, nowMs: number): string {
  const nanos = BigInt(nowMs) * 1_000_000n + BigInt(randomInt(1_000_000));
  return `${objName.slice(0, 253 - 17)}.${nanos.toString(16)}`;
}

function byAge(a: KubeEvent, b: KubeEvent): number {
  return (
    a.lastTimestamp.localeCompare(b.lastTimestamp) ||
    Number(a.metadata.resourceVersion ?? 0) - Number(b.metadata.resourceVersion ?? 0)
  );
}

/** The events about `involved`, oldest first (by lastTimestamp). */
export function listEvents(store: Store, involved: Resource | InvolvedObject): KubeEvent[] {
  const ref = 'metadata' in involved ? referenceTo(involved as Resource) : (involved as InvolvedObject);
  const { items } = store.list<KubeEvent>({ kind: 'Event', namespace: eventNamespace(ref) });
  return items.filter((ev) => isAbout(ev, ref)).sort(byAge);
}

/**
 * Records an event about `involved`: a new Event, or `count + 1` on an identical one. Returns undefined, and
 * records nothing, when the event's namespace no longer exists: an event must not bring back a deleted one.
 */
export function recordEvent(store: Store, opts: RecordEventOptions): KubeEvent | undefined {
  const nowMs = opts.now ?? Date.now();
  const ts = rfc3339(nowMs);
  const message = opts.message.length > MAX_MESSAGE_CHARS ? opts.message.slice(0, MAX_MESSAGE_CHARS) : opts.message;
  const ref = referenceTo(opts.involved);
  if (!store.get({ kind: 'Namespace', name: eventNamespace(ref) })) return undefined;
  const existing = listEvents(store, ref);
  const same = existing.find((ev) => ev.type === opts.type && ev.reason === opts.reason && ev.message === message);
  if (same) {
    return store.update<KubeEvent>({ ...same, count: (same.count ?? 1) + 1, lastTimestamp: ts });
  }
  const component = opts.component ?? 'inferd';
  const created = store.create<KubeEvent>({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: eventName(ref.name, nowMs), namespace: eventNamespace(ref) },
    involvedObject: ref,
    reason: opts.reason,
    message,
    source: { component },
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
    type: opts.type,
    reportingComponent: component,
  });
  const excess = existing.length + 1 - MAX_EVENTS_PER_OBJECT;
  for (const old of existing.slice(0, Math.max(0, excess))) {
    store.delete({ kind: 'Event', namespace: old.metadata.namespace, name: old.metadata.name });
  }
  return created;
}
