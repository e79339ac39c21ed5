// The identity transformer with client-side routing turned off (`routeFeed: false`): every call to the
// predictor goes through its predictor listener and the gateway, as before issue 15's routing feed. The
// transformer-hop bench runs it beside examples/identity-transformer to compare both paths in one run.

import { Model } from '../src/sdk/model.js';
import { PredictorClient } from '../src/sdk/predictor-client.js';

export default class GatewayPathTransformer extends Model {
  #own: PredictorClient | undefined;

  protected override get predictorClient(): PredictorClient {
    this.#own ??= new PredictorClient({ host: this.predictorHost!, protocol: this.protocol, routeFeed: false });
    return this.#own;
  }

  override unload(): void {
    this.#own?.close();
  }
}
