// `inferd serve`: one process with the embedded store, the control API, the controllers and the gateway on
// one port. Replicas are child processes. Stops cleanly on SIGINT/SIGTERM; a kill -9 loses nothing stored.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admit } from '../../api/admission.js';
import { BUILTIN_CLUSTER_SERVING_RUNTIMES, withBuiltinRuntimes } from '../../api/serving-runtimes.js';
import type { InferenceService, Resource, ServingRuntime } from '../../api/types.js';
import { createApiServer } from '../../apiserver/api-server.js';
import { type AccessPolicy, accessProblem, listenAddressesFor } from '../../apiserver/request-guard.js';
import { sendJson } from '../../apiserver/respond.js';
import { failure } from '../../apiserver/status-errors.js';
import { createServeAuth } from '../../auth/serve-auth.js';
import { loadServeConfig, SERVE_USAGE, type ServeConfig } from '../../config.js';
import { EndpointTable } from '../../controllers/endpoints.js';
import { InferenceServiceController } from '../../controllers/inference-service/controller.js';
import type { DownloadProgress } from '../../controllers/inference-service/observed.js';
import { describeProgress, formatBytes } from '../../controllers/inference-service/status.js';
import { createLogsEndpoint } from '../../controllers/logs-endpoint.js';
import { ReplicaManager } from '../../controllers/replicas/replica-manager.js';
import { InferdError, isInferdError, messageOf } from '../../errors.js';
import { createGateway } from '../../gateway/gateway.js';
import { createLogger, type Logger } from '../../log.js';
import { defaultRuntimes } from '../../runtimes/registry.js';
import { resolveStorageCredentials } from '../../storage/credentials.js';
import { initializeModel } from '../../storage/initializer.js';
import { redactUri } from '../../storage/redact-uri.js';
import { recordEvent } from '../../store/events.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/store.js';
import { ProgressLine } from '../progress-line.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Package root: dist/src/cli/commands → four levels up. */
export const packageRoot = resolve(here, '..', '..', '..', '..');
const replicaEntry = resolve(here, '..', '..', 'server', 'main.js');

export interface RunningServer {
  port: number;
  store: Store;
  close(): Promise<void>;
}

export interface ServeUi {
  /** The terminal's live line for download progress (only when stderr is a TTY). */
  progressLine?: ProgressLine;
}

