// Load and run limits through a real `inferd serve` (issue 10, M3 and M6): a model whose load hangs fails at its
// annotation's load timeout with ModelLoadTimeout (its hung Python worker killed too); a replica pushed over
// resources.limits.memory by big requests is killed and restarted with OOMKilled in its status. Meanwhile
// the server and another model keep answering quickly.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Inferd, removeDir, runCli, startInferd, waitForCondition } from '../helpers/inferd.js';
import { fixturesDir, repoRoot } from '../helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'inferd-limits-e2e-'));
const HANG_PID = join(work, 'hung-python.pid');
const IRIS = join(repoRoot, 'models', 'sklearn-iris');
const ROW = [6.8, 2.8, 4.8, 1.4];
let inferd: Inferd;

before(async () => {
  // A "python" that never starts the worker: the fallback's own start timeout is 60 s, the annotation's is shorter.
  const hang = join(work, 'hung-python');
  writeFileSync(hang, `#!/bin/sh\necho $$ > ${JSON.stringify(HANG_PID)}\nexec sleep 300\n`);
  chmodSync(hang, 0o755);
  inferd = await startInferd({ args: ['--python', hang, '--standby-replicas', '0'] });
  await apply(manifest('other', IRIS));
  await waitForCondition(inferd.url, 'default', 'other', 'True', 30_000);
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
  rmSync(work, { recursive: true, force: true });
});

function manifest(name: string, storageUri: string, extra: { annotations?: string; resources?: string } = {}): string {
  return `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: ${name}
${extra.annotations ? `  annotations:\n${extra.annotations}\n` : ''}spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: ${JSON.stringify(storageUri)}
${extra.resources ?? ''}`;
}

async function apply(yaml: string): Promise<void> {
  const res = await runCli(['apply', '-f', '-', '--server', inferd.url], { input: yaml });
  assert.equal(res.code, 0, res.stderr);
}

/** One iris predict on the other model: its latency in ms (and it must answer correctly). */
async function otherModelLatencyMs(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${inferd.url}/v1/models/other:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [ROW] }),
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { predictions: [1] });
  return performance.now() - started;
}

interface Isvc {
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    components?: { predictor?: { restartCount?: number } };
    modelStatus?: { lastFailureInfo?: { reason: string; message: string; exitCode?: number } };
  };
}

async function getIsvc(name: string): Promise<Isvc> {
  const res = await fetch(`${inferd.url}/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices/${name}`);
  return (await res.json()) as Isvc;
}

/** True once `pid` has exited (a zombie waiting for init to reap it counts as exited); bounded by timeoutMs. */
async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let state: string | undefined;
    try {
      state = /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    } catch {
      return true;
    }
    if (state === 'Z' || state === 'X') return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Samples the other model while `until` is pending: median and worst latency. The bounds asserted on them are
 * generous (a shared 2-core CI box under load stalls any process for a while); the figures go to the log.
 */
async function latencyWhile(until: Promise<unknown>): Promise<{ median: number; worst: number; text: string }> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const samples: number[] = [];
  do samples.push(await otherModelLatencyMs());
  while (!done);
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  const worst = samples[samples.length - 1]!;
  return {
    median,
    worst,
    text: `${samples.length} requests, median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms`,
  };
}

