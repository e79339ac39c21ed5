// `npm run conformance`: KServe v0.12.1's own e2e tests (vendored, unmodified, in kserve-v0.12.1/) run with
// Debian's python3 and pytest against a fresh `inferd serve`, the way KServe's CI runs them against a cluster:
// a kubeconfig naming inferd's control API, KSERVE_INGRESS_HOST_PORT naming its gateway, and the gs:// models
// the tests name served from a local GCS emulator (STORAGE_EMULATOR_HOST), made at run time by
// make_fixtures.py. Tests that need a container image, a Kubernetes-only object or a feature inferd lacks are
// listed in NOT_RUNNABLE with the reason (docs/compatibility.md, "KServe e2e suite"). Exit code 0 only when
// every selected test passes. Under CI=true a missing prerequisite fails; elsewhere it is reported and skipped.
//
// Harness-side shims (shim/sitecustomize.py): stand-ins for modules Debian bookworm does not package
// (orjson, portforward, timing_asgi, cloudevents, ray, tritonclient, grpc_interceptor, google.cloud, azure),
// which the SDK's __init__ and common/utils.py import but the selected tests never call.

import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { removeDir, startInferd } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';
import { startGcsEmulator } from '../support/gcs-emulator.js';

const PYTHON = '/usr/bin/python3';
const HERE = join(repoRoot, 'test', 'conformance');
const KSERVE = join(HERE, 'kserve-v0.12.1');
const E2E = join(KSERVE, 'test', 'e2e');
/** Python modules the runner needs, with the Debian package that provides each. */
const PREREQUISITES: Record<string, string> = {
  pytest: 'python3-pytest',
  kubernetes: 'python3-kubernetes',
  sklearn: 'python3-sklearn',
  xgboost: 'python3-xgboost',
  pandas: 'python3-pandas',
  grpc: 'python3-grpcio',
  google: 'python3-protobuf',
  requests: 'python3-requests',
  fastapi: 'python3-fastapi',
  uvicorn: 'python3-uvicorn',
  prometheus_client: 'python3-prometheus-client',
  psutil: 'python3-psutil',
  tabulate: 'python3-tabulate',
  httpx: 'python3-httpx',
  yaml: 'python3-yaml',
};

/** The tests that run here: they need only model files (pytest node ids, relative to test/e2e). */
export const RUNNABLE = [
  'predictor/test_sklearn.py::test_sklearn_kserve',
  'predictor/test_sklearn.py::test_sklearn_v2_mlserver',
  'predictor/test_sklearn.py::test_sklearn_runtime_kserve',
  'predictor/test_sklearn.py::test_sklearn_v2_runtime_mlserver',
  'predictor/test_sklearn.py::test_sklearn_v2',
  'predictor/test_sklearn.py::test_sklearn_v2_grpc',
  'predictor/test_sklearn.py::test_sklearn_v2_mixed',
  'predictor/test_sklearn.py::test_sklearn_v2_mixed_grpc',
  'predictor/test_xgboost.py::test_xgboost_kserve',
  'predictor/test_xgboost.py::test_xgboost_v2_mlserver',
  'predictor/test_xgboost.py::test_xgboost_runtime_kserve',
  'predictor/test_xgboost.py::test_xgboost_v2_runtime_mlserver',
  'predictor/test_xgboost.py::test_xgboost_v2',
  'predictor/test_xgboost.py::test_xgboost_v2_grpc',
  'predictor/test_lightgbm.py::test_lightgbm_kserve',
  'predictor/test_lightgbm.py::test_lightgbm_runtime_kserve',
  'predictor/test_lightgbm.py::test_lightgbm_v2_runtime_mlserver',
  'predictor/test_lightgbm.py::test_lightgbm_v2_kserve',
  'predictor/test_lightgbm.py::test_lightgbm_v2_grpc',
  'predictor/test_mlflow.py::test_mlflow_v2_runtime_kserve',
  'batcher/test_batcher.py::test_batcher',
  // issue 16: multi-model serving (TrainedModel), sklearn and xgboost, V1 and V2
  'predictor/test_multi_model_serving.py::test_mms_sklearn_kserve',
  'predictor/test_multi_model_serving.py::test_mms_xgboost_kserve',
  'credentials/test_set_creds.py::test_set_credentials_s3',
  'credentials/test_set_creds.py::test_set_credentials_gcp',
  'credentials/test_set_creds.py::test_azure_credentials',
  // inferd's own acceptance check with the SDK (create, wait, patch, delete), outside KServe's suite
  '../../../acceptance/test_sdk_lifecycle.py::test_sdk_create_wait_patch_delete',
  // issue 14: KServe's test_canary.py flow with sklearn models, plus rollback and promotion
  '../../../acceptance/test_sdk_canary.py::test_canary_rollout_runtime_sklearn',
];

