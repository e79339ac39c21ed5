// `inferd gateway` on a cluster: the local gateway (src/gateway) over an EndpointTable that ClusterEndpoints
// fills from the Kubernetes API. No control API on its port: clients manage services with kubectl.

import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthGate } from '../auth/auth-gate.js';
import { FailureLimiter } from '../auth/failure-limiter.js';
import { OidcVerifier } from '../auth/oidc.js';
import { RoleBindings } from '../auth/role-bindings.js';
import type { OidcConfig } from '../auth/serve-auth.js';
import { ServicePolicies } from '../auth/service-policy.js';
import { createGateway } from '../gateway/gateway.js';
import type { Logger } from '../log.js';
import { EndpointTable } from '../routing/endpoint-table.js';
import { TrafficStats } from '../routing/traffic-stats.js';
import { ClusterEndpoints } from './cluster-endpoints.js';
import { ClusterScaler } from './cluster-scaler.js';
import { InformerStore } from './informer-store.js';
import type { KubeClient } from './kube-client.js';
import { RemoteTargets } from './remote-targets.js';

export interface ClusterGatewayOptions {
  client: KubeClient;
  log: Logger;
  port: number;
  host: string;
  domain: string;
  namespace?: string;
  controllerClass?: string;
  claimUnannotated?: boolean;
  holdTimeoutMs: number;
  /** Run the autoscaler for concurrency/rps revisions and scale from zero (default true). */
  autoscale?: boolean;
  /**
   * Auth on model routes, as `inferd serve --auth --oidc-issuer ...`: OIDC JWTs verified against the issuer,
   * roles from the cluster's RoleBindings, per-service annotations; `required` false lets anonymous calls
   * through to services that do not ask for auth.
   */
  auth?: { required: boolean; oidc?: OidcConfig };
}

export interface ClusterGateway {
  host: string;
  port: number;
  endpoints: EndpointTable;
  /** Requests per revision (`{namespace}/{name}/{revision}`), as the local gateway counts them. */
  stats: TrafficStats;
  close(): Promise<void>;
}

export async function startClusterGateway(opts: ClusterGatewayOptions): Promise<ClusterGateway> {
  const endpoints = new EndpointTable();
  const targets = new RemoteTargets();
  const stats = new TrafficStats();
  const scaler =
    opts.autoscale === false
      ? undefined
      : new ClusterScaler({ client: opts.client, stats, log: opts.log, namespace: opts.namespace });
  await scaler?.start();

  const cluster = new ClusterEndpoints({
    targetFor: (address, port) => targets.keyOf(address, port),
    client: opts.client,
    endpoints,
    log: opts.log,
    namespace: opts.namespace,
    controllerClass: opts.controllerClass,
    claimUnannotated: opts.claimUnannotated,
    scaler,
  });
  await cluster.start();
  const auth = opts.auth ? await clusterAuth(opts, opts.auth) : undefined;
  const gw = createGateway({
    ...(auth ? { auth: auth.gate } : {}),
    stats,
    endpoints,
    controlPlane: [healthOnly],
    domain: opts.domain,
    holdTimeoutMs: opts.holdTimeoutMs,
    log: opts.log.child({ component: 'gateway' }),
    proxy: { targetOf: targets.targetOf },
  });
  await new Promise<void>((resolve, reject) => {
    gw.server.once('error', reject);
    gw.server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (gw.server.address() as AddressInfo).port;
  return {
    host: opts.host,
    port,
    endpoints,
    stats: gw.stats,
    async close() {
      cluster.stop();
      auth?.close();
      scaler?.stop();
      gw.close();
      await new Promise<void>((r) => gw.server.close(() => r()));
      gw.server.closeAllConnections?.();
    },
  };
}

/** The AuthGate of `inferd serve`, over a read-only store of the cluster's RoleBindings and services. */
async function clusterAuth(opts: ClusterGatewayOptions, auth: NonNullable<ClusterGatewayOptions['auth']>) {
  const store = new InformerStore({ client: opts.client, log: opts.log, namespace: opts.namespace });
  await store.start(['InferenceService', ...(auth.oidc ? ['RoleBinding'] : [])]);
  const policies = new ServicePolicies(store);
  const bindings = auth.oidc ? new RoleBindings(store) : undefined;
  const oidc =
    auth.oidc && bindings
      ? new OidcVerifier({ ...auth.oidc, bindings, log: opts.log.child({ verifier: 'oidc' }) })
      : undefined;
  const gate = new AuthGate({
    required: auth.required,
    verifiers: oidc ? [oidc.verifier()] : [],
    preparers: oidc ? [(bearer) => oidc.prepare(bearer)] : [],
    policies,
    limiter: new FailureLimiter(),
    log: opts.log.child({ component: 'auth' }),
  });
  return {
    gate,
    close() {
      policies.close();
      bindings?.close();
      store.close();
    },
  };
}

/** The pod's probes: `/healthz` and `/readyz` answer on the gateway port. */
const healthOnly = {
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/readyz') return false;
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return true;
  },
};
