// `inferd serve` flags that are not covered elsewhere: storage limits (--storage-max-bytes, --storage-timeout).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost, loadServeConfig, parseByteSize, SERVE_DEFAULTS } from '../src/config.js';

test('storage limits default to 4 GiB, 100:1, a 16 GiB cache, the SSRF guard on, and 1 hour', () => {
  const cfg = loadServeConfig(['--state', '/tmp/inferd-config-test'], {});
  assert.equal(cfg.storageMaxBytes, 4 * 1024 ** 3);
  assert.equal(cfg.storageMaxRatio, 100);
  assert.equal(cfg.cacheMaxBytes, 16 * 1024 ** 3);
  assert.equal(cfg.storageAllowInternal, false);
  assert.equal(cfg.storageTimeoutMs, 3_600_000);
  assert.equal(SERVE_DEFAULTS.storageMaxBytes, cfg.storageMaxBytes);
});

test('--storage-max-ratio, --cache-max-bytes, --storage-allow-internal and their env', () => {
  const cfg = loadServeConfig(['--storage-max-ratio', '0', '--cache-max-bytes', '2Gi', '--storage-allow-internal'], {});
  assert.equal(cfg.storageMaxRatio, 0);
  assert.equal(cfg.cacheMaxBytes, 2 * 1024 ** 3);
  assert.equal(cfg.storageAllowInternal, true);
  const env = loadServeConfig([], {
    INFERD_STORAGE_MAX_RATIO: '250',
    INFERD_CACHE_MAX_BYTES: '500Mi',
    INFERD_STORAGE_ALLOW_INTERNAL: '1',
  });
  assert.deepEqual([env.storageMaxRatio, env.cacheMaxBytes, env.storageAllowInternal], [250, 500 * 1024 ** 2, true]);
  assert.throws(() => loadServeConfig(['--storage-max-ratio=-1'], {}), /--storage-max-ratio: expected a number >= 0/);
  assert.throws(
    () => loadServeConfig(['--cache-max-bytes', 'lots'], {}),
    /--cache-max-bytes: expected a positive size/,
  );
  assert.throws(() => loadServeConfig([], { INFERD_STORAGE_ALLOW_INTERNAL: 'maybe' }), /INFERD_STORAGE_ALLOW_INTERNAL/);
});

test('--storage-max-bytes takes Kubernetes quantities; --storage-timeout takes durations; env as fallback', () => {
  const cfg = loadServeConfig(['--storage-max-bytes', '500Mi', '--storage-timeout', '30m'], {});
  assert.equal(cfg.storageMaxBytes, 500 * 1024 ** 2);
  assert.equal(cfg.storageTimeoutMs, 30 * 60_000);
  const fromEnv = loadServeConfig([], { INFERD_STORAGE_MAX_BYTES: '10G', INFERD_STORAGE_TIMEOUT: '1h30m' });
  assert.equal(fromEnv.storageMaxBytes, 10e9);
  assert.equal(fromEnv.storageTimeoutMs, 90 * 60_000);
  const flagWins = loadServeConfig(['--storage-timeout', '90s'], { INFERD_STORAGE_TIMEOUT: '1h' });
  assert.equal(flagWins.storageTimeoutMs, 90_000);
});

test('byte sizes: plain bytes, SI and binary suffixes, an optional B; nothing else', () => {
  assert.equal(parseByteSize('1000000'), 1_000_000);
  assert.equal(parseByteSize('64Gi'), 64 * 1024 ** 3);
  assert.equal(parseByteSize('1.5Ki'), 1536);
  assert.equal(parseByteSize('2MB'), 2_000_000);
  assert.equal(parseByteSize('2MiB'), 2 * 1024 ** 2);
  for (const bad of ['', 'lots', '-1', '5X', '1e3', 'Mi']) assert.equal(parseByteSize(bad), undefined, bad);
});

test('EXPECTED FAILURE - bad storage limits are INVALID_CONFIG naming the flag', () => {
  assert.throws(() => loadServeConfig(['--storage-max-bytes', 'lots'], {}), {
    code: 'INVALID_CONFIG',
    message: /--storage-max-bytes: expected a positive size like 500Mi, 64Gi or 1000000, got 'lots'/,
  });
  assert.throws(() => loadServeConfig(['--storage-max-bytes', '0'], {}), { code: 'INVALID_CONFIG' });
  for (const bad of ['soon', '0s', '-5m']) {
    assert.throws(() => loadServeConfig([`--storage-timeout=${bad}`], {}), {
      code: 'INVALID_CONFIG',
      message: new RegExp(`--storage-timeout: expected a positive duration like 90s, 30m or 1h, got '${bad}'`),
    });
  }
});

