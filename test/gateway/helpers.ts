// Shared by the gateway tests: a replica's REST and gRPC servers in this process, a gateway in front of
// them, and the endpoint entries the controller would publish.

import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { createGateway, type GatewayOptions } from '../../src/gateway/gateway.js';
import { silentLogger } from '../../src/log.js';
import type { EndpointTable } from '../../src/routing/endpoint-table.js';
import type { Model } from '../../src/runtimes/model.js';
import { createGrpcServer, listenGrpc } from '../../src/server/grpc/service.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { ModelRepository } from '../../src/server/model-repository.js';
import { createModelServer } from '../../src/server/model-server.js';

export interface Replica {
  port: number;
  grpcPort: number;
  models: ModelRepository;
}

/** A replica's two servers in this process. */
export async function startReplica(t: TestContext, models: Model[], maxGrpcBytes?: number): Promise<Replica> {
  const repo = new ModelRepository();
  for (const m of models) repo.add(m);
  const metrics = new ServerMetrics();
  const rest = createModelServer({ models: repo, log: silentLogger, metrics });
  await new Promise<void>((r) => rest.listen(0, '127.0.0.1', r));
  const g = createGrpcServer({
    models: repo,
    log: silentLogger,
    metrics,
    version: '1.0.0',
    maxReceiveMessageBytes: maxGrpcBytes,
    maxSendMessageBytes: maxGrpcBytes,
  });
  const grpcPort = await listenGrpc(g, '127.0.0.1', 0);
  t.after(() => {
    g.forceShutdown();
    rest.closeAllConnections();
    rest.close();
  });
  return { port: (rest.address() as AddressInfo).port, grpcPort, models: repo };
}

export async function startGateway(
  t: TestContext,
  endpoints: EndpointTable,
  holdTimeoutMs = 2_000,
  extra: Pick<GatewayOptions, 'allowRepositoryApi' | 'proxy'> = {},
): Promise<number> {
  const gw = createGateway({
    endpoints,
    controlPlane: [],
    domain: 'example.com',
    holdTimeoutMs,
    log: silentLogger,
    ...extra,
  });
  await new Promise<void>((r) => gw.server.listen(0, '127.0.0.1', r));
  t.after(() => gw.close());
  return (gw.server.address() as AddressInfo).port;
}

export function publish(endpoints: EndpointTable, name: string, r: Replica | undefined, namespace = 'default'): void {
  endpoints.set({
    namespace,
    name,
    modelName: name,
    port: r?.port,
    grpcPort: r?.grpcPort,
    revision: r ? `${name}-00001` : undefined,
    starting: r === undefined,
  });
}