test('a load that hangs fails at the annotation load timeout with ModelLoadTimeout; its worker is killed', async (t) => {
  const started = Date.now();
  await apply(
    manifest('slow-load', join(fixturesDir, 'python-fallback', 'models', 'qda_iris'), {
      // Counted from the fork: 10 s leaves a loaded CI box time to boot the replica and start the "python".
      annotations: '    serving.inferd.dev/load-timeout: 10s',
    }),
  );
  const failed = waitForCondition(inferd.url, 'default', 'slow-load', 'False', 50_000);
  const other = await latencyWhile(failed);
  const isvc = (await failed) as Isvc;
  const tookMs = Date.now() - started;
  t.diagnostic(`Ready=False after ${tookMs} ms; the other model meanwhile: ${other.text}`);
  const ready = isvc.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.reason, 'ModelLoadTimeout', JSON.stringify(ready));
  assert.match(ready?.message ?? '', /did not load within 10s/);
  assert.match(ready?.message ?? '', /serving\.inferd\.dev\/load-timeout/);
  assert.equal(isvc.status?.modelStatus?.lastFailureInfo?.reason, 'ModelLoadTimeout');
  assert.ok(tookMs >= 10_000, `failed after ${tookMs} ms, before its timeout`);
  assert.ok(other.median < 1_000 && other.worst < 10_000, other.text);
  // The hung "python" the replica started is gone with it, not orphaned.
  assert.ok(existsSync(HANG_PID), 'the fallback was started');
  const pid = Number(readFileSync(HANG_PID, 'utf8').trim());
  assert.ok(await gone(pid, 5_000), `hung worker ${pid} still runs`);
});

test('a replica pushed over resources.limits.memory restarts with OOMKilled; server and other models unaffected', async (t) => {
  await apply(
    manifest('mem-limited', IRIS, { resources: '      resources:\n        limits:\n          memory: 256Mi\n' }),
  );
  await waitForCondition(inferd.url, 'default', 'mem-limited', 'True', 30_000);
  // 14 MB of instances per request, 6 at once (4 of 7 MB peak at ~210 MiB and pass): well over 256Mi.
  const rows = Array.from({ length: 800_000 }, () => ROW);
  const body = JSON.stringify({ instances: rows });
  const started = Date.now();
  const big = Promise.all(
    Array.from({ length: 6 }, () =>
      fetch(`${inferd.url}/v1/models/mem-limited:predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }).then(
        async (r) => ({ status: r.status, text: (await r.text()).slice(0, 200) }),
        (e: Error) => ({ status: 0, text: e.message }),
      ),
    ),
  );
  const oom = (async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const st = (await getIsvc('mem-limited')).status;
      if (st?.modelStatus?.lastFailureInfo?.reason === 'OOMKilled') return Date.now() - started;
      if (Date.now() > deadline) throw new Error(`no OOMKilled in 60 s: ${JSON.stringify(st)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const other = await latencyWhile(Promise.allSettled([big, oom]));
  const answers = await big;
  const oomAfterMs = await oom;
  t.diagnostic(`answers to the big requests: ${JSON.stringify(answers.map((a) => a.status))}`);
  t.diagnostic(`OOMKilled in status ${oomAfterMs} ms after the requests; the other model meanwhile: ${other.text}`);
  // Requests in flight on the killed replica get 502 (as behind a Kubernetes Service); none hangs.
  for (const a of answers) assert.ok([200, 502, 503].includes(a.status), JSON.stringify(a));
  assert.ok(other.median < 1_000 && other.worst < 20_000, other.text);
  // Restarted (back-off 1 s) and Ready again, the termination still on record, as a Pod's lastState.
  const back = (await waitForCondition(inferd.url, 'default', 'mem-limited', 'True', 30_000)) as Isvc;
  assert.ok((back.status?.components?.predictor?.restartCount ?? 0) >= 1);
  const last = back.status?.modelStatus?.lastFailureInfo;
  assert.equal(last?.reason, 'OOMKilled');
  assert.equal(last?.exitCode, 137);
  assert.match(last?.message ?? '', /256Mi/);
  const ok = await fetch(`${inferd.url}/v1/models/mem-limited:predict`, {
    method: 'POST',
    body: JSON.stringify({ instances: [ROW] }),
  });
  assert.equal(ok.status, 200);
});

test('a bad load-timeout annotation or memory quantity is refused at apply with its path', async () => {
  const res = await runCli(['apply', '-f', '-', '--server', inferd.url], {
    input: manifest('bad-limits', IRIS, {
      annotations: '    serving.inferd.dev/load-timeout: soon',
      resources: '      resources:\n        limits:\n          memory: lots\n',
    }),
  });
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /serving\.inferd\.dev\/load-timeout/);
  assert.match(res.stderr, /spec\.predictor\.model\.resources\.limits\.memory/);
});
