// Cell values shared by the server's Tables (apiserver/table.ts) and the CLI's own tables (cli/printers):
// which traffic target is "prev" and "latest" as KServe's printer columns pick them, and when an event happened.

import type { InferenceServiceStatus, TrafficTarget } from './types.js';

type Obj = Record<string, unknown> & { metadata?: { creationTimestamp?: string } };

/** KServe's jsonpath `traffic[?(@.tag=='prev')]`, falling back to the non-latest target when untagged. */
export function previousTarget(status: InferenceServiceStatus | undefined): TrafficTarget | undefined {
  const predictor = status?.components?.predictor;
  const traffic = predictor?.traffic ?? [];
  return (
    traffic.find((t) => t.tag === 'prev') ??
    traffic.find((t) => !t.latestRevision && t.revisionName === predictor?.previousRolledoutRevision) ??
    traffic.find((t) => t.latestRevision === false)
  );
}

/** KServe's jsonpath `traffic[?(@.latestRevision==true)]`. */
export function latestTarget(status: InferenceServiceStatus | undefined): TrafficTarget | undefined {
  return status?.components?.predictor?.traffic?.find((t) => t.latestRevision === true);
}

/** When an event last happened: lastTimestamp, else eventTime, else firstTimestamp, else creation. */
export function eventTime(o: Obj): string | undefined {
  const t = (o.lastTimestamp ?? o.eventTime ?? o.firstTimestamp ?? o.metadata?.creationTimestamp) as string | undefined;
  return t || undefined;
}
