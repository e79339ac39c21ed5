import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runKubeconfig } from '../../src/cli/commands/kubeconfig.js';
import { kubeconfigFor, mergeKubeconfig } from '../../src/cli/kubeconfig.js';

function io(env: Record<string, string | undefined> = {}) {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: {
        write: (s: string) => {
          out += s;
        },
      },
      stderr: {
        write: (s: string) => {
          err += s;
        },
      },
      env: { HOME: '/nonexistent', ...env },
    },
    out: () => out,
    err: () => err,
  };
}

test('kubeconfigFor: one cluster, user and context named alike, current, with the namespace', () => {
  assert.deepEqual(kubeconfigFor({ name: 'inferd', server: 'http://127.0.0.1:8080', namespace: 'kserve-test' }), {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: 'inferd', cluster: { server: 'http://127.0.0.1:8080' } }],
    users: [{ name: 'inferd', user: {} }],
    contexts: [{ name: 'inferd', context: { cluster: 'inferd', user: 'inferd', namespace: 'kserve-test' } }],
    'current-context': 'inferd',
  });
  assert.deepEqual(kubeconfigFor({ name: 'x', server: 'http://h:1', token: 't0k' }).users, [
    { name: 'x', user: { token: 't0k' } },
  ]);
});

test('mergeKubeconfig keeps other entries, replaces same-named ones, switches current-context', () => {
  const existing = {
    apiVersion: 'v1' as const,
    kind: 'Config' as const,
    clusters: [
      { name: 'kind', cluster: { server: 'https://k' } },
      { name: 'inferd', cluster: { server: 'http://old' } },
    ],
    users: [{ name: 'kind', user: { token: 'k' } }],
    contexts: [{ name: 'kind', context: { cluster: 'kind', user: 'kind' } }],
    'current-context': 'kind',
  };
  const merged = mergeKubeconfig(existing, { name: 'inferd', server: 'http://new:8080' });
  assert.deepEqual(
    merged.clusters.map((c) => c.name),
    ['kind', 'inferd'],
  );
  assert.deepEqual(merged.clusters[1], { name: 'inferd', cluster: { server: 'http://new:8080' } });
  assert.equal(merged.users.length, 2);
  assert.equal(merged['current-context'], 'inferd');
});

test('inferd kubeconfig prints YAML for --server; --write merges into a file with mode 0600', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-kubeconfig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const printed = io();
  assert.equal(await runKubeconfig(['--server', 'http://127.0.0.1:9999', '-n', 'team-x'], printed.io as never), 0);
  const doc = parse(printed.out());
  assert.equal(doc.clusters[0].cluster.server, 'http://127.0.0.1:9999');
  assert.equal(doc.contexts[0].context.namespace, 'team-x');

  const file = join(dir, 'config');
  writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: [{name: other, cluster: {server: "https://o"}}]\n');
  const wrote = io({ INFERD_SERVER: 'http://127.0.0.1:7777' });
  assert.equal(await runKubeconfig(['--write', file], wrote.io as never), 0, wrote.err());
  assert.match(wrote.out(), /wrote context "inferd"/);
  const saved = parse(readFileSync(file, 'utf8'));
  assert.deepEqual(
    saved.clusters.map((c: { name: string }) => c.name),
    ['other', 'inferd'],
  );
  assert.equal(saved.clusters[1].cluster.server, 'http://127.0.0.1:7777');
  assert.equal(saved['current-context'], 'inferd');
  assert.equal(statSync(file).mode & 0o777, 0o600);

  const bad = io();
  writeFileSync(join(dir, 'bad'), 'clusters: [unclosed\n');
  assert.equal(await runKubeconfig(['--write', join(dir, 'bad')], bad.io as never), 1);
  assert.match(bad.err(), /cannot parse .* as a kubeconfig/);
});

test('kubeconfigFor: an https server with a CA gets certificate-authority-data (the PEM, base64)', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const doc = kubeconfigFor({ name: 'inferd', server: 'https://127.0.0.1:8443', ca: pem });
  assert.deepEqual(doc.clusters, [
    {
      name: 'inferd',
      cluster: { server: 'https://127.0.0.1:8443', 'certificate-authority-data': Buffer.from(pem).toString('base64') },
    },
  ]);
});
