// The OIDC verifier against a real, certified OpenID provider on loopback (the `oidc-provider` package):
// discovery and JWKS as it serves them, client-credentials access tokens issued as JWTs (typ at+jwt).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Grant, VerifyResult } from '../../src/auth/identity.js';
import { OidcVerifier } from '../../src/auth/oidc.js';
import { grantsFrom } from '../../src/auth/role-bindings.js';
import { createLogger } from '../../src/log.js';
import { type ProviderIssuer, startProviderIssuer } from '../support/oidc-provider-issuer.js';

let op: ProviderIssuer;
const log = createLogger({ level: 'error', write: () => {} });
const bindings = [
  { namespace: 'team-a', role: 'predictor' as const, subjects: [{ kind: 'User' as const, name: 'script' }] },
  { namespace: 'team-b', role: 'viewer' as const, subjects: [{ kind: 'Group' as const, name: 'ml' }] },
];
const grantSource = { grantsFor: (u: string, g: readonly string[]): Grant[] => grantsFrom(bindings, u, g) };

async function verify(v: OidcVerifier, token: string): Promise<VerifyResult | undefined> {
  await v.prepare(token);
  return v.verifier()(token);
}

before(async () => {
  op = await startProviderIssuer({ audience: 'inferd', clients: ['script', 'other'], groups: { script: ['ml'] } });
});
after(() => op?.close());

test("oidc-provider's client-credentials JWT: the client is the user, its groups and bindings its grants", async () => {
  const v = new OidcVerifier({ issuer: op.url, audience: 'inferd', bindings: grantSource, log });
  const r = await verify(v, await op.token('script'));
  assert.ok(r && 'identity' in r, JSON.stringify(r));
  assert.equal(r.identity.user, 'script');
  assert.deepEqual(r.identity.groups, ['ml']);
  assert.deepEqual(r.identity.grants, [
    { namespace: 'team-a', role: 'predictor' },
    { namespace: 'team-b', role: 'viewer' },
  ]);
  const o = await verify(v, await op.token('other'));
  assert.ok(o && 'identity' in o);
  assert.deepEqual(o.identity.grants, []);
});

test("oidc-provider's token for another audience, or tampered, is refused", async () => {
  const v = new OidcVerifier({ issuer: op.url, audience: 'someone-else', bindings: grantSource, log });
  const token = await op.token('script');
  const r = await verify(v, token);
  assert.ok(r && 'invalid' in r);
  assert.match(r.invalid, /audience does not include someone-else/);
  const good = new OidcVerifier({ issuer: op.url, audience: 'inferd', bindings: grantSource, log });
  const [h, p, s] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'root' })).toString('base64url')}.${s}`;
  const f = await verify(good, forged);
  assert.ok(f && 'invalid' in f);
  assert.match(f.invalid, /signature does not verify/);
});
