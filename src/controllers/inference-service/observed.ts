// What the controller knows about one InferenceService's predictor right now (not stored: rebuilt on start).

import type { TrafficTarget } from '../../api/types.js';

export type PredictorPhase = 'Pending' | 'Downloading' | 'Loading' | 'Ready' | 'Failed' | 'Restarting';

export interface Failure {
  reason: string;
  message: string;
  exitCode?: number | null;
  time: string;
}

export interface ObservedPredictor {
  /** Latest created revision (a new one when the revision template changes). */
  revision: string;
  generation: number;
  phase: PredictorPhase;
  /** The latest Ready revision (Knative's latestReadyRevision; older than `revision` while a rollout is pending or failing). */
  servingRevision?: string;
  failure?: Failure;
  /** The last replica termination (OOMKilled, crash, load timeout), kept after the restart is Ready, as a Pod's lastState. */
  lastTermination?: Failure;
  restarts: number;
  /** Storage download progress while Downloading (the controller updates it at most once a second). */
  progress?: DownloadProgress;
  /**
   * Resumed after an inferd restart with a stored status already Ready for this revision: no status is
   * written until the replica is Ready or fails (a restart does not flap the status through Loading).
   */
  resuming?: boolean;
  /** KServe's latestRolledoutRevision / previousRolledoutRevision (from the stored status after a restart). */
  latestRolledout?: string;
  previousRolledout?: string;
  /** status.components.predictor.traffic as last planned (events are the changes to it). */
  traffic?: TrafficTarget[];
  /** Replicas wanted and Ready, over the revisions that take traffic (status and `get isvc -o wide`). */
  desiredReplicas?: number;
  readyReplicas?: number;
}

/** Bytes so far, the expected total when the storage says it, rate and ETA (as the storage initializer reports them). */
export interface DownloadProgress {
  bytes: number;
  totalBytes?: number;
  rateBytesPerSec?: number;
  etaSec?: number;
}

/** Knative-style revision names: `{name}-predictor-00001`, numbered in order of creation. */
export function revisionName(name: string, number: number): string {
  return `${name}-predictor-${String(number).padStart(5, '0')}`;
}
