// readBody: a binary-extension body with a declared length is read into one buffer with its tensor bytes (right
// after the JSON header) 8-byte aligned; everything else is read as before. The bytes are the same either way.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { readBody } from '../../src/server/body-reader.js';

interface Seen {
  body: Buffer;
  tooLarge: boolean;
}

async function withServer(t: TestContext, limit = 1 << 22) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    readBody(req, limit, (err, body) => {
      seen.push({ body, tooLarge: err !== null });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const send = (body: Buffer, headers: Record<string, string>, chunked = false) =>
    new Promise<Seen>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(seen[seen.length - 1]!));
      });
      req.on('error', reject);
      if (chunked) {
        // two writes without a content-length: Node sends transfer-encoding: chunked
        req.write(body.subarray(0, body.length >> 1));
        req.end(body.subarray(body.length >> 1));
      } else req.end(body);
    });
  return send;
}

function bytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

test('a declared-length binary body: same bytes, and the byte after the JSON header sits 8-byte aligned', async (t) => {
  const send = await withServer(t);
  for (const headerLength of [0, 1, 5, 7, 8, 13]) {
    for (const size of [headerLength + 1, 200_003]) {
      const body = bytes(size);
      const got = await send(body, {
        'inference-header-content-length': String(headerLength),
        'content-length': String(size),
      });
      assert.ok(got.body.equals(body), `header ${headerLength}, ${size} bytes`);
      assert.equal((got.body.byteOffset + headerLength) % 8, 0, `header ${headerLength}, ${size} bytes`);
    }
  }
});

test('chunked, compressed or plain bodies are read whole as before; the limit still applies', async (t) => {
  const send = await withServer(t, 100_000);
  const body = bytes(90_001);
  const chunked = await send(body, { 'inference-header-content-length': '3' }, true);
  assert.ok(chunked.body.equals(body));
  const encoded = await send(body, {
    'inference-header-content-length': '3',
    'content-encoding': 'identity',
    'content-length': String(body.length),
  });
  assert.ok(encoded.body.equals(body));
  const plain = await send(body, { 'content-length': String(body.length) });
  assert.ok(plain.body.equals(body));
  const over = await send(bytes(100_001), {
    'inference-header-content-length': '3',
    'content-length': '100001',
  });
  assert.equal(over.tooLarge, true);
});
