// The process `inferd serve` is (its composition root): the embedded store, the control API, the controllers,
// the model fetcher and the gateway on one port. Replicas are child processes. cli/commands/serve.ts turns
// argv into a ServeConfig and calls startServer; close() stops it cleanly; a kill -9 loses nothing stored.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admit } from '../api/admission.js';
import { BUILTIN_CLUSTER_SERVING_RUNTIMES, withBuiltinRuntimes } from '../api/serving-runtimes.js';
import type { Resource, ServingRuntime } from '../api/types.js';
import { createApiServer } from '../apiserver/api-server.js';
import { type AccessPolicy, accessProblem, listenAddressesFor } from '../apiserver/request-guard.js';
import { sendJson } from '../apiserver/respond.js';
import { failure } from '../apiserver/status-errors.js';
import { identityOf, processPermissionProblem } from '../auth/process-permission.js';
import { createServeAuth } from '../auth/serve-auth.js';
import { isLoopbackHost, type ServeConfig } from '../config.js';
import { KpaAutoscaler } from '../controllers/autoscaler/autoscaler.js';
import { ScaleByClass } from '../controllers/autoscaler/scale-by-class.js';
import type { ScaleSource } from '../controllers/autoscaler/scale-source.js';
import { InferenceServiceController } from '../controllers/inference-service/controller.js';
import { FileRevisionLedger } from '../controllers/inference-service/revisions.js';
import { createLogsEndpoint } from '../controllers/logs-endpoint.js';
import { loadImageMap } from '../controllers/replicas/image-map.js';
import { ProcessUsageReader } from '../controllers/replicas/process-usage.js';
import { ReplicaManager } from '../controllers/replicas/replica-manager.js';
import { TrainedModelController } from '../controllers/trained-model/controller.js';
import { parentFormatsOf } from '../controllers/trained-model/formats.js';
import { AccessLog } from '../gateway/access-log.js';
import { createGateway } from '../gateway/gateway.js';
import { loadTlsMaterial } from '../gateway/tls-accept.js';
import { GraphController } from '../graph/controller.js';
import { GraphHandler } from '../graph/graph-handler.js';
import { GraphMetrics } from '../graph/metrics.js';
import { StepClient } from '../graph/step-client.js';
import type { Logger } from '../log.js';
import { EndpointTable } from '../routing/endpoint-table.js';
import { PredictorListeners } from '../routing/predictor-listeners.js';
import { TrafficStats } from '../routing/traffic-stats.js';
import { defaultRuntimes } from '../runtimes/registry.js';
import { releaseModel } from '../storage/initializer.js';
import { recordEvent } from '../store/events.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { createUiHandler } from '../ui/static-handler.js';
import { applyDemo } from './demo.js';
import { DownloadMetrics } from './download-metrics.js';
import { createModelFetcher, type ProgressSink } from './model-fetcher.js';

/** The replica process entry, beside this folder (src/serve → src/server/main, compiled alike). */
const replicaEntry = fileURLToPath(new URL('../server/main.js', import.meta.url));

export interface RunningServer {
  port: number;
  /** 'https' with --tls-cert/--tls-key. */
  scheme: 'http' | 'https';
  /** Re-reads the TLS files (SIGHUP); undefined without TLS. */
  reloadTls?: () => void;
  store: Store;
  close(): Promise<void>;
}

export interface ServeUi {
  /** The terminal's live line for download progress (only when stderr is a TTY). */
  progressLine?: ProgressSink;
}