const run = promisify(execFile);

function log(msg: string): void {
  process.stdout.write(`conformance: ${msg}\n`);
}

async function missingPrerequisites(): Promise<string[]> {
  const missing: string[] = [];
  for (const [mod, deb] of Object.entries(PREREQUISITES)) {
    const ok = await run(PYTHON, ['-c', `import ${mod}`], { timeout: 60_000 }).then(
      () => true,
      () => false,
    );
    if (!ok) missing.push(`${mod} (${deb})`);
  }
  return missing;
}

/**
 * A hand-made LightGBM text model for the iris tests (Debian packages no LightGBM): three classes, one tree
 * each, splitting on petal length (setosa, and missing values, go left) and then on sepal length, which
 * separates the two rows of iris_input_v2.json. Their leaves' raw scores are the doubles whose softmax
 * (Common::Softmax, the one LightGBM and inferd compute) is exactly the probabilities KServe's own model gives
 * those rows, which test_lightgbm_v2_* compare with ==; they were found by searching the ulps around log(p).
 */
export function lightgbmIrisModel(): string {
  // [setosa, row 2 (6.0, 3.4, 4.5, 1.6), row 1 (6.8, 2.8, 4.8, 1.4)] for each class's tree
  const leaves = [
    [2, -12.21112803836142, -11.641137987097412],
    [-1, -0.000008034961130922398, -0.0007702934957142381],
    [-1, -12.6970492280567, -7.180614118110256],
  ];
  const trees = leaves.map((values, i) =>
    [
      `Tree=${i}`,
      'num_leaves=3',
      'num_cat=0',
      'split_feature=2 0',
      'split_gain=1 1',
      'threshold=2.4500000000000006 6.4000000000000004',
      'decision_type=10 10', // missing type NaN, default left
      'left_child=-1 -2',
      'right_child=1 -3',
      `leaf_value=${values.map((v) => String(v)).join(' ')}`,
      'leaf_weight=1 1 1',
      'leaf_count=1 1 1',
      'internal_value=0 0',
      'internal_weight=1 1',
      'internal_count=2 2',
      'is_linear=0',
      'shrinkage=1',
      '',
      '',
    ].join('\n'),
  );
  return [
    'tree',
    'version=v4',
    'num_class=3',
    'num_tree_per_iteration=3',
    'label_index=0',
    'max_feature_idx=3',
    'objective=multiclass num_class:3',
    'feature_names=sepal_length_(cm) sepal_width_(cm) petal_length_(cm) petal_width_(cm)',
    'feature_infos=[4.3:7.9] [2:4.4] [1:6.9] [0.1:2.5]',
    `tree_sizes=${trees.map((t) => Buffer.byteLength(t)).join(' ')}`,
    '',
    ...trees,
    'end of trees',
    '',
  ].join('\n');
}

/** bucket → object name → bytes, from OUT/<bucket>/<object path>. */
function bucketsFrom(dir: string): Record<string, Record<string, Buffer>> {
  const out: Record<string, Record<string, Buffer>> = {};
  for (const bucket of readdirSync(dir)) {
    const objects: Record<string, Buffer> = {};
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else objects[relative(join(dir, bucket), p)] = readFileSync(p);
      }
    };
    walk(join(dir, bucket));
    out[bucket] = objects;
  }
  return out;
}

/** A kubeconfig whose current context is inferd's control API (no auth: inferd serve's default). */
function kubeconfig(server: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'inferd', cluster: { server } }],
    users: [{ name: 'inferd', user: {} }],
    contexts: [{ name: 'inferd', context: { cluster: 'inferd', user: 'inferd', namespace: 'default' } }],
    'current-context': 'inferd',
  });
}

