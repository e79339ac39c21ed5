import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envNameProblem } from '../../src/api/env-names.js';
import { admit, type InferenceService } from '../../src/api/index.js';
import { inheritedEnv } from '../../src/config.js';
import { ctx, isvc, SERVED_SOON, sklearnModel, throwsAt } from './helpers.js';

const withEnv = (env: unknown[]) => isvc(sklearnModel({ env })) as InferenceService;

test('refuses NODE_OPTIONS code injection at spec.predictor.model.env[i].name (C1)', () => {
  const attack = withEnv([
    { name: 'PREDICT_PROBA', value: 'true' },
    {
      name: 'NODE_OPTIONS',
      value: "--import=data:text/javascript,import{writeFileSync}from'fs';writeFileSync('/tmp/x','x')",
    },
  ]);
  throwsAt(
    () => admit(attack, 'CREATE', undefined, ctx(SERVED_SOON)),
    'spec.predictor.model.env[1].name',
    /NODE_OPTIONS/,
  );
});

test('refuses every loader and interpreter hook, in any case, and names the variable', () => {
  for (const name of [
    'LD_PRELOAD',
    'ld_preload',
    'LD_LIBRARY_PATH',
    'DYLD_INSERT_LIBRARIES',
    'PYTHONSTARTUP',
    'PYTHONPATH',
    'INFERD_PYTHON',
    'NODE_PATH',
    'BASH_ENV',
    'ENV',
    'PERL5OPT',
    'PATH',
    'GCONV_PATH',
    'GLIBC_TUNABLES',
  ]) {
    const problem = envNameProblem(name);
    assert.ok(problem, `${name} should be refused`);
    assert.ok(problem.includes(name), problem);
  }
  assert.match(envNameProblem('A=B') ?? '', /not a valid environment variable name/);
});

test('accepts KServe-documented and runtime keys and a custom model setting', () => {
  for (const name of ['PREDICT_PROBA', 'OMP_NUM_THREADS', 'XGBOOST_MISSING', 'STORAGE_URI', 'MY_SETTING', 'a.b-c']) {
    assert.equal(envNameProblem(name), undefined, name);
  }
  const ok = withEnv([{ name: 'PREDICT_PROBA', value: 'true' }]);
  assert.doesNotThrow(() => admit(ok, 'CREATE', undefined, ctx(SERVED_SOON)));
});

test('a custom container env is checked too', () => {
  const custom = isvc({ containers: [{ name: 'kserve-container', command: ['x'], env: [{ name: 'LD_AUDIT' }] }] });
  throwsAt(
    () => admit(custom as InferenceService, 'CREATE', undefined, ctx(SERVED_SOON)),
    'spec.predictor.containers[0].env[0].name',
    /LD_/,
  );
});

test('replicas inherit only what they need from the server environment, never its credentials or hooks', () => {
  const env = inheritedEnv({
    PATH: '/usr/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    LC_ALL: 'C',
    HTTPS_PROXY: 'http://proxy:3128',
    OMP_NUM_THREADS: '1',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_ACCESS_KEY_ID: 'id',
    GOOGLE_APPLICATION_CREDENTIALS: '/creds.json',
    NODE_OPTIONS: '--require /tmp/evil.js',
    LD_PRELOAD: '/tmp/evil.so',
    PYTHONPATH: '/tmp',
    INFERD_STATE: '/state',
  });
  assert.deepEqual(env, {
    PATH: '/usr/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    LC_ALL: 'C',
    HTTPS_PROXY: 'http://proxy:3128',
    OMP_NUM_THREADS: '1',
  });
});
