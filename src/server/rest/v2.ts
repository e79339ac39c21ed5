// KServe V2 (Open Inference Protocol) REST endpoints (python/kserve/kserve/protocol/rest/v2_endpoints.py).
// Order of checks follows FastAPI's: the body is validated (422) before the version (501), the model
// (404/503) and the tensors (400) are looked at.

import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { InferdError } from '../../errors.js';
import type { Tensor, TensorMetadata } from '../../runtimes/model.js';
import { JsonBodyError, parseJsonBody } from '../json-body.js';
import { decodeV2Tensor } from '../tensor-decode.js';
import { encodeFlat } from '../tensor-json.js';
import { existingModel, RequestPredictOptions, readyModel, runPredict, type ServerContext } from './dataplane.js';
import {
  type PydanticError,
  RequestValidationError,
  validateGenerateRequest,
  validateInferenceRequest,
} from './v2-request.js';

const q = JSON.stringify;

/** FastAPI echoes the whole body in `ctx.doc`; past this many characters we cut it (docs/compatibility.md). */
export const MAX_ECHOED_DOC_CHARS = 64 * 1024;

const versioningUnsupported = () => new InferdError('UNSUPPORTED', 'Model versioning not supported yet.');

export function v2ServerMetadata(ctx: ServerContext, res: ServerResponse): void {
  ctx.respond.json(
    res,
    200,
    `{"name":"inferd","version":${q(ctx.version)},"extensions":["model_repository_extension"]}`,
  );
}

export function v2Live(ctx: ServerContext, res: ServerResponse): void {
  ctx.respond.json(res, 200, '{"live":true}');
}

/** Always true, as in KServe 0.12.1: a replica only listens once its model is loaded. */
export function v2Ready(ctx: ServerContext, res: ServerResponse): void {
  ctx.respond.json(res, 200, '{"ready":true}');
}

export function v2ListModels(ctx: ServerContext, res: ServerResponse): void {
  ctx.respond.json(res, 200, `{"models":${q(ctx.models.names())}}`);
}

const tensorMetadata = (ts: readonly TensorMetadata[]) =>
  `[${ts.map((t) => `{"name":${q(t.name)},"datatype":${q(t.datatype)},"shape":${q(t.shape)}}`).join(',')}]`;

export function v2ModelMetadata(ctx: ServerContext, res: ServerResponse, name: string, version?: string): void {
  if (version !== undefined) throw versioningUnsupported();
  const md = existingModel(ctx, name).model.metadata();
  ctx.respond.json(
    res,
    200,
    `{"name":${q(name)},"versions":null,"platform":${q(md.platform ?? '')},` +
      `"inputs":${tensorMetadata(md.inputs ?? [])},"outputs":${tensorMetadata(md.outputs ?? [])}}`,
  );
}

export function v2ModelReady(ctx: ServerContext, res: ServerResponse, name: string, version?: string): void {
  if (version !== undefined) throw versioningUnsupported();
  readyModel(ctx, name);
  ctx.respond.json(res, 200, `{"name":${q(name)},"ready":true}`);
}

/** A body as FastAPI sees it: empty → missing; not JSON → pydantic-1 `value_error.jsondecode` (422). */
function parseV2Body(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return parseJsonBody(body);
  } catch (err) {
    if (!(err instanceof JsonBodyError)) throw err;
    const d = err.decode;
    const doc = err.text.length > MAX_ECHOED_DOC_CHARS ? err.text.slice(0, MAX_ECHOED_DOC_CHARS) : err.text;
    const e: PydanticError = {
      loc: ['body', d.pos],
      msg: d.message,
      type: 'value_error.jsondecode',
      ctx: { msg: d.msg, doc, pos: d.pos, lineno: d.lineno, colno: d.colno },
    };
    throw new RequestValidationError([e]);
  }
}

export async function v2Infer(
  ctx: ServerContext,
  res: ServerResponse,
  name: string,
  version: string | undefined,
  body: Buffer,
): Promise<void> {
  const request = validateInferenceRequest(parseV2Body(body));
  if (version !== undefined) throw versioningUnsupported();
  const entry = readyModel(ctx, name);
  if (request.inputs.length === 0) {
    // KServe 0.12.1: 500 "list index out of range".
    throw new InferdError('INVALID_INPUT', 'Expected at least one tensor in "inputs"');
  }
  const inputs: Tensor[] = request.inputs.map((i) => decodeV2Tensor(i.name, i.datatype, i.shape, i.data, i.parameters));
  const options = new RequestPredictOptions(res);
  if (request.parameters) options.parameters = request.parameters;
  if (request.outputs) options.outputNames = request.outputs.map((o) => o.name);
  const outputs = await runPredict(ctx, entry, inputs, options);
  const id = request.id ? request.id : randomUUID();
  ctx.respond.json(res, 200, inferResponse(name, id, outputs));
}

/** KServe's InferenceResponse key order, with pydantic's explicit nulls. */
export function inferResponse(modelName: string, id: string, outputs: readonly Tensor[]): string {
  let s = `{"model_name":${q(modelName)},"model_version":null,"id":${q(id)},"parameters":null,"outputs":[`;
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i]!;
    const params = o.parameters && Object.keys(o.parameters).length > 0 ? q(o.parameters) : 'null';
    s +=
      `${i ? ',' : ''}{"name":${q(o.name)},"shape":[${o.shape.join(',')}],"datatype":${q(o.datatype)},` +
      `"parameters":${params},"data":${encodeFlat(o)}}`;
  }
  return `${s}]}`;
}

/** inferd models do not generate text (KServe's Model.generate: NotImplementedError → 501). */
export async function v2Generate(
  ctx: ServerContext,
  _res: ServerResponse,
  name: string,
  version: string | undefined,
  body: Buffer,
): Promise<void> {
  validateGenerateRequest(parseV2Body(body));
  if (version !== undefined) throw versioningUnsupported();
  readyModel(ctx, name);
  throw new InferdError('UNSUPPORTED', 'generate is not implemented');
}

/** Repository extension: marks a known model ready again. */
export function v2LoadModel(ctx: ServerContext, res: ServerResponse, name: string): void {
  existingModel(ctx, name);
  ctx.models.setReady(name, true);
  ctx.respond.json(res, 200, `{"name":${q(name)},"load":true}`);
}

/** Repository extension: the model stays in the repository, not ready, so that `load` can bring it back. */
export function v2UnloadModel(ctx: ServerContext, res: ServerResponse, name: string): void {
  existingModel(ctx, name);
  ctx.models.setReady(name, false);
  ctx.respond.json(res, 200, `{"name":${q(name)},"unload":true}`);
}
