// Where the runtime finds model.onnx (KServe dir, Triton version dir, single .onnx file) and how it refuses
// directories without one, with several, or with a file onnxruntime cannot parse.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InferdError } from '../../../src/errors.js';
import { findOnnxModelFile, onnxRuntime } from '../../../src/runtimes/onnx/index.js';
import { fixtureDir } from './golden.js';

const root = mkdtempSync(join(tmpdir(), 'inferd-onnx-layout-'));
after(() => rmSync(root, { recursive: true, force: true }));

const fixedModel = join(fixtureDir('fixed'), 'model.onnx');
const mlpModel = join(fixtureDir('mlp'), 'model.onnx');
let n = 0;
/** A fresh model directory with `files` copied in: relative path → source file (or literal contents). */
function modelDir(files: Record<string, string | Buffer>): string {
  const dir = join(root, `m${n++}`);
  mkdirSync(dir);
  for (const [rel, src] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    if (Buffer.isBuffer(src)) writeFileSync(join(dir, rel), src);
    else copyFileSync(src, join(dir, rel));
  }
  return dir;
}

function assertModelMissing(err: unknown, dir: string): true {
  assert.ok(err instanceof InferdError);
  assert.equal(err.code, 'MODEL_LOAD_FAILED');
  assert.equal(err.details.reason, 'ModelMissing');
  assert.match(err.message, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.match(err.message, /model\.onnx/);
  return true;
}

describe('findOnnxModelFile', () => {
  test('finds model.onnx in the model directory (KServe layout)', async () => {
    const dir = modelDir({ 'model.onnx': fixedModel, 'other.onnx': mlpModel });
    assert.equal(await findOnnxModelFile(dir), join(dir, 'model.onnx'));
  });

  test("finds {dir}/1/model.onnx (Triton's layout)", async () => {
    const dir = modelDir({ '1/model.onnx': fixedModel, 'config.pbtxt': Buffer.from('platform: "onnxruntime_onnx"') });
    assert.equal(await findOnnxModelFile(dir), join(dir, '1', 'model.onnx'));
  });

  test('takes the highest numeric Triton version that holds model.onnx', async () => {
    const dir = modelDir({ '2/model.onnx': fixedModel, '10/model.onnx': mlpModel, '11/README': Buffer.from('x') });
    assert.equal(await findOnnxModelFile(dir), join(dir, '10', 'model.onnx'));
  });

  test('takes the single .onnx file under any name', async () => {
    const dir = modelDir({ 'iris.onnx': fixedModel, 'notes.txt': Buffer.from('x') });
    assert.equal(await findOnnxModelFile(dir), join(dir, 'iris.onnx'));
  });

  test('accepts the path of a .onnx file itself', async () => {
    assert.equal(await findOnnxModelFile(fixedModel), fixedModel);
  });

  test('EXPECTED FAILURE - no .onnx file: ModelMissing naming the dir and what was looked for', async () => {
    const dir = modelDir({ 'model.pkl': Buffer.from('x'), 'sub.onnx/model.txt': Buffer.from('x') });
    await assert.rejects(findOnnxModelFile(dir), (err) => assertModelMissing(err, dir) && /found none/.test(`${err}`));
  });

  test('EXPECTED FAILURE - several .onnx files and no model.onnx: ModelMissing listing them', async () => {
    const dir = modelDir({ 'a.onnx': fixedModel, 'b.onnx': mlpModel });
    await assert.rejects(
      findOnnxModelFile(dir),
      (err) => assertModelMissing(err, dir) && /a\.onnx, b\.onnx/.test(`${err}`),
    );
  });

  test('EXPECTED FAILURE - missing directory: ModelMissing', async () => {
    const dir = join(root, 'does-not-exist');
    await assert.rejects(findOnnxModelFile(dir), (err) => {
      assert.ok(err instanceof InferdError);
      assert.equal(err.code, 'MODEL_LOAD_FAILED');
      assert.equal(err.details.reason, 'ModelMissing');
      assert.match(err.message, /does not exist/);
      return true;
    });
  });
});

describe('onnxRuntime.load', () => {
  test('loads a Triton-layout model', async () => {
    const model = await onnxRuntime.load({ name: 'triton', modelDir: modelDir({ '1/model.onnx': mlpModel }) });
    assert.equal(model.name, 'triton');
    assert.equal(model.metadata().inputs[0]?.name, 'input');
    await model.unload?.();
  });

  test("EXPECTED FAILURE - corrupt model.onnx: MODEL_LOAD_FAILED with onnxruntime's message", async () => {
    const dir = modelDir({ 'model.onnx': Buffer.from('this is not a protobuf\n') });
    await assert.rejects(onnxRuntime.load({ name: 'bad', modelDir: dir }), (err) => {
      assert.ok(err instanceof InferdError);
      assert.equal(err.code, 'MODEL_LOAD_FAILED');
      assert.equal(err.details.reason, 'ModelLoadFailed');
      assert.match(err.message, /onnxruntime could not load .*model\.onnx: .*protobuf parsing failed/i);
      return true;
    });
  });

  test('EXPECTED FAILURE - empty directory: ModelMissing', async () => {
    const dir = modelDir({});
    await assert.rejects(onnxRuntime.load({ name: 'none', modelDir: dir }), (err) => assertModelMissing(err, dir));
  });

  test('EXPECTED FAILURE - bad thread count in env: INVALID_CONFIG naming the variable', async () => {
    await assert.rejects(
      onnxRuntime.load({ name: 'x', modelDir: fixtureDir('fixed'), env: { OMP_NUM_THREADS: 'many' } }),
      (err) => {
        assert.ok(err instanceof InferdError);
        assert.equal(err.code, 'INVALID_CONFIG');
        assert.equal(err.details.path, 'OMP_NUM_THREADS');
        return true;
      },
    );
  });
});
