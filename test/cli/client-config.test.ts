// Where the CLI's CA for an https server comes from: --ca-file, INFERD_CA_FILE, the context's
// certificate-authority-data or certificate-authority; unreadable or non-PEM files name themselves.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveClientSettings } from '../../src/cli/client-config.js';

const pem = (n: string) => `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----\n`;

test('CA for an https server: flag, then env, then the context (data or file); none → the system CAs', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-client-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const flagCa = file('flag.crt', pem('FLAG'));
  const envCa = file('env.crt', pem('ENV'));
  const ctxCa = file('ctx.crt', pem('CTX'));
  const config = file(
    'config',
    `current-context: a\ncontexts:\n- name: a\n  server: https://a:8443\n  certificate-authority: ${ctxCa}\n` +
      `- name: b\n  server: https://b:8443\n  certificate-authority-data: ${Buffer.from(pem('DATA')).toString('base64')}\n` +
      '- name: c\n  server: https://c:8443\n',
  );
  const env = { INFERD_CONFIG: config };
  assert.equal(resolveClientSettings({ 'ca-file': flagCa }, { ...env, INFERD_CA_FILE: envCa }).ca, pem('FLAG'));
  assert.equal(resolveClientSettings({}, { ...env, INFERD_CA_FILE: envCa }).ca, pem('ENV'));
  assert.equal(resolveClientSettings({}, env).ca, pem('CTX'));
  // an https --server keeps the current context's CA, as kubectl keeps the cluster's with --server
  assert.equal(resolveClientSettings({ server: 'https://a:8443', namespace: 'x' }, env).ca, pem('CTX'));
  assert.equal(resolveClientSettings({ context: 'b' }, env).ca, pem('DATA'));
  assert.equal(resolveClientSettings({ context: 'c' }, env).ca, undefined);
  assert.throws(() => resolveClientSettings({ 'ca-file': join(dir, 'missing.crt') }, env), {
    code: 'INVALID_CONFIG',
    message: /--ca-file .*missing\.crt: cannot read it/,
  });
  assert.throws(() => resolveClientSettings({ 'ca-file': config }, env), {
    code: 'INVALID_CONFIG',
    message: /--ca-file .*config: no PEM certificate/,
  });
});
