// `inferd operator --kubeconfig FILE` as its own process (the container's entrypoint): it reads the
// kubeconfig with @kubernetes/client-node, takes the Lease, and creates the Deployment for a service.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Resource } from '../../src/api/types.js';
import { cliEntry } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';
import { startKubeApi } from './kube-harness.js';

test('inferd operator --kubeconfig: leads on its Lease and writes the revision Deployment', async (t) => {
  const api = await startKubeApi();
  t.after(() => api.close());
  const dir = mkdtempSync(join(tmpdir(), 'inferd-op-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'config');
  // @kubernetes/client-node refuses a plain-http server unless the cluster says insecure-skip-tls-verify.
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: "${api.url}", insecure-skip-tls-verify: true}}]
users: [{name: test, user: {token: not-checked}}]
contexts: [{name: test, context: {cluster: test, user: test}}]
current-context: test
`,
  );
  const child = spawn(
    process.execPath,
    [
      cliEntry,
      'operator',
      '--kubeconfig',
      kubeconfig,
      '--claim-unannotated',
      '--lease-namespace',
      'default',
      '--image',
      'example/inferd:dev',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
  await api.client.create({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'iris', namespace: 'default' },
    spec: { predictor: { sklearn: { storageUri: 'gs://kfserving-examples/models/sklearn/1.0/model' } } },
  } as Resource);
  const deadline = Date.now() + 30_000;
  let dep: Resource | undefined;
  while (!dep) {
    assert.equal(child.exitCode, null, `the operator exited: ${stderr}`);
    assert.ok(Date.now() < deadline, `no Deployment after 30 s: ${stderr.slice(-2000)}`);
    dep = await api.client.find<Resource>('Deployment', 'default', 'iris-predictor-00001');
    if (!dep) await new Promise((r) => setTimeout(r, 100));
  }
  const pod = (dep.spec as { template: { spec: { containers: { image: string; args: string[] }[] } } }).template.spec;
  assert.equal(pod.containers[0]!.image, 'example/inferd:dev');
  // The old-style predictor (sklearn: {storageUri}) was defaulted to the new style before planning.
  assert.ok(pod.containers[0]!.args.includes('--model_format'));
  const lease = await api.client.get<Resource>('Lease', 'default', 'inferd-operator');
  assert.ok((lease.spec as { holderIdentity?: string }).holderIdentity);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, stderr);

  // The gateway as its own process: it lists and watches through the same kubeconfig and serves /healthz.
  const gw = spawn(
    process.execPath,
    [cliEntry, 'gateway', '--kubeconfig', kubeconfig, '--port', '0', '--host', '127.0.0.1'],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(async () => {
    if (gw.exitCode === null) {
      gw.kill('SIGTERM');
      await once(gw, 'exit');
    }
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway printed no address: ${out}`)), 30_000);
    gw.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    gw.once('exit', (c) => reject(new Error(`the gateway exited ${c}`)));
  });
  const health = await fetch(`${url}/healthz`);
  assert.equal(health.status, 200);
  gw.kill('SIGTERM');
  assert.deepEqual(await once(gw, 'exit'), [0, null]);
});
