// The SDK's direct HTTP client (src/sdk/direct-http.ts): the abort watch a transformer's call is given (the
// request context's onAbort, no AbortSignal per call) cancels the call at once, and is removed when it ends.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { type AbortWatch, DirectError, DirectHttp } from '../../src/sdk/direct-http.js';

async function server(t: TestContext, answer: boolean): Promise<{ port: number; received: Promise<void> }> {
  let arrived!: () => void;
  const received = new Promise<void>((r) => {
    arrived = r;
  });
  const s = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrived();
      if (answer) res.end('{"predictions":[1]}');
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => {
    s.closeAllConnections();
    s.close();
  });
  return { port: (s.address() as AddressInfo).port, received };
}

/** A watch that records what it was given and whether it was removed. */
function watch() {
  const w = { listener: undefined as (() => void) | undefined, removed: 0 };
  const fn: AbortWatch = (listener) => {
    w.listener = listener;
    return () => {
      w.removed++;
    };
  };
  return { w, fn };
}

test('an answered call removes its abort watch once', async (t) => {
  const { port } = await server(t, true);
  const client = new DirectHttp();
  t.after(() => client.close());
  const { w, fn } = watch();
  const a = await client.request(port, 'POST /v1/models/m:predict HTTP/1.1', '{"instances":[1]}', 5_000, fn);
  assert.equal(a.status, 200);
  assert.equal(a.body.toString(), '{"predictions":[1]}');
  assert.ok(w.listener, 'the watch was given a listener');
  assert.equal(w.removed, 1);
});

test('EXPECTED FAILURE - the watch firing cancels a call the replica holds: cancelled, not retried, watch removed', async (t) => {
  const { port, received } = await server(t, false);
  const client = new DirectHttp();
  t.after(() => client.close());
  const { w, fn } = watch();
  const pending = client.request(port, 'POST /v1/models/m:predict HTTP/1.1', '{"instances":[1]}', 60_000, fn);
  await received;
  const t0 = performance.now();
  w.listener!();
  await assert.rejects(pending, (err: DirectError) => {
    assert.ok(err instanceof DirectError);
    assert.equal(err.cancelled, true);
    assert.equal(err.timedOut, true);
    assert.equal(err.unanswered, false);
    return true;
  });
  // 5 s (was 1 s), still far from the 60 s time limit it must not wait for.
  assert.ok(performance.now() - t0 < 5_000, 'cancelled at once, not after the timeout');
  assert.equal(w.removed, 1);
});
