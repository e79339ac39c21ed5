// The whole cluster of the operator's end-to-end tests in one call: inferd's API server with Kubernetes'
// kinds, the fake kubelet, the operator (claiming unannotated services) and the cluster gateway on a free
// port, each stopped after the test.

import type { TestContext } from 'node:test';
import type { Logger } from '../../src/log.js';
import {
  type ClusterGateway,
  type ClusterGatewayOptions,
  startClusterGateway,
} from '../../src/operator/cluster-gateway.js';
import { Operator } from '../../src/operator/operator.js';
import { FakeKubelet } from './fake-kubelet.js';
import { type KubeApi, startKubeApi, testLogger } from './kube-harness.js';

export interface FakeCluster {
  log: Logger;
  api: KubeApi;
  kubelet: FakeKubelet;
  operator: Operator;
  gw: ClusterGateway;
}

/** `gateway`: options beyond the defaults (auth, …). */
export async function startFakeCluster(
  t: TestContext,
  gateway: Partial<Omit<ClusterGatewayOptions, 'client' | 'log'>> = {},
): Promise<FakeCluster> {
  const log = testLogger();
  const api = await startKubeApi(log);
  t.after(() => api.close());
  const kubelet = new FakeKubelet(api.client);
  await kubelet.start();
  t.after(() => kubelet.close());
  const operator = new Operator({
    client: api.client,
    log,
    image: 'ghcr.io/inferd/inferd:test',
    claimUnannotated: true,
  });
  await operator.start();
  t.after(() => operator.stop());
  const gw = await startClusterGateway({
    client: api.client,
    log,
    port: 0,
    host: '127.0.0.1',
    domain: 'example.com',
    holdTimeoutMs: 30_000,
    claimUnannotated: true,
    ...gateway,
  });
  t.after(() => gw.close());
  return { log, api, kubelet, operator, gw };
}
