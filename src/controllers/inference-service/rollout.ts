// One revision's rollout: download its model (retrying with back-off), then hand it to the controller to
// start its replica. Download progress and failures are recorded on the service's observed state (progress
// at most once per PROGRESS_STATUS_INTERVAL_MS). Time and timers come from an injected Clock (../clock.ts).

import type { InferenceService } from '../../api/types.js';
import { isInferdError, messageOf } from '../../errors.js';
import { redactUri } from '../../storage/redact-uri.js';
import { type Clock, isoSeconds, type Timer } from '../clock.js';
import type { DownloadProgress, ObservedPredictor } from './observed.js';
import { isMultiModel, storageUriOf } from './plan.js';

/** Downloads a model; the storage initializer, injected so the controller never does I/O decisions itself. */
export type ModelFetcher = (opts: {
  isvc: InferenceService;
  storageUri: string;
  signal: AbortSignal;
  /** Bytes, rate and ETA as the download goes (the controller throttles what reaches the status). */
  onProgress?: (p: DownloadProgress) => void;
  /** A transient failure the fetcher is about to retry: shown in the status at once, not after the last try. */
  onRetry?: (failure: { reason: string; message: string; attempt: number; waitMs: number }) => void;
}) => Promise<{ modelDir: string }>;

/** Download progress reaches the stored status at most this often (each write bumps resourceVersion). */
export const PROGRESS_STATUS_INTERVAL_MS = 1_000;
/** First wait before fetching again after a failed download; doubled after each failure... */
export const DEFAULT_RETRY_BACKOFF_MS = 5_000;
/** ...up to this. */
export const DEFAULT_RETRY_BACKOFF_MAX_MS = 60_000;

/** The wait before the download's next attempt after `attempts` failed ones (≥ 1). */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** (attempts - 1), maxMs);
}

export interface RolloutOptions {
  isvc: InferenceService;
  revision: string;
  generation: number;
  fetchModel: ModelFetcher;
  clock: Clock;
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  /** The service's observed state now: the rollout records download progress, failures and completion on it. */
  observed(): ObservedPredictor | undefined;
  /** The service's spec now: a retry fetches what the spec says then; undefined once it is deleted. */
  current(): InferenceService | undefined;
  /** The model is on disk: start the revision's replica. */
  startReplica(isvc: InferenceService, modelDir: string): void;
  event(isvc: InferenceService, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** The observed state changed: reconcile the service. */
  changed(): void;
}

export class Rollout {
  readonly generation: number;
  readonly revision: string;
  /** Fetches started so far. */
  attempts = 0;
  private readonly abort = new AbortController();
  private retryTimer: Timer | undefined;
  /** Throttled progress: the latest report, when it last reached the observed state, the trailing write. */
  private pendingProgress: DownloadProgress | undefined;
  private progressShownAt: number | undefined;
  private progressTimer: Timer | undefined;

  constructor(private readonly opts: RolloutOptions) {
    this.generation = opts.generation;
    this.revision = opts.revision;
  }

  start(): void {
    void this.fetchAndStart(this.opts.isvc);
  }

  /** Aborts the download and any pending retry; nothing this rollout does afterwards is recorded. */
  cancel(): void {
    this.abort.abort();
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.clearProgressTimer();
  }

  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  private async fetchAndStart(isvc: InferenceService): Promise<void> {
    const { opts } = this;
    try {
      const storageUri = storageUriOf(isvc);
      // A multi-model server starts with no model (its TrainedModels are fetched one by one), a custom container
      // may have none; any other spec without storage was made Failed by the plan: final.
      const custom = !isvc.spec?.predictor?.model && (isvc.spec?.predictor?.containers?.length ?? 0) > 0;
      if (storageUri === undefined && !custom && !isMultiModel(isvc)) return;
      this.attempts += 1;
      if (storageUri !== undefined && this.attempts === 1) {
        opts.event(
          isvc,
          'Normal',
          'Downloading',
          `revision ${this.revision}: fetching the model from ${redactUri(storageUri)}`,
        );
      }
      const fetchModel: ModelFetcher = storageUri === undefined ? async () => ({ modelDir: '' }) : opts.fetchModel;
      const { modelDir } = await fetchModel({
        isvc,
        storageUri: storageUri ?? '',
        signal: this.abort.signal,
        onProgress: (p) => {
          if (!this.cancelled) this.noteProgress(p);
        },
        onRetry: (f) => {
          if (this.cancelled) return;
          const o = opts.observed();
          if (!o || o.phase !== 'Downloading') return;
          // Reports from before the failure must not clear it (only new bytes do).
          this.pendingProgress = undefined;
          this.clearProgressTimer();
          // Still Downloading (Ready=Unknown), but the reason the user must act on is visible now.
          const message = `${f.message}; retrying in ${Math.max(1, Math.round(f.waitMs / 1000))}s (attempt ${f.attempt + 1})`;
          o.failure = { reason: f.reason, message, time: isoSeconds(opts.clock.now()) };
          opts.event(isvc, 'Warning', f.reason, message);
          opts.changed();
        },
      });
      if (this.cancelled) return;
      this.clearProgressTimer();
      const o = opts.observed();
      if (o) {
        o.phase = 'Loading';
        o.failure = undefined;
        o.progress = undefined;
      }
      opts.startReplica(isvc, modelDir);
      opts.changed();
    } catch (err) {
      if (this.cancelled) return;
      const reason =
        isInferdError(err) && typeof err.details.reason === 'string' ? err.details.reason : 'StorageFailed';
      const o = opts.observed();
      if (o) {
        o.phase = 'Failed';
        o.failure = { reason, message: messageOf(err), time: isoSeconds(opts.clock.now()) };
      }
      opts.event(isvc, 'Warning', reason, messageOf(err));
      const delay = retryDelayMs(
        this.attempts,
        opts.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS,
        opts.retryBackoffMaxMs ?? DEFAULT_RETRY_BACKOFF_MAX_MS,
      );
      this.retryTimer = opts.clock.setTimer(() => {
        this.retryTimer = undefined;
        if (this.cancelled) return;
        const fresh = opts.current();
        if (fresh) void this.fetchAndStart(fresh);
      }, delay);
      opts.changed();
    }
  }

  /**
   * Keeps the latest progress report; it reaches the observed state (and so the stored status) at most once
   * per PROGRESS_STATUS_INTERVAL_MS, with a trailing update so the last report before a pause is shown.
   */
  private noteProgress(p: DownloadProgress): void {
    this.pendingProgress = p;
    const now = this.opts.clock.now();
    const since = now - (this.progressShownAt ?? Number.NEGATIVE_INFINITY);
    if (since >= PROGRESS_STATUS_INTERVAL_MS) {
      this.showProgress(now);
      return;
    }
    if (this.progressTimer) return;
    this.progressTimer = this.opts.clock.setTimer(() => {
      this.progressTimer = undefined;
      if (!this.cancelled) this.showProgress(this.opts.clock.now());
    }, PROGRESS_STATUS_INTERVAL_MS - since);
  }

  private showProgress(now: number): void {
    const o = this.opts.observed();
    const p = this.pendingProgress;
    this.pendingProgress = undefined;
    if (!o || !p || o.phase !== 'Downloading') return;
    this.progressShownAt = now;
    o.progress = p;
    // Bytes arriving again after a retried failure: the download is healthy, the failure is history.
    o.failure = undefined;
    this.opts.changed();
  }

  private clearProgressTimer(): void {
    this.progressTimer?.cancel();
    this.progressTimer = undefined;
  }
}
