import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SERVER, resolveClientSettings } from '../../src/cli/client-config.js';
import { parseFlags, UsageError } from '../../src/cli/flags.js';
import { splitCommand } from '../../src/cli/main.js';
import { parseTargets, resourcePath } from '../../src/cli/resource-ref.js';
import { isConditionMet, parseWaitFor } from '../../src/cli/wait-condition.js';
import { parseDurationMs } from '../../src/duration.js';

test('global and command flags parse in kubectl forms: -n ns, -n=ns, -nns, --namespace=ns, -Aw', () => {
  const specs = { watch: { type: 'boolean', short: 'w', help: 'watch' } } as const;
  for (const argv of [['-n', 'ns'], ['-n=ns'], ['-nns'], ['--namespace=ns'], ['--namespace', 'ns']]) {
    assert.equal(parseFlags('get', argv, specs).values.namespace, 'ns', argv.join(' '));
  }
  const p = parseFlags('get', ['isvc', '-Aw', 'x', '-o', 'wide'], specs);
  assert.deepEqual(p.positionals, ['isvc', 'x']);
  assert.equal(p.values['all-namespaces'], true);
  assert.equal(p.values.watch, true);
  assert.equal(p.values.output, 'wide');
  assert.equal(parseFlags('get', ['--watch=false'], specs).values.watch, false);
});

test('repeatable flags collect every value in order', () => {
  const p = parseFlags('apply', ['-f', 'a.yaml', '--filename=b.yaml', '-f', '-'], {
    filename: { type: 'string', short: 'f', multiple: true, help: 'a file' },
  });
  assert.deepEqual(p.values.filename, ['a.yaml', 'b.yaml', '-']);
});

test('unknown and incomplete flags are usage errors with pflag messages', () => {
  assert.throws(
    () => parseFlags('get', ['--bogus']),
    (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.code, 'INVALID_INPUT');
      assert.equal(e.message, 'unknown flag: --bogus');
      assert.equal(e.command, 'get');
      return true;
    },
  );
  assert.throws(() => parseFlags('get', ['-z']), { message: "unknown shorthand flag: 'z' in -z" });
  assert.throws(() => parseFlags('get', ['--server']), { message: 'flag needs an argument: --server' });
  assert.throws(() => parseFlags('get', ['-A=maybe']), { code: 'INVALID_INPUT' });
});

test('the subcommand is found past global flags and their values', () => {
  assert.deepEqual(splitCommand(['-n', 'kserve-test', 'get', 'isvc']), {
    command: 'get',
    rest: ['-n', 'kserve-test', 'isvc'],
  });
  assert.deepEqual(splitCommand(['--server=http://x', 'apply', '-f', '-']), {
    command: 'apply',
    rest: ['--server=http://x', '-f', '-'],
  });
  assert.deepEqual(splitCommand(['--help']), { rest: ['--help'] });
});

test('durations parse like Go time.ParseDuration, plus bare seconds', () => {
  assert.equal(parseDurationMs('30s'), 30_000);
  assert.equal(parseDurationMs('2m'), 120_000);
  assert.equal(parseDurationMs('1h'), 3_600_000);
  assert.equal(parseDurationMs('1h30m'), 5_400_000);
  assert.equal(parseDurationMs('1.5s'), 1_500);
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseDurationMs('45'), 45_000);
  assert.equal(parseDurationMs('-1s'), -1_000);
  assert.throws(() => parseDurationMs('5 minutes'), { code: 'INVALID_INPUT' });
  assert.throws(() => parseDurationMs('1d'), { code: 'INVALID_INPUT' });
});

