import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { captureIo, FakeControlApi } from './fake-control-api.js';

let api: FakeControlApi;
before(async () => {
  api = await FakeControlApi.start();
});
after(() => api.close());

async function cli(argv: string[], stdin?: string) {
  const c = captureIo({ stdin });
  const code = await main([...argv, '--server', api.url], c.io);
  return { code, stdout: c.out(), stderr: c.err() };
}

const isvc = (name: string, namespace = 'default') => ({
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name, namespace },
  spec: { predictor: { model: { modelFormat: { name: 'sklearn' } } } },
});

test('delete prints kubectl\'s "deleted" line per object', async () => {
  api.seed(isvc('del-a'));
  api.seed(isvc('del-b'));
  const res = await cli(['delete', 'isvc', 'del-a', 'del-b']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(
    res.stdout,
    'inferenceservice.serving.kserve.io "del-a" deleted\ninferenceservice.serving.kserve.io "del-b" deleted\n',
  );
  assert.equal(api.get('inferenceservices', 'default', 'del-a'), undefined);
});

test('deleting a missing object is NotFound, exit 1; --ignore-not-found makes it quiet success', async () => {
  const res = await cli(['delete', 'isvc', 'ghost']);
  assert.equal(res.code, 1);
  assert.equal(res.stdout, '');
  assert.equal(res.stderr, 'Error from server (NotFound): inferenceservices.serving.kserve.io "ghost" not found\n');

  const quiet = await cli(['delete', 'inferenceservice/ghost', '--ignore-not-found']);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stderr, '');

  api.seed(isvc('present'));
  const mixed = await cli(['delete', 'isvc', 'ghost', 'present']);
  assert.equal(mixed.code, 1, 'one failure fails the command');
  assert.equal(mixed.stdout, 'inferenceservice.serving.kserve.io "present" deleted\n');
});

test('delete -f deletes what the manifests name, in their namespaces; core kinds print without a group', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-delete-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  api.seed(isvc('from-file', 'kserve-test'));
  api.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'kserve-test' } });
  const file = join(dir, 'both.yaml');
  writeFileSync(
    file,
    `${JSON.stringify(isvc('from-file', 'kserve-test'))}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: kserve-test\n`,
  );
  const res = await cli(['delete', '-f', file]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'inferenceservice.serving.kserve.io "from-file" deleted\nsecret "creds" deleted\n');
});

test('delete --all removes every object of the type in the namespace', async () => {
  api.seed(isvc('all-1', 'wipe'));
  api.seed(isvc('all-2', 'wipe'));
  api.seed(isvc('keep', 'kept'));
  const res = await cli(['delete', 'isvc', '--all', '-n', 'wipe']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout.trim().split('\n').length, 2);
  assert.ok(api.get('inferenceservices', 'kept', 'keep'));
});

test('delete without a name or file is a usage error', async () => {
  const res = await cli(['delete', 'isvc']);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /resource\(s\) were provided, but no name was specified/);
  const none = await cli(['delete']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /You must provide one or more resources/);
});
