// Tokens stored as digests only; verified by digest with expiry; revocation is seen by another open store
// at once (the CLI's --state writes while the server runs).

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { looksLikeToken, tokenDigest } from '../../src/auth/token-secret.js';
import { TokenStore } from '../../src/auth/token-store.js';
import { tokenVerifier } from '../../src/auth/token-verifier.js';
import { createToken } from '../../src/auth/tokens-api.js';
import { parseTtlMs } from '../../src/auth/ttl.js';

function tempStore(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-tokens-'));
  const store = TokenStore.open(dir);
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, store };
}

test('a token is 256 random bits, stored only as its SHA-256 digest', (t) => {
  const { dir, store } = tempStore(t);
  const { token, record } = store.create({ name: 'ci', namespace: 'team-a', role: 'predictor', createdMs: 1 });
  assert.ok(looksLikeToken(token));
  assert.equal(Buffer.from(token.slice('inferd_'.length), 'base64url').length, 32);
  assert.deepEqual(record, { name: 'ci', namespace: 'team-a', role: 'predictor', createdMs: 1 });
  store.close();
  const secret = token.slice('inferd_'.length);
  for (const f of readdirSync(dir)) {
    const bytes = readFileSync(join(dir, f));
    assert.equal(bytes.includes(secret), false, `${f} holds the token`);
  }
  const again = TokenStore.open(dir);
  t.after(() => again.close());
  assert.equal(again.findByDigest(tokenDigest(token))?.record.name, 'ci');
});

test('the verifier: known → identity with its grant; unknown, expired, revoked → invalid; other shapes → not ours', (t) => {
  const { dir, store } = tempStore(t);
  let now = 1_000;
  const verify = tokenVerifier(store, () => now);
  const a = store.create({ name: 'a', namespace: 'team-a', role: 'viewer', createdMs: now, expiresMs: 2_000 });
  assert.deepEqual(verify(a.token), {
    identity: { user: 'token:a', groups: [], source: 'token', grants: [{ namespace: 'team-a', role: 'viewer' }] },
  });
  assert.equal(verify('eyJhbGciOiJSUzI1NiJ9.e30.x'), undefined); // a JWT: left to the next verifier
  assert.ok('invalid' in (verify(`inferd_${'A'.repeat(43)}`) ?? {}));
  now = 2_000;
  assert.match((verify(a.token) as { invalid: string }).invalid, /expired/);
  // Revoked through another handle on the same file (the CLI while the server runs): seen at once.
  const b = store.create({ name: 'b', namespace: 'team-a', role: 'viewer', createdMs: now });
  assert.ok('identity' in (verify(b.token) ?? {}));
  const cli = TokenStore.open(dir);
  assert.equal(cli.revoke('b'), true);
  cli.close();
  assert.match((verify(b.token) as { invalid: string }).invalid, /not known/);
});

test('createToken validates role, names and ttl; names are unique', (t) => {
  const { store } = tempStore(t);
  assert.deepEqual(createToken(store, { role: 'owner', namespace: 'a' }, 0), {
    problems: ['role "owner": expected viewer, predictor, editor or admin'],
  });
  assert.match(
    String((createToken(store, { role: 'viewer', ttl: 'soon' }, 0) as { problems: string[] }).problems),
    /--ttl/,
  );
  const out = createToken(store, { name: 'x', role: 'viewer', namespace: 'a', ttl: '30d' }, 0);
  assert.equal('record' in out && out.record.expiresMs, 30 * 86_400_000);
  assert.throws(() => createToken(store, { name: 'x', role: 'viewer' }, 0), { code: 'ALREADY_EXISTS' });
  assert.equal(parseTtlMs('1d12h'), 36 * 3_600_000);
  assert.equal(parseTtlMs('90m'), 90 * 60_000);
});
