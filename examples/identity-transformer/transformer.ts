// The identity transformer: KServe's Model with a predictor host and nothing overridden. Every request goes to
// the predictor unchanged (--protocol v1, v2 or grpc-v2) and its answer comes back unchanged; the smallest
// two-tier setup, and the one the transformer-hop bench measures.
//
//   inferd run dist/examples/identity-transformer/transformer.js --model_name iris --predictor_host 127.0.0.1:8080

import { Model } from 'inferd';

export default class IdentityTransformer extends Model {}
