// The gate's decisions without a server: identities, per-service annotations in both directions, name
// routing that hides other namespaces, rate limiting of failed attempts, and no credential in log lines.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wwwAuthenticate } from '../../src/auth/answers.js';
import { AuthGate } from '../../src/auth/auth-gate.js';
import { FailureLimiter } from '../../src/auth/failure-limiter.js';
import type { Verifier } from '../../src/auth/identity.js';
import { createLogger } from '../../src/log.js';

const GOOD_A = 'inferd_good-token-for-team-a';
const verifier: Verifier = (bearer) => {
  if (!bearer.startsWith('inferd_')) return undefined;
  if (bearer === GOOD_A) {
    return {
      identity: { user: 'token:a', groups: [], source: 'token', grants: [{ namespace: 'a', role: 'predictor' }] },
    };
  }
  return { invalid: 'the token is not known' };
};

function gate(required: boolean, policies: Record<string, boolean> = {}) {
  const lines: string[] = [];
  const g = new AuthGate({
    required,
    verifiers: [verifier],
    policies: { policy: (ns, name) => policies[`${ns}/${name}`] },
    limiter: new FailureLimiter({ maxFailures: 3, now: () => 0 }),
    log: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
  });
  return { g, lines };
}

test('under --auth: no header → 401 without error code; bad → 401 invalid_token; other namespace → 403', () => {
  const { g, lines } = gate(true);
  const none = g.check(undefined, '1.2.3.4', 'a', 'm');
  assert.deepEqual(none && none.status === 401 && wwwAuthenticate(none), 'Bearer realm="inferd"');
  const bad = g.check('Bearer inferd_wrong', '1.2.3.4', 'a', 'm');
  assert.equal(bad?.status, 401);
  assert.match(
    bad?.status === 401 ? wwwAuthenticate(bad) : '',
    /^Bearer realm="inferd", error="invalid_token", error_description="invalid bearer token: the token is not known"$/,
  );
  assert.equal(g.check('Basic dXNlcjpwYXNz', '1.2.3.4', 'a', 'm')?.status, 401);
  assert.equal(g.check(`Bearer ${GOOD_A}`, '1.2.3.4', 'a', 'm'), undefined);
  assert.equal(g.check(`bearer ${GOOD_A}`, '1.2.3.4', 'a', 'm'), undefined); // the scheme is case-insensitive
  const other = g.check(`Bearer ${GOOD_A}`, '1.2.3.4', 'b', 'm');
  assert.equal(other?.status, 403);
  assert.match(other?.message ?? '', /User "token:a" cannot call models in the namespace "b"/);
  assert.ok(lines.some((l) => l.includes('authentication failed')));
  assert.ok(
    lines.every((l) => !l.includes('inferd_wrong') && !l.includes('dXNlcjpwYXNz')),
    lines.join('\n'),
  );
});

test('annotations: enable-auth "false" keeps one service public under --auth; "true" protects one when open', () => {
  const on = gate(true, { 'a/public': false }).g;
  assert.equal(on.check(undefined, 'x', 'a', 'public'), undefined);
  assert.equal(on.check(undefined, 'x', 'a', 'other')?.status, 401);
  const off = gate(false, { 'a/private': true }).g;
  assert.equal(off.check(undefined, 'x', 'a', 'open'), undefined);
  assert.equal(off.check(undefined, 'x', 'a', 'private')?.status, 401);
  assert.equal(off.check(`Bearer ${GOOD_A}`, 'x', 'a', 'private'), undefined);
  assert.equal(off.check(`Bearer ${GOOD_A}`, 'x', 'b', 'private'), undefined); // b/private has no annotation
});

test('name routing shows only callable services: another namespace looks like a missing model', () => {
  const { g } = gate(true);
  const matches = [
    { namespace: 'a', name: 'm' },
    { namespace: 'b', name: 'm' },
  ];
  assert.deepEqual(g.visible(`Bearer ${GOOD_A}`, 'x', matches), { visible: [matches[0]] });
  // Only in b: nothing visible and no refusal → the caller's 404 is the one a missing model gets.
  assert.deepEqual(g.visible(`Bearer ${GOOD_A}`, 'x', [matches[1]!]), { visible: [] });
  assert.deepEqual(g.visible(`Bearer ${GOOD_A}`, 'x', []), { visible: [] });
  // No identity: 401 whether or not the model exists.
  assert.equal(g.visible(undefined, 'x', matches).refusal?.status, 401);
  assert.equal(g.visible(undefined, 'x', []).refusal?.status, 401);
});

test('failed attempts are limited per address: 429 with Retry-After, even for a good token, others unaffected', () => {
  const { g } = gate(true);
  for (let i = 0; i < 3; i++) assert.equal(g.check('Bearer inferd_wrong', '6.6.6.6', 'a', 'm')?.status, 401);
  const limited = g.check(`Bearer ${GOOD_A}`, '6.6.6.6', 'a', 'm');
  assert.equal(limited?.status, 429);
  assert.equal(limited?.status === 429 && limited.retryAfterS, 60);
  assert.equal(g.check(`Bearer ${GOOD_A}`, '7.7.7.7', 'a', 'm'), undefined);
});
