// kubectl conformance: the kubectl on this machine (1.32 here; Debian's kubernetes-client in CI where none is
// present), with no extra flags, against a real `inferd serve` through a kubeconfig from `inferd kubeconfig`:
// apply (client-side, 3-way merge), get (server-side Tables, -o yaml|json|jsonpath|custom-columns), get -w,
// describe, wait, patch (old-style merge patch), edit (KUBE_EDITOR script), create namespace, delete.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Inferd, removeDir, runCli, startInferd } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let inferd: Inferd;
let dir: string;
let env: NodeJS.ProcessEnv;
let kubectlMissing: string | undefined;
/** The kubectl to test: $KUBECTL (e.g. Debian's 1.20 unpacked somewhere), else the one on the PATH. */
const KUBECTL = process.env.KUBECTL || 'kubectl';

function kubectl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, args, { env, timeout: opts.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function ok(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string> {
  const r = await kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

before(async () => {
  kubectlMissing = await new Promise<string | undefined>((resolve) =>
    execFile(KUBECTL, ['version', '--client'], { timeout: 30_000 }, (err) =>
      resolve(err ? `kubectl is not on the PATH (${err.message})` : undefined),
    ),
  );
  if (kubectlMissing) return;
  dir = mkdtempSync(join(tmpdir(), 'inferd-kubectl-'));
  inferd = await startInferd();
  const kubeconfig = join(dir, 'kubeconfig');
  const wrote = await runCli(['kubeconfig', '--server', inferd.url, '--write', kubeconfig]);
  assert.equal(wrote.code, 0, wrote.stderr);
  // Only the kubeconfig: nothing from the developer's ~/.kube leaks in.
  env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig };
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
  if (dir) removeDir(dir);
});

function needKubectl(t: { skip(msg: string): void }): boolean {
  if (!kubectlMissing) return true;
  // CI installs kubectl (.ci/run: kubernetes-client): there a missing prerequisite is a failure.
  assert.notEqual(process.env.CI, 'true', `${kubectlMissing} under CI=true`);
  t.skip(`${kubectlMissing}: apt-get install kubernetes-client`);
  return false;
}

const NEW_STYLE = join(repoRoot, 'examples', 'sklearn-iris.yaml');
const OLD_STYLE = join(repoRoot, 'examples', 'sklearn-iris-old-style.yaml');
const NS = ['-n', 'kserve-test'];

test("kubectl apply (no flags), wait, and get -A with KServe's columns", async (t) => {
  if (!needKubectl(t)) return;
  assert.equal(
    (await ok(['apply', '-f', NEW_STYLE])).trim(),
    'inferenceservice.serving.kserve.io/sklearn-iris created',
  );
  assert.equal(
    (await ok(['apply', '-f', OLD_STYLE])).trim(),
    'inferenceservice.serving.kserve.io/sklearn-iris-v1 created',
  );
  assert.equal(
    (await ok(['apply', '-f', NEW_STYLE])).trim(),
    'inferenceservice.serving.kserve.io/sklearn-iris unchanged',
  );
  for (const name of ['sklearn-iris', 'sklearn-iris-v1']) {
    const waited = await ok(['wait', '--for=condition=Ready', `isvc/${name}`, ...NS, '--timeout=90s'], {
      timeoutMs: 100_000,
    });
    assert.match(waited, /condition met/);
  }
  const lines = (await ok(['get', 'isvc', '-A'])).trimEnd().split('\n');
  assert.deepEqual(lines[0]!.split(/\s+/), [
    'NAMESPACE',
    'NAME',
    'URL',
    'READY',
    'PREV',
    'LATEST',
    'PREVROLLEDOUTREVISION',
    'LATESTREADYREVISION',
    'AGE',
  ]);
  const row = lines.find((l) => /^kserve-test\s+sklearn-iris\s/.test(l));
  assert.ok(row, lines.join('\n'));
  assert.match(
    row,
    /http:\/\/sklearn-iris\.kserve-test\.example\.com\s+True\s+100\s+sklearn-iris-predictor-\d+\s+\d+s/,
  );
});

test('kubectl get -o yaml|json|jsonpath|custom-columns, describe', async (t) => {
  if (!needKubectl(t)) return;
  const json = JSON.parse(await ok(['get', 'isvc', 'sklearn-iris', ...NS, '-o', 'json']));
  assert.equal(json.spec.predictor.model.modelFormat.name, 'sklearn');
  assert.match(json.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], /"sklearn-iris"/);
  assert.match(await ok(['get', 'isvc', 'sklearn-iris', ...NS, '-o', 'yaml']), /^kind: InferenceService$/m);
  assert.equal(
    await ok(['get', 'isvc', 'sklearn-iris', ...NS, '-o', 'jsonpath={.status.url}']),
    'http://sklearn-iris.kserve-test.example.com',
  );
  const cols = await ok([
    'get',
    'isvc',
    ...NS,
    '-o',
    'custom-columns=NAME:.metadata.name,FORMAT:.spec.predictor.model.modelFormat.name,READY:.status.conditions[?(@.type=="Ready")].status',
  ]);
  assert.match(cols, /^NAME\s+FORMAT\s+READY\n/);
  assert.match(cols, /^sklearn-iris\s+sklearn\s+True$/m);
  assert.match(cols, /^sklearn-iris-v1\s+sklearn\s+True$/m);
  const described = await ok(['describe', 'isvc', 'sklearn-iris', ...NS]);
  assert.match(described, /^Name:\s+sklearn-iris$/m);
  assert.match(described, /Storage Uri:\s+models\/sklearn-iris/);
  const rt = await ok(['get', 'clusterservingruntime', 'kserve-sklearnserver']);
  assert.match(rt, /^NAME\s+DISABLED\s+MODELTYPE\s+CONTAINERS\s+AGE\n/);
  assert.match(rt, /^kserve-sklearnserver\s+sklearn\s+kserve-container\s+/m);
});

test('kubectl apply of a changed manifest sends a 3-way merge patch: removed fields go away', async (t) => {
  if (!needKubectl(t)) return;
  const changed = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sklearn-iris
  namespace: kserve-test
  labels: {team: a}
spec:
  predictor:
    minReplicas: 1
    model:
      modelFormat: {name: sklearn}
      storageUri: models/sklearn-iris
`;
  assert.match(await ok(['apply', '-f', '-'], { input: changed }), /sklearn-iris configured/);
  let obj = JSON.parse(await ok(['get', 'isvc', 'sklearn-iris', ...NS, '-o', 'json']));
  assert.equal(obj.metadata.labels.team, 'a');
  assert.equal(obj.spec.predictor.minReplicas, 1);
  assert.match(await ok(['apply', '-f', NEW_STYLE]), /sklearn-iris configured/);
  obj = JSON.parse(await ok(['get', 'isvc', 'sklearn-iris', ...NS, '-o', 'json']));
  assert.equal(obj.metadata.labels?.team, undefined);
  assert.equal(obj.spec.predictor.minReplicas, undefined);
});

test('kubectl patch with an old-style merge patch converts it (KServe defaults before validating)', async (t) => {
  if (!needKubectl(t)) return;
  const patch = '{"spec":{"predictor":{"sklearn":{"storageUri":"models/sklearn-iris/model.joblib"}}}}';
  assert.match(await ok(['patch', 'isvc', 'sklearn-iris-v1', ...NS, '--type', 'merge', '-p', patch]), /patched/);
  const obj = JSON.parse(await ok(['get', 'isvc', 'sklearn-iris-v1', ...NS, '-o', 'json']));
  assert.equal(obj.spec.predictor.sklearn, undefined);
  assert.equal(obj.spec.predictor.model.storageUri, 'models/sklearn-iris/model.joblib');
});

test('kubectl edit with KUBE_EDITOR set to a script', async (t) => {
  if (!needKubectl(t)) return;
  const editor = join(dir, 'editor.mjs');
  // Adds a label right under `metadata:` (the object has no labels) in the file kubectl hands over.
  writeFileSync(
    editor,
    `import { readFileSync, writeFileSync } from 'node:fs';
const file = process.argv[2];
writeFileSync(file, readFileSync(file, 'utf8').replace(/^metadata:\\n/m, 'metadata:\\n  labels:\\n    edited: "yes"\\n'));
`,
  );
  const edited = await new Promise<Run>((resolve) => {
    execFile(
      KUBECTL,
      ['edit', 'isvc', 'sklearn-iris-v1', ...NS],
      { env: { ...env, KUBE_EDITOR: `${process.execPath} ${editor}` }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
    );
  });
  assert.equal(edited.code, 0, edited.stderr);
  assert.match(edited.stdout, /sklearn-iris-v1 edited/);
  assert.equal(await ok(['get', 'isvc', 'sklearn-iris-v1', ...NS, '-o', 'jsonpath={.metadata.labels.edited}']), 'yes');
});

test('kubectl get -w prints the table, then a row per change (bounded)', async (t) => {
  if (!needKubectl(t)) return;
  const child = spawn(KUBECTL, ['get', 'isvc', 'sklearn-iris', ...NS, '-w'], { env });
  t.after(() => child.kill());
  let out = '';
  let errors = '';
  child.stderr.on('data', (d: Buffer) => {
    errors += d;
  });
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d;
    for (const w of [...waiters]) w();
  });
  const seen = (re: RegExp, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      const check = () => {
        if (!re.test(out)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${re} within ${ms} ms; got:\n${out}\nstderr:\n${errors}`));
      }, ms);
      waiters.add(check);
      check();
    });
  await seen(/^NAME\s+URL\s+READY.*\n(sklearn-iris\s.*\n)/m, 15_000);
  // A change (a MODIFIED event) prints a second row, with no second header. kubectl watches a single object
  // from resourceVersion 0 and drops the watch's first event (the object it already printed), so a change
  // made before its watch request lands is not shown, as on a real cluster: change it again until one shows.
  const secondRow = /^sklearn-iris\s.*\n(?:.*\n)*sklearn-iris\s.*\n/m;
  for (let i = 0; i < 5 && !secondRow.test(out); i++) {
    await ok(['label', 'isvc', 'sklearn-iris', ...NS, '--overwrite', `watched=${i}`]);
    await seen(secondRow, 3_000).catch(() => {});
  }
  assert.match(out, secondRow);
  assert.equal(out.match(/^NAME\s/gm)?.length, 1);
});

