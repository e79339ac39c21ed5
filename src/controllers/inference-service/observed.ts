// What the controller knows about one InferenceService's predictor right now (not stored: rebuilt on start).

export type PredictorPhase = 'Pending' | 'Downloading' | 'Loading' | 'Ready' | 'Failed' | 'Restarting';

export interface Failure {
  reason: string;
  message: string;
  exitCode?: number | null;
  time: string;
}

export interface ObservedPredictor {
  /** Latest created revision (follows the spec's generation). */
  revision: string;
  generation: number;
  phase: PredictorPhase;
  /** The revision serving traffic, if any (may be older than `revision` while a rollout is failing). */
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
}

/** Bytes so far, the expected total when the storage says it, rate and ETA (as the storage initializer reports them). */
export interface DownloadProgress {
  bytes: number;
  totalBytes?: number;
  rateBytesPerSec?: number;
  etaSec?: number;
}

/** Knative-style revision names: `{name}-predictor-00001`, numbered by spec generation. */
export function revisionName(name: string, generation: number): string {
  return `${name}-predictor-${String(generation).padStart(5, '0')}`;
}
