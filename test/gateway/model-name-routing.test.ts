// Path routing by model name when several namespaces have a service of that name (issue 10, L5): a failing
// one elsewhere must not turn the working one's answers into 400s.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { EndpointTable } from '../../src/routing/endpoint-table.js';
import { identityModel, request } from '../server/helpers.js';
import { publish, startGateway, startReplica } from './helpers.js';

const BODY = '{"inputs":[{"name":"x","shape":[1],"datatype":"INT32","data":[1]}]}';

test('a failing same-named service in another namespace does not hide the ready one; two ready ones are a 400', async (t) => {
  const endpoints = new EndpointTable();
  const replica = await startReplica(t, [identityModel()]);
  publish(endpoints, 'identity', replica, 'kserve-test');
  endpoints.set({
    namespace: 'team-b',
    name: 'identity',
    modelName: 'identity',
    port: undefined,
    revision: undefined,
    starting: false,
    reason: 'ModelLoadFailed',
    message: 'bad pickle',
  });
  const port = await startGateway(t, endpoints);
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const s = { port, agent };
  const ok = await request(s, 'POST', '/v2/models/identity/infer', BODY);
  assert.equal(ok.status, 200, ok.body);
  // The failing one is still reachable by its Host, with its reason.
  const failing = await request(s, 'POST', '/v2/models/identity/infer', BODY, {
    host: 'identity.team-b.example.com',
  });
  assert.equal(failing.status, 503);
  assert.match(failing.body, /bad pickle/);
  // Two ready ones, neither in default: the client must choose.
  publish(endpoints, 'identity', replica, 'team-b');
  const ambiguous = await request(s, 'POST', '/v2/models/identity/infer', BODY);
  assert.equal(ambiguous.status, 400);
  assert.match(ambiguous.body, /identity\.kserve-test\.example\.com/);
  // ... unless one is in default.
  publish(endpoints, 'identity', replica, 'default');
  assert.equal((await request(s, 'POST', '/v2/models/identity/infer', BODY)).status, 200);
});
