// initializeModel: KServe's storage initializer as a function. It turns a storageUri into a local directory
// holding the model (KServe's /mnt/models), downloading into the cache when the URI is remote.

import { join, sep } from 'node:path';
import { isInferdError, messageOf } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { evictLru, pruneStaleTemp, touchEntry } from './cache.js';
import { credentialScope } from './credentials.js';
import type { EgressPolicy } from './egress.js';
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
  maxBytes: 4 * 1024 * 1024 * 1024, // 4 GiB per model (downloaded, and again unpacked): a bound on one disk fill
  maxRatio: 100, // an archive may unpack to 100× its size ...
  ratioFloorBytes: 32 * 1024 * 1024, // ... or 32 MiB, whichever is more (small archives of sparse arrays)
  cacheMaxBytes: 16 * 1024 * 1024 * 1024, // 16 GiB of cached models, least recently used evicted first
  cacheGraceMs: 10 * 60 * 1000, // an entry used in the last 10 minutes is never evicted
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
  /** Bytes a model may download or unpack to (default 4 GiB). */
  maxBytes?: number;
  /** Archives unpack to at most max(ratioFloorBytes, maxRatio × archive size); 0 turns the ratio cap off. */
  maxRatio?: number;
  ratioFloorBytes?: number;
  /** Budget of the whole cache (entries/); least recently used entries not in use are evicted past it. */
  cacheMaxBytes?: number;
  /** Entries used more recently than this are never evicted (default 10 minutes). */
  cacheGraceMs?: number;
  /**
   * Who uses the model: its entry is kept from eviction while `live()` says so (a service that still
   * exists). The latest model of an owner id replaces its earlier one.
   */
  owner?: { id: string; live: () => boolean };
  /** Where storage requests may connect (SSRF guard); default refuses link-local/metadata addresses. */
  egress?: EgressPolicy;
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

// One download per URI and credentials scope at a time in this process (the cache's temp-then-rename guards
// across processes). Callers with other credentials or another endpoint never join a download.
const flights = new SingleFlight<InitializeResult>();

// Models in use, per owner: never evicted while the owner is live.
const pins = new Map<string, { modelDir: string; live: () => boolean }>();
let evicting: Promise<unknown> = Promise.resolve();

/** Cache entries in use by live owners (for eviction and tests). */
export function modelsInUse(): Set<string> {
  const out = new Set<string>();
  for (const [id, p] of pins) {
    if (p.live()) out.add(p.modelDir);
    else pins.delete(id);
  }
  return out;
}

/** Forgets an owner's model (its entry becomes evictable). */
export function releaseModel(ownerId: string): void {
  pins.delete(ownerId);
}

/** Evicts least recently used entries beyond the budget; one eviction at a time per process. */
export function enforceCacheBudget(
  cacheDir: string,
  maxBytes: number,
  log: Logger,
  graceMs = STORAGE_DEFAULTS.cacheGraceMs,
) {
  const run = evicting.then(() => evictLru(cacheDir, { maxBytes, keep: modelsInUse(), graceMs, log }));
  evicting = run.catch(() => {});
  return run;
}

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
    const credentials = opts.credentials ?? {};
    const scope = credentialScope(scheme, uri, credentials);
    const result = await flights.run(`${opts.cacheDir}\0${scope}\0${uri}`, controller.signal, async (signal) => {
      const ctx: DownloadContext = {
        uri,
        cacheDir: opts.cacheDir,
        pvcRoots: opts.pvcRoots ?? {},
        pvcDefaultRoot: opts.pvcDefaultRoot,
        credentials,
        log,
        signal,
        maxBytes: opts.maxBytes ?? STORAGE_DEFAULTS.maxBytes,
        maxRatio: opts.maxRatio ?? STORAGE_DEFAULTS.maxRatio,
        ratioFloorBytes: opts.ratioFloorBytes ?? STORAGE_DEFAULTS.ratioFloorBytes,
        egress: opts.egress ?? {},
        scope,
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
    const inCache = result.modelDir.startsWith(join(opts.cacheDir, 'entries') + sep);
    if (inCache) {
      if (opts.owner) pins.set(opts.owner.id, { modelDir: result.modelDir, live: opts.owner.live });
      await touchEntry(result.modelDir);
      const budget = opts.cacheMaxBytes ?? STORAGE_DEFAULTS.cacheMaxBytes;
      const ev = await enforceCacheBudget(opts.cacheDir, budget, log, opts.cacheGraceMs).catch((err: unknown) => {
        log.warn('storage: cache eviction failed', { error: messageOf(err) });
        return undefined;
      });
      if (ev?.overBudget) {
        log.warn('storage: cache is over its budget; every remaining entry is in use', {
          bytes: ev.bytes,
          cacheMaxBytes: budget,
        });
      }
    }
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