test('server: --server, then INFERD_SERVER, then the current context of the config file, then the default', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-cli-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config');
  writeFileSync(
    config,
    'current-context: lab\ncontexts:\n- name: lab\n  server: http://lab:8080/\n  token: t0k\n  namespace: team\n- name: other\n  server: http://other:9000\n',
  );
  const env = { INFERD_CONFIG: config };
  assert.deepEqual(resolveClientSettings({}, env), {
    server: 'http://lab:8080',
    token: 't0k',
    namespace: 'team',
    namespaceExplicit: false,
  });
  assert.equal(resolveClientSettings({}, { ...env, INFERD_SERVER: 'http://env:1' }).server, 'http://env:1');
  assert.equal(
    resolveClientSettings({ server: 'http://flag:2' }, { ...env, INFERD_SERVER: 'http://env:1' }).server,
    'http://flag:2',
  );
  assert.equal(
    resolveClientSettings({ context: 'other' }, { ...env, INFERD_SERVER: 'http://env:1' }).server,
    'http://other:9000',
  );
  assert.equal(resolveClientSettings({ namespace: 'x' }, env).namespace, 'x');
  assert.equal(resolveClientSettings({ token: 'flag' }, env).token, 'flag');
  assert.throws(() => resolveClientSettings({ context: 'nope' }, env), { code: 'INVALID_CONFIG' });
  const none = resolveClientSettings({}, { INFERD_CONFIG: join(dir, 'missing') });
  assert.equal(none.server, DEFAULT_SERVER);
  assert.equal(none.namespace, 'default');
});

test('resource arguments: TYPE NAME..., TYPE/NAME..., TYPE,TYPE; unknown types are refused', () => {
  const [isvc] = parseTargets(['isvc', 'a', 'b']);
  assert.equal(isvc!.kind.kind, 'InferenceService');
  assert.deepEqual(isvc!.names, ['a', 'b']);
  const mixed = parseTargets(['inferenceservice/a', 'secret/s', 'isvc/b']);
  assert.deepEqual(
    mixed.map((t) => [t.kind.kind, t.names]),
    [
      ['InferenceService', ['a', 'b']],
      ['Secret', ['s']],
    ],
  );
  assert.deepEqual(
    parseTargets(['isvc,sa']).map((t) => t.kind.kind),
    ['InferenceService', 'ServiceAccount'],
  );
  assert.throws(() => parseTargets(['pods']), { message: 'the server doesn\'t have a resource type "pods"' });
});

test('control API paths for namespaced, cluster-scoped and core kinds', () => {
  const [isvc] = parseTargets(['isvc']);
  const [csr] = parseTargets(['clusterservingruntimes']);
  const [sec] = parseTargets(['secrets']);
  assert.equal(
    resourcePath(isvc!.kind, { namespace: 'ns', name: 'x', subresource: 'status' }),
    '/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices/x/status',
  );
  assert.equal(resourcePath(isvc!.kind), '/apis/serving.kserve.io/v1beta1/inferenceservices');
  assert.equal(
    resourcePath(csr!.kind, { namespace: 'ignored' }),
    '/apis/serving.kserve.io/v1alpha1/clusterservingruntimes',
  );
  assert.equal(resourcePath(sec!.kind, { namespace: 'ns' }), '/api/v1/namespaces/ns/secrets');
});

test('--for=condition is met only for the current generation, case-insensitively', () => {
  assert.deepEqual(parseWaitFor('condition=Ready'), { kind: 'condition', type: 'Ready', status: 'True' });
  assert.deepEqual(parseWaitFor('condition=Ready=false'), { kind: 'condition', type: 'Ready', status: 'false' });
  assert.deepEqual(parseWaitFor('delete'), { kind: 'delete' });
  assert.throws(() => parseWaitFor('ready'), { code: 'INVALID_INPUT' });
  const obj = (generation: number, observed: number, st: string) => ({
    metadata: { generation },
    status: { observedGeneration: observed, conditions: [{ type: 'Ready', status: st }] },
  });
  const ready = { type: 'ready', status: 'true' };
  assert.equal(isConditionMet(obj(2, 2, 'True'), ready), true);
  assert.equal(isConditionMet(obj(3, 2, 'True'), ready), false, 'stale status from before the last apply');
  assert.equal(isConditionMet(obj(2, 2, 'False'), ready), false);
  assert.equal(isConditionMet({ metadata: {} }, ready), false);
});
