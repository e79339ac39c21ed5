import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, readlink, realpath, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { initializeModel } from '../../src/storage/initializer.js';
import { storageFailure, tempDir } from './helpers.js';

async function setup(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t);
  const cacheDir = join(root, 'cache');
  const modelDir = join(root, 'models', 'iris');
  await mkdir(modelDir, { recursive: true });
  await writeFile(join(modelDir, 'model.joblib'), 'joblib-bytes');
  return { root, cacheDir, modelDir };
}

test('a local directory is the model dir as it is', async (t) => {
  const { cacheDir, modelDir } = await setup(t);
  const r = await initializeModel({ storageUri: modelDir, cacheDir });
  assert.equal(r.modelDir, modelDir);
  assert.equal(r.cached, false);
});

test('a relative path resolves against the working directory', async (t) => {
  const { cacheDir, modelDir } = await setup(t);
  const r = await initializeModel({ storageUri: relative(process.cwd(), modelDir), cacheDir });
  assert.equal(r.modelDir, modelDir);
});

test('a local file becomes a directory holding just that file (a symlink)', async (t) => {
  const { cacheDir, modelDir } = await setup(t);
  const file = join(modelDir, 'model.joblib');
  const r = await initializeModel({ storageUri: file, cacheDir });
  assert.ok(r.modelDir.startsWith(cacheDir));
  assert.deepEqual(await readdir(r.modelDir), ['model.joblib']);
  const link = join(r.modelDir, 'model.joblib');
  assert.ok((await lstat(link)).isSymbolicLink());
  assert.equal(await readlink(link), await realpath(file));
  assert.equal(await readFile(link, 'utf8'), 'joblib-bytes');
  const again = await initializeModel({ storageUri: file, cacheDir });
  assert.equal(again.modelDir, r.modelDir);
  assert.equal(again.cached, true);
});

test('file:// URIs work like paths', async (t) => {
  const { cacheDir, modelDir } = await setup(t);
  const dir = await initializeModel({ storageUri: pathToFileURL(modelDir).href, cacheDir });
  assert.equal(dir.modelDir, modelDir);
  const file = await initializeModel({ storageUri: `file://${modelDir}/model.joblib`, cacheDir });
  assert.deepEqual(await readdir(file.modelDir), ['model.joblib']);
});

test('EXPECTED FAILURE - a missing local path is ModelNotFound naming the URI', async (t) => {
  const { cacheDir, root } = await setup(t);
  const uri = join(root, 'nope', 'model.joblib');
  await assert.rejects(
    initializeModel({ storageUri: uri, cacheDir }),
    (err: Error & { details: { reason: string } }) => {
      assert.equal(err.details.reason, 'ModelNotFound');
      assert.match(err.message, /nope\/model\.joblib/);
      return true;
    },
  );
  await assert.rejects(
    initializeModel({ storageUri: `file://${uri}`, cacheDir }),
    storageFailure('ModelNotFound', /file:\/\//),
  );
});

test('pvc:// resolves the claim through pvcRoots, then pvcDefaultRoot', async (t) => {
  const { cacheDir, root, modelDir } = await setup(t);
  const viaRoots = await initializeModel({
    storageUri: 'pvc://models-claim/iris',
    cacheDir,
    pvcRoots: { 'models-claim': join(root, 'models') },
  });
  assert.equal(viaRoots.modelDir, modelDir);
  const viaDefault = await initializeModel({
    storageUri: 'pvc://models/iris/model.joblib',
    cacheDir,
    pvcDefaultRoot: root,
  });
  assert.deepEqual(await readdir(viaDefault.modelDir), ['model.joblib']);
  const wholeClaim = await initializeModel({ storageUri: 'pvc://models', cacheDir, pvcDefaultRoot: root });
  assert.equal(wholeClaim.modelDir, join(root, 'models'));
});

test('EXPECTED FAILURE - pvc:// with a missing claim folder names the claim and the folder', async (t) => {
  const { cacheDir, root } = await setup(t);
  await assert.rejects(
    initializeModel({ storageUri: 'pvc://other-claim/iris', cacheDir, pvcDefaultRoot: root }),
    (err: Error & { details: { reason: string } }) => {
      assert.equal(err.details.reason, 'ModelNotFound');
      assert.match(err.message, /'other-claim'/);
      assert.ok(err.message.includes(join(root, 'other-claim')), err.message);
      return true;
    },
  );
  await assert.rejects(initializeModel({ storageUri: 'pvc://unmapped/iris', cacheDir }), /pvcRoots\['unmapped'\]/);
  await assert.rejects(
    initializeModel({ storageUri: 'pvc://models/iris/missing', cacheDir, pvcDefaultRoot: root }),
    storageFailure('ModelNotFound'),
  );
});

test('EXPECTED FAILURE - pvc:// paths cannot leave the claim', async (t) => {
  const { cacheDir, root } = await setup(t);
  await assert.rejects(
    initializeModel({ storageUri: 'pvc://models/../../etc', cacheDir, pvcDefaultRoot: root }),
    storageFailure('InvalidStorageUri'),
  );
  await assert.rejects(
    initializeModel({ storageUri: 'pvc:///iris', cacheDir, pvcDefaultRoot: root }),
    storageFailure('InvalidStorageUri'),
  );
});

test('EXPECTED FAILURE - unknown schemes are StorageUnsupported and list what works', async (t) => {
  const { cacheDir } = await setup(t);
  await assert.rejects(
    initializeModel({ storageUri: 'foo://x/y', cacheDir }),
    (err: Error & { details: { reason: string } }) => {
      assert.equal(err.details.reason, 'StorageUnsupported');
      assert.match(err.message, /Cannot recognize storage type for foo:\/\/x\/y/);
      assert.match(err.message, /pvc:\/\//);
      return true;
    },
  );
  await assert.rejects(
    initializeModel({ storageUri: 'hdfs://nn/models', cacheDir }),
    storageFailure('StorageUnsupported', /hdfs:\/\//),
  );
});