test('--python and --no-python reach replicas as INFERD_PYTHON; both at once is refused', () => {
  assert.equal(loadServeConfig(['--no-python'], {}).replicaEnv.INFERD_PYTHON, 'off');
  assert.equal(loadServeConfig(['--python', '/usr/bin/python3'], {}).replicaEnv.INFERD_PYTHON, '/usr/bin/python3');
  assert.equal(loadServeConfig([], { INFERD_PYTHON: '/opt/py' }).replicaEnv.INFERD_PYTHON, '/opt/py');
  assert.throws(() => loadServeConfig(['--python', 'x', '--no-python'], {}), { code: 'INVALID_CONFIG' });
});

test('gateway flags (issue 10): --max-body-bytes (sizes, env), --body-timeout, --allow-repository-api', () => {
  const d = loadServeConfig([], {});
  assert.equal(d.maxBodyBytes, 16 * 1024 ** 2);
  assert.equal(d.bodyTimeoutMs, 30_000);
  assert.equal(d.allowRepositoryApi, false);
  const cfg = loadServeConfig(['--max-body-bytes', '64Mi', '--body-timeout', '10s', '--allow-repository-api'], {});
  assert.equal(cfg.maxBodyBytes, 64 * 1024 ** 2);
  assert.equal(cfg.bodyTimeoutMs, 10_000);
  assert.equal(cfg.allowRepositoryApi, true);
  assert.equal(loadServeConfig([], { INFERD_MAX_BODY_BYTES: '1000' }).maxBodyBytes, 1000);
  assert.throws(() => loadServeConfig(['--max-body-bytes', 'lots'], {}), /--max-body-bytes: expected a positive size/);
  assert.throws(() => loadServeConfig(['--body-timeout', '0s'], {}), /--body-timeout: expected a positive duration/);
});

test('--load-timeout defaults to 5 minutes, takes durations (env INFERD_LOAD_TIMEOUT) and refuses others', () => {
  assert.equal(loadServeConfig([], {}).loadTimeoutMs, 300_000);
  assert.equal(loadServeConfig(['--load-timeout', '30s'], {}).loadTimeoutMs, 30_000);
  assert.equal(loadServeConfig([], { INFERD_LOAD_TIMEOUT: '10m' }).loadTimeoutMs, 600_000);
  assert.throws(() => loadServeConfig(['--load-timeout', 'soon'], {}), /--load-timeout: expected a positive duration/);
  assert.throws(() => loadServeConfig(['--load-timeout', '0s'], {}), /--load-timeout/);
});

test('auth: off on loopback, on by default on a network address, open there only with --insecure-allow-anonymous', () => {
  const cfg = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadServeConfig(argv, env);
  assert.deepEqual([cfg([]).auth, cfg([]).anonymousOnNetwork], [false, false]);
  assert.equal(cfg(['--host', '::1']).auth, false);
  assert.equal(cfg(['--auth']).auth, true);
  assert.equal(cfg([], { INFERD_AUTH: '1' }).auth, true);
  assert.deepEqual([cfg(['--host', '0.0.0.0']).auth, cfg(['--host', '0.0.0.0']).anonymousOnNetwork], [true, false]);
  assert.equal(cfg(['--host', '192.168.1.5']).auth, true);
  const open = cfg(['--host', '0.0.0.0', '--insecure-allow-anonymous']);
  assert.deepEqual([open.auth, open.anonymousOnNetwork], [false, true]);
  assert.throws(() => cfg(['--auth', '--insecure-allow-anonymous']), { code: 'INVALID_CONFIG' });
  assert.throws(() => cfg([], { INFERD_AUTH: 'maybe' }), { code: 'INVALID_CONFIG' });
});

