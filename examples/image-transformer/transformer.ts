// A TypeScript image transformer (docs/sdk.md, issue 15 item 7), the counterpart of KServe's Python
// custom_transformer: a V1 request `{"instances": [{"image": {"b64": "<PNG>"}}]}` (TensorFlow's binary
// encoding, as KServe's e2e test sends it) or a V2 BYTES input of PNGs becomes one normalised FP32 tensor
// INPUT__0 [n, C, H, W] (pixel / 255, then (x − mean) / std per channel — torchvision's ToTensor + Normalize),
// sent to the predictor over V2 (REST or gRPC; --protocol); the predictor's first output comes back as V1
// `predictions` for a V1 client, or as the V2 response for a V2 client. PNG decoding is ./png.ts (node:zlib).
//
//   inferd run dist/examples/image-transformer/transformer.js --model_name mnist \
//     --predictor_host 127.0.0.1:8080 --protocol v2 --http_port 8090

import {
  InferdError,
  InferRequest,
  InferResponse,
  Model,
  type Payload,
  type RequestContext,
  type Result,
  tensor,
  type V1Request,
} from 'inferd';
import { decodePng } from './png.js';

/** MNIST's mean and std for greyscale (KServe's transformer for "mnist"), ImageNet's for RGB. */
const NORMALISE = {
  1: { mean: [0.1307], std: [0.3081] },
  3: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
} as const;

function b64Of(instance: unknown, i: number): string {
  const b64 = (instance as { image?: { b64?: unknown } } | null)?.image?.b64;
  if (typeof b64 !== 'string') throw new InferdError('INVALID_INPUT', `instance ${i}: expected {"image": {"b64": …}}`);
  return b64;
}

/** PNG bytes of each image → one FP32 [n, C, H, W] tensor; every image must have the same size. */
export function toTensor(images: Buffer[]): { shape: number[]; data: Float32Array } {
  if (images.length === 0) throw new InferdError('INVALID_INPUT', 'no images in the request');
  const decoded = images.map((png) => decodePng(png));
  const { width, height, channels } = decoded[0]!;
  const per = channels * width * height;
  const data = new Float32Array(per * decoded.length);
  const { mean, std } = NORMALISE[channels];
  decoded.forEach((img, n) => {
    if (img.width !== width || img.height !== height || img.channels !== channels)
      throw new InferdError(
        'INVALID_INPUT',
        `image ${n} is ${img.width}x${img.height}x${img.channels}, image 0 is ${width}x${height}x${channels}`,
      );
    const area = width * height;
    for (let c = 0; c < channels; c++) {
      // In float32 steps, as torchvision computes it.
      const m = Math.fround(mean[c]!);
      const s = Math.fround(std[c]!);
      for (let i = 0; i < area; i++) {
        const x = Math.fround(img.planes[c * area + i]! / 255);
        data[n * per + c * area + i] = Math.fround(Math.fround(x - m) / s);
      }
    }
  });
  return { shape: [decoded.length, channels, height, width], data };
}

export default class ImageTransformer extends Model {
  override preprocess(payload: Payload, ctx: RequestContext): Payload {
    let images: Buffer[];
    if (payload instanceof InferRequest) {
      const input = payload.inputs[0];
      if (!input || input.datatype !== 'BYTES')
        throw new InferdError('INVALID_INPUT', 'expected one BYTES input of PNG images');
      images = (input.data as unknown as (string | Uint8Array)[]).map((v) =>
        typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.from(v),
      );
    } else {
      const instances = (payload as V1Request).instances;
      if (!Array.isArray(instances)) throw new InferdError('INVALID_INPUT', 'expected "instances"');
      images = instances.map((x, i) => Buffer.from(b64Of(x, i), 'base64'));
    }
    const { shape, data } = toTensor(images);
    return new InferRequest(this.name, [tensor('INPUT__0', shape, data)], ctx.requestId);
  }

  override postprocess(result: Result, ctx: RequestContext): Result {
    if (ctx.protocol === 'v1' && result instanceof InferResponse) {
      const out = result.outputs[0];
      if (!out) throw new InferdError('INTERNAL', 'the predictor answered no output');
      return { predictions: Array.from(out.toFloat64()) };
    }
    return result;
  }
}
