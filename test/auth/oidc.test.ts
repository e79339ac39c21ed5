// The OIDC verifier against a loopback issuer (discovery + JWKS over node:http, tokens signed by jose):
// every way a JWT must be refused, key rotation, a bounded issuer fetch, and RoleBinding grants.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { exportSPKI, importJWK, SignJWT } from 'jose';
import { validateRoleBinding } from '../../src/api/role-binding.validation.js';
import type { Grant, VerifyResult } from '../../src/auth/identity.js';
import { OidcVerifier } from '../../src/auth/oidc.js';
import { grantsFrom } from '../../src/auth/role-bindings.js';
import { createLogger } from '../../src/log.js';
import { LoopbackIssuer, newKey } from '../support/oidc-issuer.js';

let issuer: LoopbackIssuer;
const lines: string[] = [];
const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
const bindings = [
  { namespace: 'team-a', role: 'predictor' as const, subjects: [{ kind: 'User' as const, name: 'alice' }] },
  { namespace: 'team-b', role: 'viewer' as const, subjects: [{ kind: 'Group' as const, name: 'ml' }] },
];
const grantSource = { grantsFor: (u: string, g: readonly string[]): Grant[] => grantsFrom(bindings, u, g) };

function verifier(extra: Partial<ConstructorParameters<typeof OidcVerifier>[0]> = {}) {
  return new OidcVerifier({
    issuer: issuer.url,
    audience: 'inferd',
    bindings: grantSource,
    log,
    refetchCooldownMs: 0,
    ...extra,
  });
}

async function verify(v: OidcVerifier, token: string): Promise<VerifyResult | undefined> {
  await v.prepare(token);
  return v.verifier()(token);
}

