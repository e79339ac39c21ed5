// A control-API body over the limit (issue 10, L1): the client that keeps sending reads the 413, instead of a
// connection reset before the answer.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { startApi } from './harness.js';

test('a client still sending a body over the limit reads the 413 (declared and chunked)', async (t) => {
  const h = await startApi(t, { maxBodyBytes: 1024 * 1024 });
  const url = new URL(`${h.base}/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices`);
  for (const declared of [true, false]) {
    const size = 8 * 1024 * 1024;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: url.pathname,
          headers: { 'content-type': 'application/json', ...(declared ? { 'content-length': size } : {}) },
        },
        (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      const piece = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const more = () => {
        while (sent < size) {
          sent += piece.length;
          if (!req.write(piece)) {
            req.once('drain', more);
            return;
          }
        }
        req.end();
      };
      more();
    });
    assert.equal(answer.status, 413, `declared=${declared}`);
    assert.equal(JSON.parse(answer.body).reason, 'RequestEntityTooLarge');
  }
});
