// initializeModel: KServe's storage initializer as a function. It turns a storageUri into a local directory
// holding the model (KServe's /mnt/models), downloading into the cache when the URI is remote.

import { isInferdError, messageOf } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { pruneStaleTemp } from './cache.js';
import { Progress } from './progress.js';
import { redactUri } from './redact-uri.js';
import { backoffMs, isRetryable, sleep } from './retry.js';
import { gcsDownloader } from './schemes/gcs.js';
import { httpDownloader } from './schemes/http.js';
import { fileDownloader, localDownloader } from './schemes/local.js';
import { pvcDownloader } from './schemes/pvc.js';
import { s3Downloader } from './schemes/s3.js';
import { unsupported } from './schemes/unsupported.js';
import { SingleFlight } from './singleflight.js';
import { storageError } from './storage-error.js';
import type { DownloadContext, Downloader, InitializeResult, ProgressInfo, StorageCredentials } from './types.js';

export const STORAGE_DEFAULTS = {
  maxBytes: 64 * 1024 * 1024 * 1024, // 64 GiB, per model (downloaded and unpacked)
  timeoutMs: 60 * 60 * 1000, // 1 hour for the whole initialization
  idleTimeoutMs: 30_000, // 30 s without a byte (KServe's requests timeout)
  maxRedirects: 10,
  retries: 2, // after the first try, for unreachable servers and 5xx/429 (KServe S3_MAX_ATTEMPTS 3)
  retryBaseMs: 500, // back-off 0.5 s, 1 s, ... (±25%)
  progressLogMs: 10_000, // an info log line with bytes/rate/ETA this often during a download
  staleTempMs: 24 * 60 * 60 * 1000, // temp folders of crashed downloads are removed after 1 day
} as const;

export interface InitializeOptions {
  storageUri: string;
  /** Root of the download cache (content-addressed, shared by every model). */
  cacheDir: string;
  /** pvc://{claim}/... → this folder per claim. */
  pvcRoots?: Record<string, string>;
  /** pvc://{claim}/... → {pvcDefaultRoot}/{claim} for claims not in pvcRoots. */
  pvcDefaultRoot?: string;
  credentials?: StorageCredentials;
  log?: Logger;
  signal?: AbortSignal;
  /** Bytes a model may download or unpack to (default 64 GiB). */
  maxBytes?: number;
  /** Time for the whole initialization (default 1 hour); past it: StorageUnreachable. */
  timeoutMs?: number;
  /** Time without progress on one request (default 30 s). */
  idleTimeoutMs?: number;
  maxRedirects?: number;
  /** Further tries after a transient failure (unreachable, 5xx, 429); default 2. */
  retries?: number;
  retryBaseMs?: number;
  onProgress?: (p: ProgressInfo) => void;
  /** Called before each retry after a transient failure (the reason and message are safe to show). */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  /** The failure's reason, e.g. StorageUnreachable. */
  reason: string;
  message: string;
  /** 1 for the first retry. */
  attempt: number;
  waitMs: number;
}

const LOCAL = 'local';

/** Scheme → downloader. Schemes KServe knows but inferd does not implement answer StorageUnsupported. */
export const DOWNLOADERS: Record<string, Downloader> = {
  [LOCAL]: localDownloader,
  file: fileDownloader,
  pvc: pvcDownloader,
  http: httpDownloader,
  https: httpDownloader,
  s3: s3Downloader,
  gs: gcsDownloader,
};

const supportedSchemes = () => Object.keys(DOWNLOADERS).map((s) => (s === LOCAL ? 'local paths' : `${s}://`));
for (const s of ['hdfs', 'webhdfs', 'hf', 'oci', 'oci+native', 'oci+fetch', 'modelscope']) {
  if (!DOWNLOADERS[s]) DOWNLOADERS[s] = unsupported(s, supportedSchemes);
}
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** The scheme of a storageUri; 'local' for plain paths. */
export function schemeOf(uri: string): string {
  return SCHEME.exec(uri)?.[1]?.toLowerCase() ?? LOCAL;
}

// One download per URI at a time in this process (the cache's temp-then-rename guards across processes).
const flights = new SingleFlight<InitializeResult>();

