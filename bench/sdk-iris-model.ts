// The bench's TypeScript SDK model for `sdk_vs_builtin_rps`: the same iris logic as the built-in sklearn
// runtime (it loads models/sklearn-iris with that runtime), wrapped in an SDK Model and served by
// `inferd run`, so that the ratio measures what the SDK path costs over the built-in one.

import { InferdError, Model, type Payload, type RequestContext, type Result, type V1Request } from '../src/index.js';
import type { Model as RuntimeModel } from '../src/runtimes/model.js';
import { sklearnRuntime } from '../src/runtimes/sklearn/index.js';
import type { SdkServerConfig } from '../src/sdk/server-args.js';

class SdkIris extends Model {
  #model: RuntimeModel | undefined;
  constructor(
    name: string,
    readonly modelDir: string,
  ) {
    super(name);
  }

  override async load(): Promise<boolean> {
    this.#model = await sklearnRuntime.load({ name: this.name, modelDir: this.modelDir });
    this.ready = true;
    return true;
  }

  override async predict(payload: Payload, _ctx: RequestContext): Promise<Result> {
    const rows = (payload as V1Request).instances as number[][];
    const n = rows.length;
    const width = rows[0]?.length ?? 0;
    const x = new Float64Array(n * width);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      if (r.length !== width) throw new InferdError('INVALID_INPUT', 'rows of one length expected');
      x.set(r, i * width);
    }
    const [out] = await this.#model!.predict([{ name: 'input-0', datatype: 'FP64', shape: [n, width], data: x }]);
    return { predictions: out!.data };
  }
}

export default (c: SdkServerConfig) => {
  if (!c.modelDir) throw new InferdError('INVALID_CONFIG', 'sdk-iris-model needs --model_dir');
  return new SdkIris(c.modelName || 'sklearn-iris', c.modelDir);
};
