// Issue 10 through a real `inferd serve`: its replicas do not inherit the server's secrets or loader hooks
// (C1), a manifest may not set a loader hook, the Host check covers the logs route, `/readyz` answers on the
// gateway port, and a finalizer holds a deleted InferenceService while its replicas stop and its endpoint is
// withdrawn (L7).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { httpRequest, type Inferd, removeDir, startInferd, waitForCondition } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';

const API = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
const IRIS = '{"instances":[[6.8,2.8,4.8,1.4]]}';
const SECRET = 'e2e-not-a-real-secret-7f3a';
let inferd: Inferd;

before(async () => {
  if (process.platform !== 'linux') {
    // /proc/<pid>/environ is how the test reads a replica's environment; CI runs Linux.
    throw new Error('test/e2e/security.test.ts needs Linux (/proc)');
  }
  inferd = await startInferd({
    env: {
      AWS_SECRET_ACCESS_KEY: SECRET,
      // Harmless, but a loader hook: it must reach no replica.
      NODE_OPTIONS: '--max-http-header-size=16385',
      INFERD_E2E_MARKER: 'server-only',
    },
  });
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

function manifest(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'default' },
    spec: {
      predictor: {
        model: { modelFormat: { name: 'sklearn' }, storageUri: join(repoRoot, 'models', 'sklearn-iris'), ...extra },
      },
    },
  };
}

async function send(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${inferd.url}${path}`, {
    method,
    signal: AbortSignal.timeout(20_000),
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': contentType } }),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected freely
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** Pids whose parent is `ppid` (from /proc/<pid>/stat; the comm field may hold spaces, so split after ')'). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function environOf(pid: number): Map<string, string> {
  const env = new Map<string, string>();
  for (const pair of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = pair.indexOf('=');
    if (eq > 0) env.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return env;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls `cond` every 50 ms up to `ms` (bounded); false if it never held. */
async function until(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

const predict = (name: string) =>
  httpRequest({
    port: inferd.port,
    path: `/v1/models/${name}:predict`,
    headers: { host: `${name}.default.example.com` },
    body: IRIS,
  });

test("a real replica's environment lacks the server's secrets and loader hooks (C1)", async () => {
  const created = await send('POST', API, manifest('env-check'));
  assert.equal(created.status, 201, created.text);
  await waitForCondition(inferd.url, 'default', 'env-check', 'True', 60_000);
  assert.equal((await predict('env-check')).status, 200);
  const serverPid = inferd.proc.pid as number;
  const children = childrenOf(serverPid);
  assert.ok(children.length > 0, 'inferd serve has replica processes');
  // The server itself has them (so the check below is meaningful).
  assert.equal(environOf(serverPid).get('AWS_SECRET_ACCESS_KEY'), SECRET);
  for (const pid of children) {
    const env = environOf(pid);
    assert.ok(env.has('PATH'), `replica ${pid}: the allowlisted PATH is inherited`);
    for (const name of ['AWS_SECRET_ACCESS_KEY', 'NODE_OPTIONS', 'INFERD_E2E_MARKER', 'NODE_TEST_CONTEXT']) {
      assert.equal(env.has(name), false, `replica ${pid} must not inherit ${name}`);
    }
    for (const [name, value] of env) {
      assert.ok(!value.includes(SECRET), `replica ${pid}: ${name} carries the server's secret`);
    }
  }
});

test('a manifest setting NODE_OPTIONS is refused with 422 naming spec.predictor.model.env[0].name (C1)', async () => {
  const res = await send(
    'POST',
    API,
    manifest('env-hook', { env: [{ name: 'NODE_OPTIONS', value: '--import=data:text/javascript,0' }] }),
  );
  assert.equal(res.status, 422, res.text);
  assert.equal(res.json.reason, 'Invalid');
  assert.match(res.json.message, /spec\.predictor\.model\.env\[0\]\.name/);
  assert.ok(
    res.json.details.causes.some((c: { field?: string }) => c.field === 'spec.predictor.model.env[0].name'),
    JSON.stringify(res.json.details),
  );
  assert.equal((await send('GET', `${API}/env-hook`)).status, 404, 'nothing was stored');
});

test('the Host check covers the logs route; /readyz answers on the gateway port', async () => {
  const created = await send('POST', API, manifest('logs-host'));
  assert.equal(created.status, 201, created.text);
  const path = `${API}/logs-host/log?tailLines=5`;
  // A DNS-rebinding page's request carries its own name as Host.
  const rebound = await httpRequest({ port: inferd.port, path, headers: { host: `evil.example:${inferd.port}` } });
  assert.equal(rebound.status, 403, rebound.text);
  assert.equal(JSON.parse(rebound.text).reason, 'Forbidden');
  const own = await httpRequest({ port: inferd.port, path, headers: { host: `127.0.0.1:${inferd.port}` } });
  assert.equal(own.status, 200, own.text);

  const ready = await httpRequest({ port: inferd.port, path: '/readyz' });
  assert.equal(ready.status, 200, ready.text);
  // Probes send any address: the Host check does not apply to /readyz.
  const probed = await httpRequest({ port: inferd.port, path: '/readyz', headers: { host: 'kubelet.internal' } });
  assert.equal(probed.status, 200, probed.text);
});

test('a finalizer holds a deleted InferenceService: replicas stop, endpoint withdrawn, removed with the finalizer (L7)', async () => {
  const withFinalizer = manifest('fin');
  (withFinalizer.metadata as Record<string, unknown>).finalizers = ['example.com/cleanup'];
  const created = await send('POST', API, withFinalizer);
  assert.equal(created.status, 201, created.text);
  await waitForCondition(inferd.url, 'default', 'fin', 'True', 60_000);
  assert.equal((await predict('fin')).status, 200);
  // The replica serving `fin`: its pid is in the service's log ("replica started", pid). Packed by default, it
  // may be a model host shared with the namespace's other services: then the model is unloaded and the host
  // stays for them.
  const logText = (await send('GET', `${API}/fin/log?tailLines=200`)).text;
  const started = logText
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { pid?: number; msg?: string })
    .filter((r) => typeof r.pid === 'number' && /^replica started/.test(r.msg ?? ''))
    .at(-1);
  const replicaPid = started?.pid;
  const packed = /shared model host/.test(started?.msg ?? '');
  assert.ok(replicaPid && alive(replicaPid), `a live replica pid in fin's log:\n${logText}`);

  const del = await send('DELETE', `${API}/fin`);
  assert.equal(del.status, 200, del.text);
  assert.equal(del.json.kind, 'InferenceService');
  assert.ok(del.json.metadata.deletionTimestamp, 'deletionTimestamp set');
  if (!packed) {
    assert.ok(await until(() => !alive(replicaPid)), `replica ${replicaPid} stopped while the object is deleting`);
  }
  assert.ok(await until(async () => (await predict('fin')).status === 404), 'the endpoint is withdrawn');
  const held = await send('GET', `${API}/fin`);
  assert.equal(held.status, 200, 'the object stays until its finalizer is removed');
  assert.ok(held.json.metadata.deletionTimestamp);

  const done = await send('PATCH', `${API}/fin`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
  assert.equal(done.status, 200, done.text);
  assert.equal((await send('GET', `${API}/fin`)).status, 404);
});
