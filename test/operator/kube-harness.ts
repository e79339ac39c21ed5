// A Kubernetes API without a cluster, for the operator's tests (issue 19, 5b): inferd's own API server with
// the storage-only kinds (Deployments, Services, EndpointSlices, HPAs, Leases, ...) on a real HTTP port, an
// in-memory store, garbage collection by ownerReferences, and a switch to answer 403 for a kind.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { STORAGE_ONLY_KINDS } from '../../src/api/kube-kinds.js';
import type { KindInfo } from '../../src/api/types.js';
import { createApiServer } from '../../src/apiserver/api-server.js';
import { createLogger, type Logger, silentLogger } from '../../src/log.js';
import { KubeClient } from '../../src/operator/kube-client.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

export interface KubeApi {
  url: string;
  store: SqliteStore;
  client: KubeClient;
  /** `kind:verb` pairs answered 403 (e.g. `Deployment:create`); `kind:*` for every verb. */
  forbidden: Set<string>;
  /** `METHOD path` of requests answered 409 Conflict once each (a concurrent writer won), then forgotten. */
  conflictOnce: Set<string>;
  /** `METHOD path` of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

export function testLogger(): Logger {
  return process.env['INFERD_TEST_LOG'] ? createLogger({ level: 'debug' }) : silentLogger;
}

export async function startKubeApi(log: Logger = testLogger()): Promise<KubeApi> {
  const store = SqliteStore.memory({ extraKinds: STORAGE_ONLY_KINDS });
  const forbidden = new Set<string>();
  const api = createApiServer({
    store,
    log,
    storageOnlyKinds: STORAGE_ONLY_KINDS,
    forbid: ({ verb, kind }: { verb: string; kind: KindInfo }) =>
      forbidden.has(`${kind.kind}:${verb}`) || forbidden.has(`${kind.kind}:*`),
  });
  const conflictOnce = new Set<string>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const line = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    requests.push(line);
    if (conflictOnce.delete(line)) {
      const status = {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Conflict',
        code: 409,
        message: 'the object has been modified; please apply your changes to the latest version and try again',
      };
      res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify(status));
      return;
    }
    if (!api.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new KubeClient({ server: url });
  return {
    url,
    store,
    client,
    forbidden,
    conflictOnce,
    requests,
    async close() {
      client.close();
      api.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      store.close();
    },
  };
}
