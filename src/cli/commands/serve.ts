// `inferd serve`: one process with the embedded store, the control API, the controllers and the gateway on
// one port. Replicas are child processes. Stops cleanly on SIGINT/SIGTERM; a kill -9 loses nothing stored.

import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admit } from '../../api/admission.js';
import { BUILTIN_CLUSTER_SERVING_RUNTIMES, withBuiltinRuntimes } from '../../api/serving-runtimes.js';
import type { InferenceService, Resource, ServingRuntime } from '../../api/types.js';
import { createApiServer } from '../../apiserver/api-server.js';
import { loadServeConfig, SERVE_USAGE, type ServeConfig } from '../../config.js';
import { EndpointTable } from '../../controllers/endpoints.js';
import { InferenceServiceController } from '../../controllers/inference-service/controller.js';
import { createLogsEndpoint } from '../../controllers/logs-endpoint.js';
import { ReplicaManager } from '../../controllers/replicas/replica-manager.js';
import { InferdError, messageOf } from '../../errors.js';
import { createGateway } from '../../gateway/gateway.js';
import { createLogger, type Logger } from '../../log.js';
import { defaultRuntimes } from '../../runtimes/registry.js';
import { resolveStorageCredentials } from '../../storage/credentials.js';
import { initializeModel } from '../../storage/initializer.js';
import { recordEvent } from '../../store/events.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/store.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Package root: dist/src/cli/commands → four levels up. */
export const packageRoot = resolve(here, '..', '..', '..', '..');
const replicaEntry = resolve(here, '..', '..', 'server', 'main.js');

export interface RunningServer {
  port: number;
  store: Store;
  close(): Promise<void>;
}

export async function startServer(config: Readonly<ServeConfig>, log: Logger): Promise<RunningServer> {
  mkdirSync(config.stateDir, { recursive: true });
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

  const endpoints = new EndpointTable();
  const replicas = new ReplicaManager({
    entry: replicaEntry,
    logDir: join(config.stateDir, 'logs'),
    log: log.child({ component: 'replicas' }),
    restartBackoffMs: config.restartBackoffMs,
    restartBackoffMaxMs: config.restartBackoffMaxMs,
  });
  const controller = new InferenceServiceController({
    store,
    replicas,
    endpoints,
    log: log.child({ component: 'controller' }),
    domain: config.domain,
    replicaEnv: config.replicaEnv,
    recordEvent: (isvc, type, reason, message) => recordEvent(store, { involved: isvc, type, reason, message }),
    fetchModel: async ({ isvc, storageUri, signal }) => {
      const buf = replicas.logsFor(`${isvc.metadata.namespace}/${isvc.metadata.name}`);
      buf.append(
        JSON.stringify({
          time: new Date().toISOString(),
          level: 'info',
          msg: 'storage initializer: fetching model',
          storageUri,
        }),
      );
      const predictor = isvc.spec?.predictor;
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
        log: log.child({ component: 'storage', isvc: `${isvc.metadata.namespace}/${isvc.metadata.name}` }),
        signal,
      });
      buf.append(
        JSON.stringify({
          time: new Date().toISOString(),
          level: 'info',
          msg: 'storage initializer: model ready',
          modelDir: out.modelDir,
          cached: out.cached,
        }),
      );
      return out;
    },
  });
  const apiServer = createApiServer({ store, log: log.child({ component: 'apiserver' }), admit: admitWithContext });
  const logsEndpoint = createLogsEndpoint(
    replicas,
    (ns, name) => store.get({ kind: 'InferenceService', namespace: ns, name }) !== undefined,
  );
  const gateway = createGateway({
    endpoints,
    controlPlane: [logsEndpoint, apiServer],
    domain: config.domain,
    holdTimeoutMs: config.holdTimeoutMs,
    log: log.child({ component: 'gateway' }),
  });

  await new Promise<void>((ok, fail) => {
    gateway.server.once('error', fail);
    gateway.server.listen(config.port, config.host, () => ok());
  });
  const address = gateway.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  controller.start();
  if (config.demo) applyDemo(store, admitWithContext, log);

  return {
    port,
    store,
    async close() {
      apiServer.close(); // ends open watch streams, which would keep connections alive
      gateway.close();
      await controller.stop();
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
  const log = createLogger({ level: config.logLevel });
  let running: RunningServer;
  try {
    running = await startServer(config, log);
  } catch (err) {
    process.stderr.write(`error: ${messageOf(err)}\n`);
    return 1;
  }
  const shownHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  process.stdout.write(`inferd listening on http://${shownHost}:${running.port} (state: ${config.stateDir})\n`);
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
