// Issue 15, item 7: the TypeScript image transformer example (examples/image-transformer: base64 PNG →
// normalised FP32 tensor, PNG decoded in plain TypeScript with node:zlib) in front of an ONNX classifier, through
// the gateway of a real `inferd serve`. Its tensor is checked against torchvision's (the fixture generator's
// figures for KServe's MNIST image), its decoder against every PNG row filter, and its answer against the
// classifier's expected class over V1 (KServe's request) and V2 (a BYTES input of PNGs).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { decodePng } from '../../examples/image-transformer/png.js';
import { toTensor } from '../../examples/image-transformer/transformer.js';
import { httpRequest, type Inferd, removeDir, startInferd } from '../helpers/inferd.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/image-transformer/', import.meta.url));
const SOURCE = fileURLToPath(new URL('../../../examples/image-transformer/', import.meta.url));
const MODEL_DIR = fileURLToPath(new URL('../../../test/fixtures/mnist-onnx', import.meta.url));
const EXPECTED = JSON.parse(readFileSync(join(MODEL_DIR, 'expected.json'), 'utf8')) as {
  predictions: number[];
  input_sum: number;
};
const REQUEST = readFileSync(join(SOURCE, 'input.json'), 'utf8');
const B64 = (JSON.parse(REQUEST) as { instances: { image: { b64: string } }[] }).instances[0]!.image.b64;
const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';

/** A PNG of `pixels` (RGB, 8-bit) whose rows use filter y % 5: None, Sub, Up, Average, Paeth. CRCs are zero. */
function encodeRgb(width: number, height: number, pixels: Uint8Array): Buffer {
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  const px = (x: number, y: number) => (x < 0 || y < 0 ? 0 : pixels[y * stride + x]!);
  for (let y = 0; y < height; y++) {
    const f = y % 5;
    raw[y * (stride + 1)] = f;
    for (let x = 0; x < stride; x++) {
      const a = px(x - 3, y);
      const b = px(x, y - 1);
      const c = px(x - 3, y - 1);
      const e = a + b - c;
      const paeth =
        Math.abs(e - a) <= Math.abs(e - b) && Math.abs(e - a) <= Math.abs(e - c)
          ? a
          : Math.abs(e - b) <= Math.abs(e - c)
            ? b
            : c;
      const p = [0, a, b, (a + b) >> 1, paeth][f]!;
      raw[y * (stride + 1) + 1 + x] = (px(x, y) - p) & 0xff;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, data, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('the PNG decoder undoes every row filter and returns channel-planar RGB', () => {
  const width = 7;
  const height = 10;
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37 + (i >> 3) * 101) & 0xff;
  const img = decodePng(encodeRgb(width, height, pixels));
  assert.deepEqual([img.width, img.height, img.channels], [width, height, 3]);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++)
        assert.equal(img.planes[c * width * height + y * width + x], pixels[(y * width + x) * 3 + c], `${x},${y},${c}`);
});

test('the PNG decoder refuses what it does not decode with INVALID_INPUT', () => {
  assert.throws(() => decodePng(Buffer.from('GIF89a not a png at all, but long enough')), {
    code: 'INVALID_INPUT',
    message: /no PNG signature/,
  });
  const png = encodeRgb(2, 2, new Uint8Array(12));
  png[8 + 8 + 8] = 16; // IHDR bit depth
  assert.throws(() => decodePng(png), { code: 'INVALID_INPUT', message: /bit depth 16/ });
});

test('KServe’s MNIST image becomes torchvision’s tensor: FP32 [1, 1, 28, 28], (x/255 − 0.1307)/0.3081', () => {
  const { shape, data } = toTensor([Buffer.from(B64, 'base64')]);
  assert.deepEqual(shape, [1, 1, 28, 28]);
  let sum = 0;
  for (const v of data) sum += v;
  // The generator's sum (numpy float32, equal to torchvision's: 23.553032) over 784 values.
  assert.ok(Math.abs(sum - EXPECTED.input_sum) < 1e-3, `sum ${sum} vs ${EXPECTED.input_sum}`);
  assert.ok(Math.abs(data[0]! - -0.1307 / 0.3081) < 1e-6, `background pixel ${data[0]}`);
});

let inferd: Inferd;

before(async () => {
  inferd = await startInferd();
  const r = await httpRequest({
    port: inferd.port,
    path: ISVC,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'mnist-ts' },
      spec: {
        predictor: { model: { modelFormat: { name: 'onnx' }, protocolVersion: 'v2', storageUri: MODEL_DIR } },
        transformer: {
          containers: [{ name: 'kserve-container', command: ['inferd', 'run', join(EXAMPLE, 'transformer.js')] }],
        },
      },
    }),
  });
  assert.equal(r.status, 201, r.text);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = JSON.parse((await httpRequest({ port: inferd.port, path: `${ISVC}/mnist-ts` })).text) as {
      status?: { conditions?: { type: string; status: string }[] };
    };
    if (s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') break;
    if (Date.now() > deadline) throw new Error(`mnist-ts not Ready: ${JSON.stringify(s.status)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

const post = (path: string, body: string) =>
  httpRequest({
    port: inferd.port,
    path,
    headers: { host: 'mnist-ts.default.example.com', 'content-type': 'application/json' },
    body,
  });

test('through the gateway, V1: KServe’s base64 PNG request gets the classifier’s class', async () => {
  const res = await post('/v1/models/mnist-ts:predict', REQUEST);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text), { predictions: EXPECTED.predictions });
});

test('through the gateway, V2: a BYTES input of two PNGs is one [2, 1, 28, 28] batch', async () => {
  const res = await post(
    '/v2/models/mnist-ts/infer',
    JSON.stringify({ id: 'img-2', inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], data: [B64, B64] }] }),
  );
  assert.equal(res.status, 200, res.text);
  const body = JSON.parse(res.text) as { id: string; outputs: { name: string; shape: number[]; data: unknown[] }[] };
  assert.equal(body.outputs[0]?.name, 'predictions');
  assert.deepEqual(body.outputs[0]?.shape, [2]);
  assert.deepEqual(body.outputs[0]?.data.map(Number), [...EXPECTED.predictions, ...EXPECTED.predictions]);
});

test('through the gateway: a request that is not a PNG is a 400 JSON answer naming the problem', async () => {
  const res = await post('/v1/models/mnist-ts:predict', JSON.stringify({ instances: [{ image: { b64: 'AAAA' } }] }));
  assert.equal(res.status, 400, res.text);
  assert.match(res.text, /not a supported PNG: no PNG signature/);
});