function invalid(r: VerifyResult | undefined): string {
  assert.ok(r && 'invalid' in r, `expected a refusal, got ${JSON.stringify(r)}`);
  return r.invalid;
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

before(async () => {
  issuer = await LoopbackIssuer.start();
});
after(() => issuer.close());

test('a valid JWT gives its subject, groups and the grants its RoleBindings name', async () => {
  const r = await verify(verifier(), await issuer.sign({ groups: ['ml'] }));
  assert.ok(r && 'identity' in r, JSON.stringify(r));
  assert.equal(r.identity.user, 'alice');
  assert.equal(r.identity.source, 'oidc');
  assert.deepEqual(r.identity.groups, ['ml']);
  assert.deepEqual(r.identity.grants, [
    { namespace: 'team-a', role: 'predictor' },
    { namespace: 'team-b', role: 'viewer' },
  ]);
});

test('other claims name the user and groups when configured', async () => {
  const v = verifier({ usernameClaim: 'email', groupsClaim: 'roles' });
  const r = await verify(v, await issuer.sign({ email: 'bob@example.com', roles: ['ml', 7] }));
  assert.ok(r && 'identity' in r);
  assert.equal(r.identity.user, 'bob@example.com');
  assert.deepEqual(r.identity.groups, ['ml']);
  assert.deepEqual(r.identity.grants, [{ namespace: 'team-b', role: 'viewer' }]);
  assert.match(invalid(await verify(v, await issuer.sign({}))), /no "email" claim/);
});

test("not a JWT: not this verifier's (the token verifier or nobody answers)", async () => {
  const v = verifier();
  assert.equal(v.prepare('inferd_abcdef'), undefined);
  assert.equal(v.verifier()('inferd_abcdef'), undefined);
});

test('expired, not yet valid, wrong audience, wrong issuer: refused with the reason', async () => {
  const v = verifier();
  const now = Math.floor(Date.now() / 1000);
  assert.match(invalid(await verify(v, await issuer.sign({ exp: now - 120 }))), /expired/);
  assert.match(invalid(await verify(v, await issuer.sign({ nbf: now + 600 }))), /not valid yet/);
  assert.match(
    invalid(await verify(v, await issuer.sign({}, { audience: 'other' }))),
    /audience does not include inferd/,
  );
  assert.match(invalid(await verify(v, await issuer.sign({ iss: 'https://evil.example' }))), /issuer is not/);
  assert.match(invalid(await verify(v, await issuer.sign({ exp: undefined }))), /exp/);
});

test('within the 60 s clock skew: a token expired 30 s ago or valid in 30 s still passes', async () => {
  const v = verifier();
  const now = Math.floor(Date.now() / 1000);
  assert.ok('identity' in (await verify(v, await issuer.sign({ exp: now - 30 })))!);
  assert.ok('identity' in (await verify(v, await issuer.sign({ nbf: now + 30 })))!);
});

test('a cached good token is refused once it expires (exp checked on every use)', async () => {
  let clock = Date.now();
  const v = verifier({ now: () => clock });
  const token = await issuer.sign({ exp: Math.floor(clock / 1000) + 10 });
  assert.ok('identity' in (await verify(v, token))!);
  clock += 75_000; // past exp + skew, within the cache's lifetime
  assert.match(invalid(v.verifier()(token)), /expired/);
});

test('unknown key id: refused after one JWKS refetch; rotated keys: the new kid is accepted', async () => {
  const v = verifier();
  const good = await issuer.sign({});
  assert.ok('identity' in (await verify(v, good))!);
  const stranger = await newKey('nobody');
  const before = issuer.jwksFetches;
  assert.match(invalid(await verify(v, await issuer.sign({}, { key: stranger }))), /kid \("nobody"\)/);
  assert.equal(issuer.jwksFetches, before + 1, 'an unknown kid refetches the JWKS once');
  // Rotation: the issuer publishes k2 and drops k1.
  const k2 = await newKey('k2', 'ES256');
  const old = issuer.keys;
  issuer.keys = [k2];
  try {
    const r = await verify(v, await issuer.sign({}, { key: k2 }));
    assert.ok(r && 'identity' in r, JSON.stringify(r));
  } finally {
    issuer.keys = old;
  }
});

test('JWKS refetches for unknown kids are rate-limited', async () => {
  const v = verifier({ refetchCooldownMs: 60_000 });
  assert.ok('identity' in (await verify(v, await issuer.sign({})))!);
  const before = issuer.jwksFetches;
  for (let i = 0; i < 5; i++) await verify(v, await issuer.sign({}, { key: await newKey(`x${i}`) }));
  assert.ok(issuer.jwksFetches - before <= 1, `${issuer.jwksFetches - before} JWKS fetches for 5 unknown kids`);
});

test('a tampered signature, alg none and HS256 keyed with the public key are refused', async () => {
  const v = verifier();
  const good = await issuer.sign({});
  const [h, p, s] = good.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  const forged = `${h}.${b64({ ...payload, sub: 'admin' })}.${s}`;
  assert.match(invalid(await verify(v, forged)), /signature does not verify/);
  const flipped = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
  assert.match(invalid(await verify(v, flipped)), /signature|not valid/);

  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
  assert.match(invalid(await verify(v, none)), /alg none is not allowed/);

  // The classic confusion: HMAC with the issuer's public key (as PEM and as the JWK's modulus) as the secret.
  const pem = await exportSPKI((await importJWK(issuer.keys[0]!.publicJwk, 'RS256')) as never);
  const secrets = [Buffer.from(JSON.stringify(issuer.keys[0]!.publicJwk)), Buffer.from(pem)];
  for (const secret of secrets) {
    const hs = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(secret);
    assert.match(invalid(await verify(v, hs)), /alg HS256 is not allowed/);
  }
});

test('an unreachable or silent issuer: a bounded wait, then a refusal with the reason', async () => {
  const silent = http.createServer(() => {}); // accepts and never answers
  await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  try {
    const v = new OidcVerifier({ issuer: url, audience: 'inferd', bindings: grantSource, log, fetchTimeoutMs: 300 });
    const started = Date.now();
    const r = await verify(v, await issuer.sign({ iss: url }));
    assert.ok(Date.now() - started < 5000, 'the issuer fetch is bounded');
    assert.match(invalid(r), /discovery document .* could not be read: timed out/);
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
  const v = new OidcVerifier({ issuer: 'http://127.0.0.1:1', audience: 'inferd', bindings: grantSource, log });
  assert.match(invalid(await verify(v, await issuer.sign({ iss: 'http://127.0.0.1:1' }))), /could not be read/);
});

test('no token in any log line', () => {
  const all = lines.join('\n');
  assert.doesNotMatch(all, /eyJ[A-Za-z0-9_-]{20,}\./);
});

test('RoleBinding validation: roleRef names an inferd role or view/edit/admin; subjects User or Group', () => {
  const rb = (roleRef: unknown, subjects: unknown) =>
    ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'x', namespace: 'team-a' },
      roleRef,
      subjects,
    }) as never;
  assert.deepEqual(
    validateRoleBinding(rb({ kind: 'ClusterRole', name: 'predictor' }, [{ kind: 'User', name: 'a' }])),
    [],
  );
  assert.deepEqual(validateRoleBinding(rb({ kind: 'ClusterRole', name: 'edit' }, [{ kind: 'Group', name: 'g' }])), []);
  const bad = validateRoleBinding(
    rb({ kind: 'ClusterRole', name: 'cluster-admin' }, [{ kind: 'ServiceAccount', name: 's' }]),
  );
  assert.deepEqual(
    bad.map((p) => p.path),
    ['roleRef.name', 'subjects[0].kind'],
  );
  assert.deepEqual(
    grantsFrom([{ namespace: 'n', role: 'editor', subjects: [{ kind: 'User', name: 'oidc:alice' }] }], 'alice', []),
    [{ namespace: 'n', role: 'editor' }],
  );
});