interface Outcome {
  id: string;
  result: 'pass' | 'fail' | 'not run';
  detail: string;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Per-test outcomes from pytest's JUnit XML. */
/**
 * The node ids as pytest's arguments. pytest 7.2 finds only the first of two `file::test` ids in one folder
 * outside its rootdir ("not found: ... in any of [<Module ...>]"), so inferd's acceptance files (one test
 * each) are passed as whole files; their results are still matched by test name (outcomes()).
 */
export function pytestArgs(selected: readonly string[]): string[] {
  return selected.map((id) => (id.startsWith('../') ? id.split('::')[0]! : id));
}

function outcomes(xml: string, selected: string[]): Outcome[] {
  const found = new Map<string, Outcome>();
  for (const m of xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const file = `${m[1]!.replace(/^e2e\./, '').replace(/\./g, '/')}.py`;
    const id = `${file}::${m[2]}`;
    const body = m[4] ?? '';
    const failure = /<(failure|error) message="([^"]*)"/.exec(body);
    found.set(id, {
      id,
      result: failure ? 'fail' : /<skipped/.test(body) ? 'not run' : 'pass',
      detail: failure ? unescapeXml(failure[2]!).replace(/\s+/g, ' ').slice(0, 300) : '',
    });
  }
  const byName = (id: string) => [...found.values()].find((o) => o.id.endsWith(`::${id.split('::')[1]}`));
  // A parametrized test (`test_x[v1-...]`, `test_x[v2-...]`) passes when every one of its cases passes.
  const cases = (id: string) => [...found.values()].filter((o) => o.id.startsWith(`${id}[`));
  return selected.map((id) => {
    const exact = found.get(id);
    if (exact) return exact;
    const params = cases(id);
    if (params.length > 0) {
      const failed = params.find((o) => o.result !== 'pass');
      return failed
        ? { id, result: failed.result, detail: `${failed.id.slice(id.length)}: ${failed.detail}` }
        : { id, result: 'pass', detail: `${params.length} cases` };
    }
    return { ...(byName(id) ?? { result: 'not run', detail: 'no result from pytest' }), id };
  });
}

async function main(): Promise<number> {
  const missing = await missingPrerequisites();
  if (missing.length > 0) {
    const reason = `Debian's python3 lacks ${missing.join(', ')} (apt-get install them; .ci/run does)`;
    if (process.env.CI === 'true') {
      log(`FAIL: ${reason}`);
      return 1;
    }
    log(`SKIPPED: ${reason}`);
    return 0;
  }
  const work = mkdtempSync(join(tmpdir(), 'inferd-conformance-'));
  const fixtures = join(work, 'gcs');
  const versions = await run(PYTHON, [join(HERE, 'make_fixtures.py'), fixtures], { timeout: 300_000 });
  log(`fixtures made with ${versions.stdout.trim()}`);
  for (const dir of ['models/lightgbm/iris', 'models/lightgbm/v2/iris']) {
    mkdirSync(join(fixtures, 'kfserving-examples', dir), { recursive: true });
    writeFileSync(join(fixtures, 'kfserving-examples', dir, 'model.bst'), lightgbmIrisModel());
  }
  const emulator = await startGcsEmulator({ buckets: bucketsFrom(fixtures) });
  const inferd = await startInferd({ env: { STORAGE_EMULATOR_HOST: emulator.host }, timeoutMs: 60_000 });
  try {
    const config = join(work, 'kubeconfig');
    writeFileSync(config, kubeconfig(inferd.url));
    // importlib.metadata.version("kserve") is read by the SDK: give the vendored source a dist-info
    const meta = join(work, 'meta', 'kserve-0.12.1.dist-info');
    await run('mkdir', ['-p', meta]);
    writeFileSync(join(meta, 'METADATA'), 'Metadata-Version: 2.1\nName: kserve\nVersion: 0.12.1\n');
    const junit = join(work, 'junit.xml');
    const only = (process.env.CONFORMANCE_TESTS ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    const selected = only.length > 0 ? only : RUNNABLE;
    log(`inferd on ${inferd.url}, GCS emulator on ${emulator.host}; running ${selected.length} tests`);
    const code = await new Promise<number>((resolve) => {
      const child = spawn(
        PYTHON,
        ['-m', 'pytest', '-p', 'no:cacheprovider', '-v', '-rfE', `--junitxml=${junit}`, ...pytestArgs(selected)],
        {
          cwd: E2E, // the tests open ./data/... relative to test/e2e, as KServe's CI runs them
          stdio: ['ignore', 'inherit', 'inherit'],
          env: {
            ...process.env,
            KUBECONFIG: config,
            KSERVE_INGRESS_HOST_PORT: `127.0.0.1:${inferd.port}`,
            PYTHONPATH: [join(HERE, 'shim'), join(work, 'meta'), join(KSERVE, 'python', 'kserve')].join(':'),
            PYTHONDONTWRITEBYTECODE: '1',
          },
        },
      );
      // bounded: pytest's own run is bounded by the SDK's waits; this guards against a hang
      const timer = setTimeout(() => child.kill('SIGKILL'), 25 * 60_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c ?? 1);
      });
    });
    let xml = '';
    try {
      xml = readFileSync(junit, 'utf8');
    } catch {
      log('pytest wrote no report');
    }
    const results = outcomes(xml, selected);
    log('results:');
    for (const r of results) log(`  ${r.result.padEnd(7)} ${r.id}${r.detail ? ` — ${r.detail}` : ''}`);
    const passed = results.filter((r) => r.result === 'pass').length;
    log(`${passed}/${results.length} passed (pytest exit ${code})`);
    return passed === results.length && code === 0 ? 0 : 1;
  } finally {
    await inferd.stop();
    await emulator.close();
    removeDir(inferd.stateDir);
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
