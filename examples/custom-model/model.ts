// A TypeScript custom model with its own state (docs/sdk.md): a nearest-centroid iris classifier. load()
// builds the centroids; every request, whatever its protocol, counts into the same `served` total.
//
//   npx tsc && inferd run dist/examples/custom-model/model.js --model_name iris-centroid --http_port 8080
//   curl localhost:8080/v1/models/iris-centroid:predict -d '{"instances":[[6.8,2.8,4.8,1.4]]}'

import {
  InferdError,
  type InferRequest,
  InferResponse,
  Model,
  type Payload,
  type RequestContext,
  type Result,
  tensor,
} from 'inferd';

/** Per-class means of the iris training set (sepal length/width, petal length/width). */
const CLASS_MEANS: readonly (readonly number[])[] = [
  [5.006, 3.428, 1.462, 0.246], // setosa
  [5.936, 2.77, 4.26, 1.326], // versicolor
  [6.588, 2.974, 5.552, 2.026], // virginica
];

export default class IrisCentroid extends Model {
  #centroids = new Float64Array(0);
  /** Rows classified since load(), over every protocol. */
  served = 0;

  override load(): boolean {
    this.#centroids = Float64Array.from(CLASS_MEANS.flat());
    this.ready = true;
    return this.ready;
  }

  /** Class index of each row of `x` (row-major, 4 features per row). */
  classify(x: ArrayLike<number>, rows: number): BigInt64Array {
    const out = new BigInt64Array(rows);
    const c = this.#centroids;
    for (let r = 0; r < rows; r++) {
      let best = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let k = 0; k < 3; k++) {
        let d = 0;
        for (let j = 0; j < 4; j++) {
          const diff = x[r * 4 + j]! - c[k * 4 + j]!;
          d += diff * diff;
        }
        if (d < bestD) {
          bestD = d;
          best = k;
        }
      }
      out[r] = BigInt(best);
    }
    this.served += rows;
    return out;
  }

  override async predict(payload: Payload, ctx: RequestContext): Promise<Result> {
    if (ctx.protocol === 'v1') {
      const instances = (payload as { instances?: unknown }).instances;
      if (!Array.isArray(instances) || !instances.every((r) => Array.isArray(r) && r.length === 4)) {
        throw new InferdError('INVALID_INPUT', 'expected "instances": rows of 4 numbers');
      }
      const flat = Float64Array.from((instances as number[][]).flat());
      const classes = this.classify(flat, instances.length);
      return { predictions: classes, served: this.served };
    }
    const req = payload as InferRequest;
    const x = req.inputs[0];
    if (!x || x.shape.length !== 2 || x.shape[1] !== 4) {
      throw new InferdError('INVALID_INPUT', 'expected one input of shape [n, 4]');
    }
    const classes = this.classify(x.toFloat64(), x.shape[0]!);
    return new InferResponse(
      this.name,
      [tensor('class', [classes.length], classes), tensor('served', [1], new BigInt64Array([BigInt(this.served)]))],
      ctx.requestId,
    );
  }

  override inputTypes() {
    return [{ name: 'input-0', datatype: 'FP32' as const, shape: [-1, 4] }];
  }

  override outputTypes() {
    return [
      { name: 'class', datatype: 'INT64' as const, shape: [-1] },
      { name: 'served', datatype: 'INT64' as const, shape: [1] },
    ];
  }
}
