// A simple TypeScript transformer (docs/sdk.md): named iris features in, class names out. preprocess turns
// `{"instances":[{"sepal_length":…}]}` (V1) into rows, or passes a V2 request on with its input renamed;
// the default predict sends that to the predictor (--predictor_host, --protocol v1|v2|grpc-v2) with the SDK's
// predictor client; postprocess adds the class names.
//
//   inferd run dist/examples/transformer/transformer.js --model_name iris-centroid \
//     --predictor_host 127.0.0.1:8080 --protocol v2 --http_port 8090 --grpc_port 8091

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
  type V1Response,
} from 'inferd';

const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;
const NAMES = ['setosa', 'versicolor', 'virginica'];

const rowOf = (x: unknown, i: number): number[] => {
  if (typeof x !== 'object' || x === null) throw new InferdError('INVALID_INPUT', `instance ${i} is not an object`);
  return FEATURES.map((f) => {
    const v = (x as Record<string, unknown>)[f];
    if (typeof v !== 'number') throw new InferdError('INVALID_INPUT', `instance ${i}: "${f}" must be a number`);
    return v;
  });
};

export default class IrisTransformer extends Model {
  override preprocess(payload: Payload, ctx: RequestContext): Payload {
    if (payload instanceof InferRequest) {
      // V2 in: the predictor's input name, same tensor (no copy).
      const x = payload.input('features');
      return new InferRequest(this.name, [tensor('input-0', x.shape, x.data, x.datatype)], payload.id);
    }
    const instances = (payload as V1Request).instances ?? [];
    const rows = instances.map(rowOf);
    if (this.protocol === 'v1') return { instances: rows };
    // A V1 client in front of a V2 predictor: one FP32 [n, 4] tensor.
    return new InferRequest(
      this.name,
      [tensor('input-0', [rows.length, 4], Float32Array.from(rows.flat()))],
      ctx.requestId,
    );
  }

  override postprocess(result: Result, ctx: RequestContext): Result {
    if (result instanceof InferResponse) {
      const classes = result.output('class').toFloat64();
      const labels = Array.from(classes, (c) => NAMES[c] ?? 'unknown');
      if (ctx.protocol === 'v1') return { predictions: labels };
      return new InferResponse(
        this.name,
        [...result.outputs, tensor('label', [labels.length], labels, 'BYTES')],
        result.id,
      );
    }
    const predictions = (result as V1Response).predictions as number[];
    return { predictions: predictions.map((c) => NAMES[c] ?? 'unknown') };
  }
}
