// The image map (issue 15, item 2): image name or prefix → command; KServe's model-server images → inferd's
// runtimes; bad files are INVALID_CONFIG naming the file and image; an unmapped image is ImageNotRunnable
// with both ways out; with a container engine it runs there, port and model mount as KServe's.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InferenceService } from '../../../src/api/types.js';
import { containerSpecFor } from '../../../src/controllers/inference-service/containers.js';
import { engineArgs } from '../../../src/controllers/replicas/container-replica.js';
import { ImageMap, INFERD_MODEL_SERVER, imageName, loadImageMap } from '../../../src/controllers/replicas/image-map.js';
import { InferdError } from '../../../src/errors.js';

const ISVC = {
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'm', namespace: 'ns' },
} as InferenceService;

function tempFile(t: { after(fn: () => void): void }, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-image-map-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'image-map.yaml');
  writeFileSync(f, text);
  return f;
}

test('image names: tag, digest and docker.io dropped; a port in the registry kept', () => {
  assert.equal(imageName('kserve/sklearnserver:v0.12.1'), 'kserve/sklearnserver');
  assert.equal(imageName('docker.io/kserve/image-transformer@sha256:abc'), 'kserve/image-transformer');
  assert.equal(imageName('localhost:5000/team/model'), 'localhost:5000/team/model');
});

test('lookup: exact, by name, longest prefix, then the built-in KServe images', (t) => {
  const f = tempFile(
    t,
    `images:
  kserve/image-transformer:
    command: [python3, -m, model]
    workingDir: /opt/kserve/python/custom_transformer
    env: {PYTHONPATH: /opt/kserve/python/kserve}
  "registry.example.com/team/":
    command: [inferd, run, ./team.js]
  "registry.example.com/team/special*":
    command: [special]
    args: [--x]
`,
  );
  const map = loadImageMap([
    { path: '/no/such/state/image-map.yaml', optional: true },
    { path: f, optional: false },
  ]);
  assert.deepEqual(map.lookup('kserve/image-transformer:latest')?.command, ['python3', '-m', 'model']);
  assert.equal(map.lookup('kserve/image-transformer')?.env?.PYTHONPATH, '/opt/kserve/python/kserve');
  assert.deepEqual(map.lookup('registry.example.com/team/a:1')?.command, ['inferd', 'run', './team.js']);
  assert.deepEqual(map.lookup('registry.example.com/team/special-1')?.command, ['special']);
  assert.deepEqual(map.lookup('kserve/sklearnserver:v0.12.1')?.command, [
    INFERD_MODEL_SERVER,
    '--model_format',
    'sklearn',
  ]);
  assert.equal(map.lookup('example/unknown:1'), undefined);
});

test('bad image maps are INVALID_CONFIG naming the file and image', (t) => {
  const bad = (text: string, re: RegExp) => {
    const f = tempFile(t, text);
    assert.throws(
      () => loadImageMap([{ path: f, optional: false }]),
      (e: unknown) => e instanceof InferdError && e.code === 'INVALID_CONFIG' && re.test(e.message),
    );
  };
  bad('images:\n  a/b: {args: [x]}\n', /a\/b: command is required/);
  bad('images:\n  a/b: {command: python3}\n', /command must be a list of strings/);
  bad('images: [1, 2]\n', /expected a mapping/);
  bad('images: {a: [}\n', /not YAML/);
  assert.throws(() => loadImageMap([{ path: '/no/such/map.yaml', optional: false }]), /does not exist/);
});

test('a container with only an image: mapped (its args replace the map’s), engine, or ImageNotRunnable', () => {
  const map = new ImageMap(new Map([['example/srv', { command: ['srv'], args: ['--default'], env: { A: '1' } }]]));
  const mapped = containerSpecFor(
    ISVC,
    { image: 'example/srv:2', args: ['--model_name={{.Name}}', '--dir=/mnt/models'] },
    '/cache/m',
    map,
  );
  assert.deepEqual(mapped.argv, ['srv', '--model_name=m', '--dir=/cache/m']);
  assert.equal(mapped.env.A, '1');
  assert.deepEqual(containerSpecFor(ISVC, { image: 'example/srv' }, '', map).argv, ['srv', '--default']);

  const unmapped = containerSpecFor(ISVC, { image: 'example/other:1' }, '', map);
  assert.equal(unmapped.problem?.reason, 'ImageNotRunnable');
  assert.match(unmapped.problem?.message ?? '', /image-map\.yaml.*--image-map FILE.*--container-engine docker\|podman/);

  const inEngine = containerSpecFor(
    ISVC,
    { image: 'example/other:1', args: ['--model_dir=/mnt/models'], env: [{ name: 'B', value: '2' }] },
    '/cache/m',
    { lookup: (i) => map.lookup(i), engine: 'podman' },
  );
  assert.equal(inEngine.problem, undefined);
  assert.deepEqual(inEngine.engine, { program: 'podman', image: 'example/other:1', modelDir: '/cache/m' });
  const env = { PATH: '/usr/bin', B: '2', PORT: '40001' };
  assert.deepEqual(engineArgs(inEngine, env, 40001), [
    'run',
    '--rm',
    '--init',
    '-p',
    '127.0.0.1:40001:8080',
    '-v',
    '/cache/m:/mnt/models:ro',
    '-e',
    'B',
    '-e',
    'PORT',
    'example/other:1',
    '--model_dir=/mnt/models', // inside the engine the model is where KServe mounts it
  ]);
  assert.equal(env.PORT, '8080');
});