export async function initializeModel(opts: InitializeOptions): Promise<InitializeResult> {
  const uri = opts.storageUri.trim();
  const safe = redactUri(uri);
  if (!uri) throw storageError('InvalidStorageUri', 'storageUri is empty');
  const scheme = schemeOf(uri);
  const downloader = DOWNLOADERS[scheme];
  if (!downloader) {
    throw storageError(
      'StorageUnsupported',
      `Cannot recognize storage type for ${safe}; supported: ${supportedSchemes().join(', ')}`,
      { scheme },
    );
  }
  const log = (opts.log ?? silentLogger).child({ component: 'storage' });
  const timeoutMs = opts.timeoutMs ?? STORAGE_DEFAULTS.timeoutMs;

  // one signal for this call: the caller's abort or the deadline, with a storage error as its reason
  const controller = new AbortController();
  const onAbort = () =>
    controller.abort(storageError('DownloadCancelled', `initialization of ${safe} cancelled`, { uri: safe }));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  const timer = setTimeout(
    () =>
      controller.abort(
        storageError(
          'StorageUnreachable',
          `initialization of ${safe} did not finish within ${timeoutMs} ms (timeoutMs)`,
          {
            uri: safe,
          },
        ),
      ),
    timeoutMs,
  );
  timer.unref();
  const started = Date.now();
  let lastLog = started;
  const progress = new Progress({
    onProgress: (p) => {
      opts.onProgress?.(p);
      if (Date.now() - lastLog >= STORAGE_DEFAULTS.progressLogMs) {
        lastLog = Date.now();
        log.info('storage: downloading', { uri: safe, ...p });
      }
    },
  });
  const pruned = await pruneStaleTemp(opts.cacheDir, STORAGE_DEFAULTS.staleTempMs).catch(() => []);
  if (pruned.length) log.info('storage: removed temp folders of interrupted downloads', { count: pruned.length });
  const retries = opts.retries ?? STORAGE_DEFAULTS.retries;
  const retryBaseMs = opts.retryBaseMs ?? STORAGE_DEFAULTS.retryBaseMs;
  try {
    const result = await flights.run(`${opts.cacheDir}\0${uri}`, controller.signal, async (signal) => {
      const ctx: DownloadContext = {
        uri,
        cacheDir: opts.cacheDir,
        pvcRoots: opts.pvcRoots ?? {},
        pvcDefaultRoot: opts.pvcDefaultRoot,
        credentials: opts.credentials ?? {},
        log,
        signal,
        maxBytes: opts.maxBytes ?? STORAGE_DEFAULTS.maxBytes,
        idleTimeoutMs: opts.idleTimeoutMs ?? STORAGE_DEFAULTS.idleTimeoutMs,
        maxRedirects: opts.maxRedirects ?? STORAGE_DEFAULTS.maxRedirects,
        progress,
      };
      for (let attempt = 0; ; attempt++) {
        try {
          return await downloader.fetch(ctx);
        } catch (err) {
          if (attempt >= retries || !isRetryable(err, signal)) throw err;
          const wait = backoffMs(attempt, retryBaseMs);
          log.warn('storage: retrying after a transient failure', {
            uri: safe,
            attempt: attempt + 1,
            waitMs: wait,
            error: messageOf(err),
          });
          try {
            opts.onRetry?.({
              reason: String((isInferdError(err) && err.details.reason) || 'StorageFailed'),
              message: messageOf(err),
              attempt: attempt + 1,
              waitMs: wait,
            });
          } catch {
            // a failing callback must not change the download's outcome
          }
          await sleep(wait, signal);
          progress.reset();
        }
      }
    });
    progress.done();
    log.info('storage: model ready', {
      uri: safe,
      modelDir: result.modelDir,
      cached: result.cached,
      bytes: progress.bytes,
      ms: Date.now() - started,
    });
    return result;
  } catch (err) {
    const e = isInferdError(err)
      ? err
      : storageError('StorageFailed', `storage initialization of ${safe} failed: ${messageOf(err)}`, { cause: err });
    log.warn('storage: initialization failed', { uri: safe, reason: e.details.reason, error: e.message });
    throw e;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