test('kubectl create namespace, then a predictor with no storageUri there is a multi-model server; kubectl get tm', async (t) => {
  if (!needKubectl(t)) return;
  assert.equal((await ok(['create', 'namespace', 'team-x'])).trim(), 'namespace/team-x created');
  assert.match(await ok(['get', 'namespace', 'team-x']), /^team-x\s+Active\s+/m);
  assert.match(await ok(['create', 'secret', 'generic', 's1', '--from-literal=a=b', '-n', 'team-x']), /created/);
  assert.match(await ok(['get', 'secret', 's1', '-n', 'team-x']), /^s1\s+Opaque\s+1\s+/m);
  const noStorage = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: nostore, namespace: team-x}
spec:
  predictor:
    sklearn: {protocolVersion: v1}
`;
  assert.match(await ok(['apply', '-f', '-'], { input: noStorage }), /nostore created/);
  await ok(['wait', '--for=condition=Ready', 'isvc/nostore', '-n', 'team-x', '--timeout=30s']);
  const tm = `apiVersion: serving.kserve.io/v1alpha1
kind: TrainedModel
metadata: {name: iris-a, namespace: team-x}
spec:
  inferenceService: nostore
  model: {storageUri: models/sklearn-iris, framework: sklearn, memory: 64Mi}
`;
  assert.match(await ok(['apply', '-f', '-'], { input: tm }), /trainedmodel.serving.kserve.io\/iris-a created/);
  await ok(['wait', '--for=condition=Ready', 'tm/iris-a', '-n', 'team-x', '--timeout=30s']);
  // KServe's printer columns: NAME URL READY AGE.
  const table = await ok(['get', 'tm', '-n', 'team-x']);
  assert.match(table, /^NAME\s+URL\s+READY\s+AGE\s*$/m);
  assert.match(table, /^iris-a\s+http:\/\/nostore\.team-x\.\S+\/v1\/models\/iris-a:predict\s+True\s+/m);
});

test('kubectl delete, then wait --for=delete', async (t) => {
  if (!needKubectl(t)) return;
  assert.match(await ok(['delete', 'isvc', 'sklearn-iris-v1', ...NS]), /deleted/);
  const waited = await kubectl(['wait', '--for=delete', 'isvc/sklearn-iris-v1', ...NS, '--timeout=30s']);
  // kubectl < 1.23 answers an object that is already gone with "no matching resources found".
  assert.ok(waited.code === 0 || /no matching resources found/.test(waited.stderr), waited.stderr);
  assert.match(await ok(['delete', '-f', NEW_STYLE]), /sklearn-iris" deleted/);
  const left = await kubectl(['get', 'isvc', 'sklearn-iris', ...NS]);
  assert.equal(left.code, 1);
  assert.match(left.stderr, /NotFound/);
});

test('kubectl apply of an InferenceGraph and get ig with its CRD columns (NAME URL READY AGE)', async (t) => {
  if (!needKubectl(t)) return;
  const graph = `apiVersion: serving.kserve.io/v1alpha1
kind: InferenceGraph
metadata:
  name: kubectl-graph
spec:
  nodes:
    root:
      routerType: Sequence
      steps:
      - serviceName: not-there
`;
  assert.equal(
    (await ok(['apply', '-f', '-'], { input: graph })).trim(),
    'inferencegraph.serving.kserve.io/kubectl-graph created',
  );
  const table = await ok(['get', 'ig', 'kubectl-graph']);
  const [head, row] = table.trim().split('\n');
  assert.deepEqual(head!.split(/\s+/), ['NAME', 'URL', 'READY', 'AGE']);
  assert.match(row!, /^kubectl-graph\s+(<none>\s+)?(False|<none>)?\s*\S+$/);
  await ok(['delete', 'ig', 'kubectl-graph']);
});
