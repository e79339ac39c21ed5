// KServe V1 REST endpoints (python/kserve/kserve/protocol/rest/v1_endpoints.py): list, ready, predict,
// explain. Predict is the hot path: one JSON.parse, rows straight into a Float64Array, and the response
// string written directly from the output tensor.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { InferdError } from '../../errors.js';
import { JsonBodyError, JsonEncodingError, parseJsonBody } from '../json-body.js';
import { encodeNested } from '../tensor-json.js';
import { decodeV1Request } from '../v1-instances.js';
import {
  RequestPredictOptions,
  readyModel,
  requestInfo,
  runPredict,
  runRequestHandler,
  type ServerContext,
} from './dataplane.js';

const q = JSON.stringify;

export function v1ListModels(ctx: ServerContext, res: ServerResponse): void {
  ctx.respond.json(res, 200, `{"models":${q(ctx.models.names())}}`);
}

/** `{"name":m,"ready":"True"}`: the string "True" is what KServe 0.12.1 sends under pydantic 1. */
export function v1ModelReady(ctx: ServerContext, res: ServerResponse, name: string): void {
  readyModel(ctx, name);
  ctx.respond.json(res, 200, `{"name":${q(name)},"ready":"True"}`);
}

/** KServe's decode step: a body that is not JSON is 400 "Unrecognized request format: ...". */
function parseV1Body(body: Buffer): unknown {
  try {
    return parseJsonBody(body);
  } catch (err) {
    // Not UTF-8: 400 in both protocols (Python's json raises UnicodeDecodeError, FastAPI answers 400).
    if (err instanceof JsonEncodingError) {
      throw new InferdError('INVALID_INPUT', `Unrecognized request format: ${err.message}`);
    }
    if (err instanceof JsonBodyError) {
      throw new InferdError('INVALID_INPUT', `Unrecognized request format: ${err.decode.message}`);
    }
    throw err;
  }
}

/** A whole-request model (the TypeScript SDK) gets the parsed body and answers the JSON text itself. */
async function v1Handle(
  ctx: ServerContext,
  req: IncomingMessage | undefined,
  res: ServerResponse,
  name: string,
  body: Buffer,
  verb: 'predict' | 'explain',
): Promise<boolean> {
  const entry = readyModel(ctx, name);
  const handlers = entry.model.requests;
  if (!handlers) return false;
  const payload = parseV1Body(body);
  const info = requestInfo(req?.headers ?? {}, 'v1', new RequestPredictOptions(res));
  const text = await runRequestHandler(ctx, entry, info, (i) => handlers.v1(payload, i, verb));
  ctx.respond.json(res, 200, text);
  return true;
}

export async function v1Predict(
  ctx: ServerContext,
  res: ServerResponse,
  name: string,
  body: Buffer,
  req?: IncomingMessage,
): Promise<void> {
  const entry = readyModel(ctx, name);
  if (entry.model.requests && (await v1Handle(ctx, req, res, name, body, 'predict'))) return;
  const { inputs, options } = decodeV1Request(parseV1Body(body));
  const opts = new RequestPredictOptions(res, options);
  const outputs = await runPredict(ctx, entry, inputs, opts);
  if (opts.batchId !== undefined) {
    // KServe's batcher answers with its own envelope (pkg/batcher/handler.go BatchResponse).
    ctx.respond.json(
      res,
      200,
      `{"message":"","batchId":${q(opts.batchId)},"predictions":${encodeNested(outputs[0]!)}}`,
    );
  } else {
    ctx.respond.json(res, 200, `{"predictions":${encodeNested(outputs[0]!)}}`);
  }
}

/** No inferd model has an explainer yet: KServe's answer for a model without `explainer_host`. */
export async function v1Explain(
  ctx: ServerContext,
  res: ServerResponse,
  name: string,
  body: Buffer,
  req?: IncomingMessage,
): Promise<void> {
  if (await v1Handle(ctx, req, res, name, body, 'explain')) return;
  const payload = parseV1Body(body);
  if (typeof payload === 'object' && payload !== null && 'instances' in payload) {
    if (!Array.isArray((payload as { instances: unknown }).instances)) {
      throw new InferdError('INVALID_INPUT', 'Expected "instances" to be a list');
    }
  }
  throw new InferdError('UNSUPPORTED', 'Could not find explainer_host.');
}