export async function startServer(
  config: Readonly<ServeConfig>,
  log: Logger,
  ui: ServeUi = {},
): Promise<RunningServer> {
  // Certificate problems are found before anything else starts (the message names the file).
  const tls = config.tls ? loadTlsMaterial(config.tls) : undefined;
  const store = SqliteStore.open({ stateDir: config.stateDir, log: log.child({ component: 'store' }) });
  // KServe installs its ClusterServingRuntimes with the operator; inferd stores them on first start so that
  // `inferd get clusterservingruntimes` lists them. A user's edits to them are kept.
  for (const rt of BUILTIN_CLUSTER_SERVING_RUNTIMES) {
    if (!store.get({ kind: 'ClusterServingRuntime', name: rt.metadata.name })) store.create(structuredClone(rt));
  }
  const imageMap = loadImageMap([
    { path: join(config.stateDir, 'image-map.yaml'), optional: true },
    ...(config.imageMaps ?? []).map((path) => ({ path, optional: false })),
  ]);
  const servedFormats = [...new Set(defaultRuntimes().flatMap((r) => r.formats))];
  // Namespace ServingRuntimes first, then ClusterServingRuntimes (stored ones replace built-ins of the same name).
  const runtimesFor = (namespace: string | undefined): ServingRuntime[] =>
    withBuiltinRuntimes([
      ...store.list<ServingRuntime>({ kind: 'ServingRuntime', namespace: namespace ?? 'default' }).items,
      ...store.list<ServingRuntime>({ kind: 'ClusterServingRuntime' }).items,
    ]);
  const processPolicy = { authRequired: config.auth, loopbackOnly: isLoopbackHost(config.host) };
  const admitWithContext = (
    obj: Resource,
    op: 'CREATE' | 'UPDATE',
    old: Resource | undefined,
    req?: IncomingMessage,
  ) => {
    // Who may make inferd start a process (docs/security.md): checked before the manifest is even validated.
    const refused = req ? processPermissionProblem(obj, old, identityOf(req), processPolicy) : undefined;
    if (refused) throw refused;
    return admit(obj, op, old, { runtimes: runtimesFor(obj.metadata?.namespace), servedFormats });
  };

  // set once the gateway listens; storage refuses to fetch from it
  let listeningPort = 0;
  const endpoints = new EndpointTable();
  // The gateway counts each revision's traffic; the controller drains by it, the autoscaler scales by it.
  const stats = new TrafficStats();
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
    workerHeapLimitMb: Math.floor(config.workerHeapLimitBytes / 1024 ** 2),
    // Custom containers: PATH/HOME/locale of serve's inherited env, and the Secrets their env names.
    containerBaseEnv: config.processEnv,
    readSecret: (namespace, name, key) => {
      const data = store.get<Resource & { data?: Record<string, string> }>({ kind: 'Secret', namespace, name })?.data;
      const v = data?.[key];
      return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
    },
  });
  // Replicas per revision: the KPA-like autoscaler on the gateway's counters (docs/autoscaling.md), FixedScale for
  // services that turn autoscaling off. cpu/memory metrics read the revision's replica processes from /proc.
  const usageReader = new ProcessUsageReader();
  const autoscaler = new KpaAutoscaler({
    stats,
    log: log.child({ component: 'autoscaler' }),
    usage: async (revisionKey) => {
      const pids: number[] = [];
      for (const key of replicas.keys()) {
        if (key !== revisionKey && !key.startsWith(`${revisionKey}#`)) continue;
        const view = replicas.get(key);
        if (view?.phase === 'Ready' && view.pid !== undefined) pids.push(view.pid);
      }
      return usageReader.read(pids);
    },
  });
  const scaleByClass = new ScaleByClass(autoscaler);
  const downloads = new DownloadMetrics();
  const scale: ScaleSource = scaleByClass;
  const controller = new InferenceServiceController({
    store,
    replicas,
    endpoints,
    log: log.child({ component: 'controller' }),
    domain: config.domain,
    replicaEnv: { ...config.processEnv, ...config.replicaEnv },
    maxBodyBytes: config.maxBodyBytes,
    loadTimeoutMs: config.loadTimeoutMs,
    stats,
    scale,
    revisions: new FileRevisionLedger(join(config.stateDir, 'revisions')),
    revisionHistory: config.revisionHistory,
    // The image map is operator configuration (files only, never the API): docs/containers.md.
    images: {
      lookup: (image) => imageMap.lookup(image),
      ...(config.containerEngine ? { engine: config.containerEngine } : {}),
    },
    // Transformers reach their predictors through loopback ports handed to the gateway (set below).
    // Plain HTTP / h2c even when the gateway's port speaks TLS (the hop never leaves loopback).
    predictorListeners: new PredictorListeners((socket) => gateway.acceptLoopback(socket)),
    runtimeFor: (namespace, name) => runtimesFor(namespace).find((r) => r.metadata.name === name),
    scaleDefaults: { scaleToZeroGraceMs: config.scaleToZeroGraceMs },
    // The fetcher pins a model's cache entry per service and storageUri (model-fetcher.ts's owner id).
    releaseModel: (key, storageUri) => releaseModel(`${key}\0${storageUri}`),
    recordEvent: (isvc, type, reason, message) => recordEvent(store, { involved: isvc, type, reason, message }),
    fetchModel: createModelFetcher({
      store,
      config,
      log,
      logsFor: (key) => replicas.logsFor(key),
      ownPort: () => listeningPort,
      progressLine: ui.progressLine,
      metrics: downloads,
    }),
  });
  // TrainedModels into multi-model services' replicas (docs/multi-model.md); downloads share the cache.
  const trainedModels = new TrainedModelController({
    store,
    replicas,
    endpoints,
    log: log.child({ component: 'trainedmodels' }),
    domain: config.domain,
    workerHeapLimitMb: Math.floor(config.workerHeapLimitBytes / 1024 ** 2),
    parentFormats: (parent) => parentFormatsOf(parent, runtimesFor(parent.metadata.namespace)),
    fetchModel: createModelFetcher({
      store,
      config,
      log,
      logsFor: (key) => replicas.logsFor(key),
      ownPort: () => listeningPort,
      progressLine: ui.progressLine,
      metrics: downloads,
    }),
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
    oidc: config.oidc,
    store,
    access,
    log: log.child({ component: 'auth' }),
  });
  // InferenceGraphs: status follows the services they name; the gateway runs them (src/graph, docs/graphs.md).
  const graphMetrics = new GraphMetrics();
  const graphs = new GraphController({
    store,
    domain: config.domain,
    log: log.child({ component: 'graph' }),
    recordEvent: (graph, type, reason, message) => recordEvent(store, { involved: graph, type, reason, message }),
    onGraphChange: (ns, name) => graphMetrics.forget(ns, name),
  });
  let graphHandler: GraphHandler | undefined;
  const accessLog = config.accessLog !== undefined ? AccessLog.open(config.accessLog) : undefined;
  const gateway = createGateway({
    graphs: { handle: (req, res, ns, name) => graphHandler?.handle(req, res, ns, name) ?? false },
    endpoints,
    auth: auth.gate,
    // The web app's static files (/ui/); its data comes through the handlers before it, checked as for any client.
    controlPlane: [...auth.controlPlane, guardedLogs, apiServer, createUiHandler()],
    domain: config.domain,
    holdTimeoutMs: config.holdTimeoutMs,
    log: log.child({ component: 'gateway' }),
    proxy: {
      maxBodyBytes: config.maxBodyBytes,
      bodyTimeoutMs: config.bodyTimeoutMs,
    },
    allowRepositoryApi: config.allowRepositoryApi,
    grpcLink: config.grpcLink,
    tls,
    stats,
    recordMetrics: config.recordMetrics,
    accessLog,
    replicaMetrics: true,
  });
  // The autoscaler's decisions beside the gateway's series on GET /metrics.
  gateway.metrics.register({ collect: (out) => autoscaler.renderMetrics(out) });
  gateway.metrics.desiredFrom((key) => scaleByClass.desiredOf(key));
  gateway.metrics.register(downloads);
  const stepClient = new StepClient({
    endpoints,
    traffic: gateway.traffic,
    domain: config.domain,
    maxAnswerBytes: config.maxBodyBytes,
    allowCrossNamespace: !config.auth,
  });
  graphHandler = new GraphHandler({
    controller: graphs,
    endpoints,
    client: stepClient,
    metrics: graphMetrics,
    log: log.child({ component: 'graph' }),
    maxBodyBytes: config.maxBodyBytes,
    stepTimeoutMs: config.graphStepTimeoutMs,
  });
  gateway.metrics.register(graphMetrics);

  await new Promise<void>((ok, fail) => {
    gateway.server.once('error', fail);
    gateway.server.listen(config.port, config.host, () => ok());
  });
  const address = gateway.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  listeningPort = port;
  controller.start();
  graphs.start();
  trainedModels.start();
  if (config.demo) applyDemo(store, admitWithContext, log);
  // After listening: a standby never delays serve's start (the demo's replica may take the first one).
  replicas.startStandby();

  if (tls) log.info('tls enabled', { cert: tls.certFile, validTo: tls.validTo, alpn: ['h2', 'http/1.1'] });
  return {
    port,
    scheme: tls ? 'https' : 'http',
    reloadTls: gateway.tls
      ? () => {
          const next = gateway.tls!.reload();
          log.info('tls certificate reloaded', { cert: next.certFile, validTo: next.validTo });
        }
      : undefined,
    store,
    async close() {
      apiServer.close(); // ends open watch streams, which would keep connections alive
      gateway.close();
      await accessLog?.close();
      graphs.stop();
      stepClient.close();
      trainedModels.stop();
      await controller.stop();
      scale.close();
      auth.close();
      store.close();
    },
  };
}