export async function startServer(
  config: Readonly<ServeConfig>,
  log: Logger,
  ui: ServeUi = {},
): Promise<RunningServer> {
  const store = SqliteStore.open({ stateDir: config.stateDir, log: log.child({ component: 'store' }) });
  // KServe installs its ClusterServingRuntimes with the operator; inferd stores them on first start so that
  // `inferd get clusterservingruntimes` lists them. A user's edits to them are kept.
  for (const rt of BUILTIN_CLUSTER_SERVING_RUNTIMES) {
    if (!store.get({ kind: 'ClusterServingRuntime', name: rt.metadata.name })) store.create(structuredClone(rt));
  }
  const servedFormats = [...new Set(defaultRuntimes().flatMap((r) => r.formats))];
  // Namespace ServingRuntimes first, then ClusterServingRuntimes (stored ones replace built-ins of the same name).
  const runtimesFor = (namespace: string | undefined): ServingRuntime[] =>
    withBuiltinRuntimes([
      ...store.list<ServingRuntime>({ kind: 'ServingRuntime', namespace: namespace ?? 'default' }).items,
      ...store.list<ServingRuntime>({ kind: 'ClusterServingRuntime' }).items,
    ]);
  const admitWithContext = (obj: Resource, op: 'CREATE' | 'UPDATE', old: Resource | undefined) =>
    admit(obj, op, old, { runtimes: runtimesFor(obj.metadata?.namespace), servedFormats });

  // set once the gateway listens; storage refuses to fetch from it
  let listeningPort = 0;
  const endpoints = new EndpointTable();
  const replicas = new ReplicaManager({
    entry: replicaEntry,
    logDir: join(config.stateDir, 'logs'),
    log: log.child({ component: 'replicas' }),
    restartBackoffMs: config.restartBackoffMs,
    restartBackoffMaxMs: config.restartBackoffMaxMs,
    standbyReplicas: config.standbyReplicas,
    // A replica's whole environment is built here, never `process.env` plus extras (docs/security.md).
    standbyEnv: { ...config.processEnv, ...config.replicaEnv },
    modelsPerReplica: config.modelsPerReplica,
  });
  const controller = new InferenceServiceController({
    store,
    replicas,
    endpoints,
    log: log.child({ component: 'controller' }),
    domain: config.domain,
    replicaEnv: { ...config.processEnv, ...config.replicaEnv },
    maxBodyBytes: config.maxBodyBytes,
    loadTimeoutMs: config.loadTimeoutMs,
    recordEvent: (isvc, type, reason, message) => recordEvent(store, { involved: isvc, type, reason, message }),
    fetchModel: async ({ isvc, storageUri, signal, onProgress, onRetry }) => {
      const key = `${isvc.metadata.namespace}/${isvc.metadata.name}`;
      // The storage initializer's lines go into the service's log buffer, as KServe's init container logs do.
      const buf = replicas.logsFor(key);
      const logLine = (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) =>
        buf.append(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
      logLine('info', 'storage initializer: fetching model', { storageUri: redactUri(storageUri) });
      const predictor = isvc.spec?.predictor;
      const shouldLog = progressLogThrottle();
      const started = Date.now();
      let last: DownloadProgress | undefined;
      try {
        const credentials = resolveStorageCredentials(store, {
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
            ownPorts: () => (listeningPort ? [listeningPort] : []),
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
            last = p;
            onProgress?.(p);
            ui.progressLine?.update(key, `downloading model: ${describeProgress(p)}`);
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
        ui.progressLine?.done(
          key,
          last
            ? `${key}: downloaded ${formatBytes(last.bytes)} in ${((Date.now() - started) / 1000).toFixed(1)}s`
            : undefined,
        );
        return out;
      } catch (err) {
        ui.progressLine?.done(key);
        const reason = isInferdError(err) ? err.details.reason : undefined;
        logLine('warn', 'storage initializer: failed', { reason, error: messageOf(err) });
        throw err;
      }
    },
  });
  const access: AccessPolicy = {
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
    listenAddresses: listenAddressesFor(config.host),
  };
  const apiServer = createApiServer({
    store,
    log: log.child({ component: 'apiserver' }),
    admit: admitWithContext,
    access,
    notReady: () => (controller.running ? undefined : 'the InferenceService controller is not running'),
  });
  const logsEndpoint = createLogsEndpoint(
    replicas,
    (ns, name) => store.get({ kind: 'InferenceService', namespace: ns, name }) !== undefined,
  );
  // The logs route is the control API's too: the same Host/Origin checks before it.
  const guardedLogs = {
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      if (!(req.url ?? '').split('?')[0]!.endsWith('/log')) return false;
      const refused = accessProblem(req, access);
      if (!refused) return logsEndpoint.handle(req, res);
      sendJson(res, 403, failure(403, 'Forbidden', refused.message));
      return true;
    },
  };
  const auth = createServeAuth({
    stateDir: config.stateDir,
    required: config.auth,
    store,
    access,
    log: log.child({ component: 'auth' }),
  });
  const gateway = createGateway({
    endpoints,
    auth: auth.gate,
    controlPlane: [...auth.controlPlane, guardedLogs, apiServer],
    domain: config.domain,
    holdTimeoutMs: config.holdTimeoutMs,
    log: log.child({ component: 'gateway' }),
    proxy: { maxBodyBytes: config.maxBodyBytes, bodyTimeoutMs: config.bodyTimeoutMs },
    allowRepositoryApi: config.allowRepositoryApi,
  });

  await new Promise<void>((ok, fail) => {
    gateway.server.once('error', fail);
    gateway.server.listen(config.port, config.host, () => ok());
  });
  const address = gateway.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  listeningPort = port;
  controller.start();
  if (config.demo) applyDemo(store, admitWithContext, log);
  // After listening: a standby never delays serve's start (the demo's replica may take the first one).
  replicas.startStandby();

  return {
    port,
    store,
    async close() {
      apiServer.close(); // ends open watch streams, which would keep connections alive
      gateway.close();
      await controller.stop();
      auth.close();
      store.close();
    },
  };
}

/** The bundled sklearn-iris model in namespace default (npm start); left alone if the user changed it. */
function applyDemo(
  store: Store,
  admitFn: (obj: Resource, op: 'CREATE' | 'UPDATE', old: Resource | undefined) => Resource,
  log: Logger,
): void {
  if (store.get({ kind: 'InferenceService', namespace: 'default', name: 'sklearn-iris' })) return;
  const isvc: InferenceService = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'sklearn-iris', namespace: 'default', annotations: { 'inferd.dev/demo': 'true' } },
    spec: {
      predictor: {
        model: {
          modelFormat: { name: 'sklearn' },
          storageUri: join(packageRoot, 'models', 'sklearn-iris', 'model.joblib'),
        },
      },
    },
  };
  store.create(admitFn(isvc, 'CREATE', undefined));
  log.info('demo InferenceService default/sklearn-iris created');
}

export async function runServe(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  let config: Readonly<ServeConfig>;
  try {
    config = loadServeConfig(argv, process.env);
  } catch (err) {
    process.stderr.write(
      `error: ${messageOf(err)}\n${err instanceof InferdError ? '' : '\n'}See 'inferd serve --help'.\n`,
    );
    return 2;
  }
  // A terminal gets a live download line; log records are written above it. Pipes and files get neither.
  const progressLine = process.stderr.isTTY ? new ProgressLine(process.stderr) : undefined;
  const log = createLogger({
    level: config.logLevel,
    write: progressLine ? (line) => progressLine.write(line) : undefined,
  });
  let running: RunningServer;
  try {
    running = await startServer(config, log, { progressLine });
  } catch (err) {
    process.stderr.write(`error: ${messageOf(err)}\n`);
    return 1;
  }
  if (config.anonymousOnNetwork) {
    process.stderr.write(
      `warning: --insecure-allow-anonymous: ${config.host}:${running.port} is open to the network without authentication; anyone who reaches it can apply, delete and call everything\n`,
    );
  }
  const shownHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  process.stdout.write(
    `inferd listening on http://${shownHost}:${running.port} (state: ${config.stateDir}${config.auth ? ', auth: on' : ''})\n`,
  );
  return new Promise<number>((resolveExit) => {
    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      log.info('shutting down', { signal });
      running.close().then(
        () => resolveExit(0),
        (err) => {
          log.error('shutdown failed', { error: messageOf(err) });
          resolveExit(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
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
