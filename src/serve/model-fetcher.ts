// The storage-initializer glue: what the controller's `fetchModel` does in `inferd serve`. Resolves the
// service's storage credentials, downloads into the cache, and reports as KServe's init container would: its
// lines go into the service's log buffer (`inferd logs`, throttled), and a terminal gets a live progress line.

import { join } from 'node:path';
import type { ServeConfig } from '../config.js';
import type { ModelFetcher } from '../controllers/inference-service/controller.js';
import type { DownloadProgress } from '../controllers/inference-service/observed.js';
import { describeProgress, formatBytes } from '../controllers/inference-service/status.js';
import { isInferdError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { type CredentialLookup, resolveStorageCredentials } from '../storage/credentials.js';
import { initializeModel } from '../storage/initializer.js';
import { redactUri } from '../storage/redact-uri.js';
import type { Store } from '../store/store.js';
import type { DownloadMetrics } from './download-metrics.js';

/** The terminal's live line for download progress (cli/progress-line.ts's ProgressLine fits it). */
export interface ProgressSink {
  update(task: string, text: string): void;
  done(task: string, finalText?: string): void;
}

export interface ModelFetcherDeps {
  store: Store;
  config: Readonly<ServeConfig>;
  log: Logger;
  /** The service's log buffer (`inferd logs`), by `namespace/name`. */
  logsFor(key: string): { append(line: string): void };
  /** The gateway's port once it listens (0 before): storage refuses to fetch from it. */
  ownPort(): number;
  progressLine?: ProgressSink;
  /** Bytes fetched and downloads ended, per service (`inferd_storage_download_bytes_total`). */
  metrics?: DownloadMetrics;
}

export function createModelFetcher(deps: ModelFetcherDeps): ModelFetcher {
  const { store, config, log, progressLine, metrics } = deps;
  // Credentials come from the stored Secrets and ServiceAccounts (storage/ itself knows no store).
  const lookup = ((kind: 'Secret' | 'ServiceAccount', namespace: string, name: string) =>
    store.get({ kind, namespace, name })) as CredentialLookup;
  return async ({ isvc, storageUri, signal, onProgress, onRetry }) => {
    const key = `${isvc.metadata.namespace}/${isvc.metadata.name}`;
    // The storage initializer's lines go into the service's log buffer, as KServe's init container logs do.
    const buf = deps.logsFor(key);
    const logLine = (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) =>
      buf.append(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
    logLine('info', 'storage initializer: fetching model', { storageUri: redactUri(storageUri) });
    const predictor = isvc.spec?.predictor;
    const shouldLog = progressLogThrottle();
    const started = Date.now();
    let last: DownloadProgress | undefined;
    try {
      const credentials = resolveStorageCredentials(lookup, {
        namespace: isvc.metadata.namespace ?? 'default',
        serviceAccountName: predictor?.serviceAccountName,
        storage: predictor?.model?.storage,
        env: config.storageEnv,
        log: log.child({ component: 'storage' }),
      });
      const out = await initializeModel({
        storageUri: credentials.storageUri ?? storageUri,
        credentials,
        cacheDir: join(config.stateDir, 'cache'),
        pvcRoots: config.pvcRoots,
        pvcDefaultRoot: config.pvcRoot,
        log: log.child({ component: 'storage', isvc: key }),
        signal,
        maxBytes: config.storageMaxBytes,
        maxRatio: config.storageMaxRatio,
        cacheMaxBytes: config.cacheMaxBytes,
        timeoutMs: config.storageTimeoutMs,
        // the SSRF guard: never inferd's own port (the control API serves Secrets), nor metadata addresses
        egress: {
          ownPorts: () => {
            const port = deps.ownPort();
            return port ? [port] : [];
          },
          allowInternal: config.storageAllowInternal,
        },
        // the model's cache entry stays while the service exists (LRU eviction skips it)
        owner: {
          id: `${key}\0${storageUri}`,
          live: () =>
            store.get({ kind: 'InferenceService', namespace: isvc.metadata.namespace, name: isvc.metadata.name }) !==
            undefined,
        },
        onProgress: (p) => {
          if (p.bytes === 0) return; // a cache hit reports nothing downloaded: not progress
          // Progress is cumulative per attempt: a retry starts again from fewer bytes.
          metrics?.fetched(key, last === undefined || p.bytes < last.bytes ? p.bytes : p.bytes - last.bytes);
          last = p;
          onProgress?.(p);
          progressLine?.update(key, `downloading model: ${describeProgress(p)}`);
          if (shouldLog(p, Date.now())) {
            logLine('info', 'storage initializer: downloading', { ...p, progress: describeProgress(p) });
          }
        },
        onRetry: (r) => {
          onRetry?.(r);
          logLine('warn', 'storage initializer: retrying', { ...r });
        },
      });
      logLine('info', 'storage initializer: model ready', {
        modelDir: out.modelDir,
        cached: out.cached,
        bytes: last?.bytes ?? 0,
        ms: Date.now() - started,
      });
      metrics?.finished(key, 'ok');
      progressLine?.done(
        key,
        last
          ? `${key}: downloaded ${formatBytes(last.bytes)} in ${((Date.now() - started) / 1000).toFixed(1)}s`
          : undefined,
      );
      return out;
    } catch (err) {
      progressLine?.done(key);
      metrics?.finished(key, 'failed');
      const reason = isInferdError(err) ? err.details.reason : undefined;
      logLine('warn', 'storage initializer: failed', { reason, error: messageOf(err) });
      throw err;
    }
  };
}

/**
 * Which progress reports become `inferd logs` lines: at most one a second, and then only after another 10% of
 * a known total or 10 s since the last line; the first report and the last (complete) one always.
 */
export function progressLogThrottle(): (p: DownloadProgress, nowMs: number) => boolean {
  let lastAt: number | undefined;
  let lastTenth = -1;
  return (p, nowMs) => {
    const complete = p.totalBytes !== undefined && p.bytes >= p.totalBytes;
    const tenth = p.totalBytes ? Math.floor((10 * p.bytes) / p.totalBytes) : -1;
    const due =
      lastAt === undefined || complete || (nowMs - lastAt >= 1_000 && (tenth > lastTenth || nowMs - lastAt >= 10_000));
    if (!due || (complete && lastTenth >= 10)) return false;
    lastAt = nowMs;
    lastTenth = tenth;
    return true;
  };
}