test('isLoopbackHost', () => {
  for (const h of ['127.0.0.1', '127.9.8.7', 'localhost', '::1', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) assert.equal(isLoopbackHost(h), false, h);
});

test('--oidc-issuer needs --oidc-audience and an https URL (http only on loopback); claims default to sub/groups', () => {
  const cfg = (args: string[]) => loadServeConfig(['--state', '/tmp/inferd-config-test', ...args], {});
  assert.equal(cfg([]).oidc, undefined);
  assert.deepEqual(cfg(['--oidc-issuer', 'https://dex.example.com/dex', '--oidc-audience', 'inferd']).oidc, {
    issuer: 'https://dex.example.com/dex',
    audience: 'inferd',
    groupsClaim: undefined,
    usernameClaim: undefined,
  });
  const local = cfg(['--oidc-issuer', 'http://127.0.0.1:5556', '--oidc-audience', 'a', '--oidc-groups-claim', 'roles']);
  assert.equal(local.oidc?.groupsClaim, 'roles');
  assert.throws(() => cfg(['--oidc-issuer', 'https://dex.example.com']), /--oidc-audience/);
  assert.throws(() => cfg(['--oidc-issuer', 'http://dex.example.com', '--oidc-audience', 'a']), /https:\/\//);
  assert.throws(() => cfg(['--oidc-audience', 'a']), /need --oidc-issuer/);
});

test('--scale-to-zero-grace (default 30s) and --revision-history (default 5) take flags or env and refuse others', () => {
  const d = loadServeConfig([], {});
  assert.equal(d.scaleToZeroGraceMs, 30_000);
  assert.equal(d.revisionHistory, 5);
  assert.equal(loadServeConfig(['--scale-to-zero-grace', '2m'], {}).scaleToZeroGraceMs, 120_000);
  assert.equal(loadServeConfig([], { INFERD_SCALE_TO_ZERO_GRACE: '5s' }).scaleToZeroGraceMs, 5_000);
  assert.equal(loadServeConfig(['--revision-history', '0'], {}).revisionHistory, 0);
  assert.equal(loadServeConfig([], { INFERD_REVISION_HISTORY: '12' }).revisionHistory, 12);
  assert.throws(() => loadServeConfig(['--scale-to-zero-grace', 'soon'], {}), /--scale-to-zero-grace: expected/);
  assert.throws(() => loadServeConfig(['--revision-history=-1'], {}), /--revision-history: expected 0-1000/);
});

test('--metrics=false turns per-request metrics off; --access-log FILE|- (and their env)', () => {
  const on = loadServeConfig([], {});
  assert.equal(on.recordMetrics, true);
  assert.equal(on.accessLog, undefined);
  const off = loadServeConfig(['--metrics=false', '--access-log', '-'], {});
  assert.equal(off.recordMetrics, false);
  assert.equal(off.accessLog, '-');
  const env = loadServeConfig([], { INFERD_METRICS: '0', INFERD_ACCESS_LOG: 'access.log' });
  assert.equal(env.recordMetrics, false);
  assert.match(env.accessLog ?? '', /^\/.*access\.log$/, 'made absolute');
  assert.throws(() => loadServeConfig(['--metrics=maybe'], {}), /--metrics: expected true or false, got 'maybe'/);
  assert.throws(() => loadServeConfig(['--access-log='], {}), /--access-log: expected a file or '-'/);
});

test('density (issue 16): packing is on by default (100 per host); --worker-heap-limit defaults to 1Gi, 16Mi at least', () => {
  const d = loadServeConfig([], {});
  assert.equal(d.modelsPerReplica, 100);
  assert.equal(loadServeConfig(['--models-per-replica', '100'], {}).modelsPerReplica, 100);
  assert.equal(d.workerHeapLimitBytes, 1024 ** 3);
  assert.equal(loadServeConfig(['--models-per-replica', '1'], {}).modelsPerReplica, 1);
  assert.equal(loadServeConfig(['--worker-heap-limit', '256Mi'], {}).workerHeapLimitBytes, 256 * 1024 ** 2);
  assert.equal(loadServeConfig([], { INFERD_WORKER_HEAP_LIMIT: '2Gi' }).workerHeapLimitBytes, 2 * 1024 ** 3);
  assert.throws(
    () => loadServeConfig(['--worker-heap-limit', '8Mi'], {}),
    /--worker-heap-limit: expected at least 16Mi/,
  );
  assert.throws(
    () => loadServeConfig(['--worker-heap-limit', 'lots'], {}),
    /--worker-heap-limit: expected a positive size/,
  );
});
