// How a model-server process (a replica, a model host, `inferd run`) stops on SIGTERM/SIGINT (and, when forked,
// when its parent goes away): close within the deadline, then exit 0 whatever happened; a close that hangs is cut
// off by the deadline.

import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';

export const STOP_DEADLINE_MS = 5_000;

export interface GracefulStop {
  log: Logger;
  /** `model server stopping`, `model host stopping`: the log line that says why. */
  stoppingMessage: string;
  /** Closes with this much grace (1 s under the deadline). */
  close(graceMs: number): Promise<void>;
  /** Logged when close() fails; omitted: the failure exits silently. */
  closeFailedMessage?: string;
  /** Also stop when the parent's IPC channel closes (forked replicas and hosts). */
  onParentDisconnect?: boolean;
}

export function stopOnSignals(opts: GracefulStop): void {
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    opts.log.info(opts.stoppingMessage, { reason: why });
    setTimeout(() => process.exit(0), STOP_DEADLINE_MS).unref();
    opts.close(STOP_DEADLINE_MS - 1_000).then(
      () => process.exit(0),
      (err) => {
        if (opts.closeFailedMessage) opts.log.error(opts.closeFailedMessage, { error: messageOf(err) });
        process.exit(0);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Forked by inferd: when the parent goes away, so do we (no orphan replicas holding ports).
  if (opts.onParentDisconnect && typeof process.send === 'function') {
    process.on('disconnect', () => stop('parent disconnected'));
  }
}
