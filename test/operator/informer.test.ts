// The list+watch loop against a scripted API: resumes from the last resourceVersion, relists only on
// 410 Gone, and backs off after failures instead of hammering the API (kubernetes-client/javascript#1933).

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { Informer } from '../../src/operator/informer.js';
import { KubeClient } from '../../src/operator/kube-client.js';
import { waitUntil } from '../support/wait.js';

type Handler = (url: URL, res: http.ServerResponse) => void;

async function scripted(handler: Handler) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(
      `${url.searchParams.get('watch') ? 'watch' : 'list'} rv=${url.searchParams.get('resourceVersion') ?? ''}`,
    );
    handler(url, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const client = new KubeClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  return {
    client,
    requests,
    close: async () => {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const lease = (name: string, rv: string) => ({ metadata: { name, namespace: 'default', resourceVersion: rv } });

test('a watch that ends resumes from the last resourceVersion (bookmarks too); 410 Gone relists', async (t) => {
  let watches = 0;
  const api = await scripted((url, res) => {
    if (!url.searchParams.get('watch')) {
      res.end(JSON.stringify({ items: [lease('a', '5')], metadata: { resourceVersion: '5' } }));
      return;
    }
    watches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (watches === 1) {
      res.write(`${JSON.stringify({ type: 'ADDED', object: lease('b', '6') })}\n`);
      res.end(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } })}\n`);
    } else if (watches === 2) {
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' } })}\n`,
      );
    } // later watches stay open
  });
  t.after(() => api.close());
  const changes: string[] = [];
  const inf = new Informer({
    client: api.client,
    kind: 'Lease',
    namespace: 'default',
    log: silentLogger,
    onChange: (type, o) => changes.push(`${type} ${o.metadata.name}`),
  });
  inf.start();
  t.after(() => inf.stop());
  await waitUntil(() => api.requests.length >= 5, 'list, watch, watch, list, watch');
  assert.deepEqual(api.requests.slice(0, 5), ['list rv=', 'watch rv=5', 'watch rv=9', 'list rv=', 'watch rv=5']);
  // The relist found b gone (the list has only a).
  assert.deepEqual(changes, ['ADDED a', 'ADDED b', 'DELETED b']);
  assert.equal(inf.lists, 2);
});

test('failures back off exponentially instead of hammering the API', async (t) => {
  const api = await scripted((url, res) => {
    if (!url.searchParams.get('watch')) {
      res.end(JSON.stringify({ items: [], metadata: { resourceVersion: '1' } }));
      return;
    }
    res.writeHead(500).end('{"kind":"Status","code":500,"message":"boom"}');
  });
  t.after(() => api.close());
  const inf = new Informer({
    client: api.client,
    kind: 'Lease',
    log: silentLogger,
    onChange: () => {},
    backoffBaseMs: 50,
    backoffMaxMs: 400,
  });
  const started = Date.now();
  inf.start();
  t.after(() => inf.stop());
  await waitUntil(() => api.requests.filter((r) => r.startsWith('watch')).length >= 5, 'five watch tries', 10_000);
  const elapsed = Date.now() - started;
  // 50 + 100 + 200 + 400 ms (±25%) between the five tries: at least ~560 ms, never a tight loop.
  assert.ok(elapsed >= 500, `five tries took only ${elapsed} ms`);
  assert.equal(inf.lists, 1, 'a failing watch does not relist');
});
