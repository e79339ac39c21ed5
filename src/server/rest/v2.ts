// KServe V2 (Open Inference Protocol) REST endpoints (python/kserve/kserve/protocol/rest/v2_endpoints.py).
// Order of checks follows FastAPI's: the body is validated (422) before the version (501), the model
// (404/503) and the tensors (400) are looked at.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { InferdError } from '../../errors.js';
import type { Tensor, TensorMetadata } from '../../runtimes/model.js';
import { OCTET_STREAM_TYPE } from '../http-response.js';
import { JsonBodyError, JsonEncodingError, parseJsonBody } from '../json-body.js';
import { decodeV2Tensor, show } from '../tensor-decode.js';
import {
  existingModel,
  RequestPredictOptions,
  randomUuid,
  readyModel,
  requestInfo,
  runPredict,
  runRequestHandler,
  type ServerContext,
} from './dataplane.js';
import { decodeBinaryInputs, INFERENCE_HEADER, jsonHeaderLength, MISSING_HEADER_MESSAGE } from './v2-binary.js';
import {
  type PydanticError,
  RequestValidationError,
  type V2InferenceRequest,
  validateGenerateRequest,
  validateInferenceRequest,
} from './v2-request.js';
import { binaryInferResponse, binaryOutputFlags, inferResponse, selectOutputs } from './v2-response.js';

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
    // Not UTF-8: 400 in both protocols (Python's json raises UnicodeDecodeError, FastAPI answers 400).
    if (err instanceof JsonEncodingError) {
      throw new InferdError('INVALID_INPUT', `Unrecognized request format: ${err.message}`);
    }
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

/** The body of a binary-extension request's JSON header: KServe's 400 "Unrecognized request format". */
function parseBinaryHeader(json: Buffer): unknown {
  try {
    return parseJsonBody(json);
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

const isOctetStream = (type: string | undefined) =>
  type !== undefined && (type === OCTET_STREAM_TYPE || type.toLowerCase().startsWith(OCTET_STREAM_TYPE));

export async function v2Infer(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  version: string | undefined,
  body: Buffer,
): Promise<void> {
  const headerLength = req.headers[INFERENCE_HEADER];
  let request: V2InferenceRequest;
  let binary: Buffer | undefined;
  if (headerLength !== undefined) {
    const n = jsonHeaderLength(headerLength, body.length);
    request = validateInferenceRequest(parseBinaryHeader(body.subarray(0, n)), { binary: true });
    binary = body.subarray(n);
  } else {
    if (isOctetStream(req.headers['content-type'])) throw new InferdError('INVALID_INPUT', MISSING_HEADER_MESSAGE);
    request = validateInferenceRequest(parseV2Body(body));
  }
  if (version !== undefined) throw versioningUnsupported();
  const entry = readyModel(ctx, name);
  if (request.inputs.length === 0) {
    // KServe 0.12.1: 500 "list index out of range".
    throw new InferdError('INVALID_INPUT', 'Expected at least one tensor in "inputs"');
  }
  const inputs: Tensor[] = binary
    ? decodeBinaryInputs(request, binary, name)
    : request.inputs.map((i) => decodeV2Tensor(i.name, i.datatype, i.shape, i.data!, i.parameters));
  const options = new RequestPredictOptions(res);
  if (request.parameters) options.parameters = request.parameters;
  if (request.outputs) options.outputNames = request.outputs.map((o) => o.name);
  const id = request.id ? request.id : randomUuid();
  const handlers = entry.model.requests;
  const produced = handlers
    ? (
        await runRequestHandler(ctx, entry, requestInfo(req.headers, 'v2', options, id), (info) =>
          handlers.v2(
            { id, inputs, parameters: request.parameters ?? null, outputs: options.outputNames ?? null },
            info,
          ),
        )
      ).outputs
    : await runPredict(ctx, entry, inputs, options);
  const outputs = selectOutputs(name, produced, request.outputs);
  const flags = binaryOutputFlags(request, outputs.length);
  if (flags) {
    const r = binaryInferResponse(name, id, outputs, flags);
    ctx.respond.binary(res, 200, r.header, r.buffers);
  } else {
    ctx.respond.json(res, 200, inferResponse(name, id, outputs));
  }
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

/**
 * Repository extension index: KServe's `ModelRepositoryExtension.index()` entries
 * (`{"name","state":"Ready"|"NotReady","reason":""}`), which KServe 0.12.1 does not route over REST.
 * A body `{"ready": true}` (Triton's client option) keeps only the ready ones.
 */
export function v2RepositoryIndex(ctx: ServerContext, res: ServerResponse, body: Buffer): void {
  let readyOnly = false;
  if (body.length > 0) {
    let parsed: unknown;
    try {
      parsed = parseJsonBody(body);
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
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InferdError('INVALID_INPUT', 'Expected a JSON object such as {"ready": true}');
    }
    const ready = (parsed as { ready?: unknown }).ready;
    if (ready !== undefined && typeof ready !== 'boolean') {
      throw new InferdError('INVALID_INPUT', `"ready" must be true or false, got ${show(ready)}`);
    }
    readyOnly = ready === true;
  }
  const entries: string[] = [];
  for (const [name, entry] of ctx.models.entries()) {
    if (readyOnly && !entry.ready) continue;
    entries.push(`{"name":${q(name)},"state":"${entry.ready ? 'Ready' : 'NotReady'}","reason":""}`);
  }
  ctx.respond.json(res, 200, `[${entries.join(',')}]`);
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
