import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RemoteTargets } from '../../src/operator/remote-targets.js';

test('pod addresses get stable keys above the port range; plain ports stay loopback', () => {
  const t = new RemoteTargets();
  const a = t.keyOf('10.0.0.5', 8080);
  const b = t.keyOf('10.0.0.6', 8080);
  assert.ok(a > 65535 && b > 65535 && a !== b);
  assert.equal(t.keyOf('10.0.0.5', 8080), a);
  assert.deepEqual(t.targetOf(a), { host: '10.0.0.5', port: 8080 });
  assert.deepEqual(t.targetOf(8080), { host: '127.0.0.1', port: 8080 });
});
