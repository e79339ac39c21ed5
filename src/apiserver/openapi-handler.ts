// Answers `/openapi/v2` and `/openapi/v3[/...]` (documents from openapi.ts) in JSON. kubectl (every
// version) asks for `/openapi/v2` in gnostic's protobuf only: it gets a Swagger 2.0 document with no
// definitions. kubectl then finds no schema for any kind, so it validates nothing client-side (inferd
// validates every write) and sends JSON merge patches for the KServe kinds, as for any CRD; kubectl >= 1.27
// reads the full schemas and the fieldValidation support from /openapi/v3. Other protobuf answers get 406.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { openApiV2Document, openApiV3Document, openApiV3Root } from './openapi.js';
import { sendJson } from './respond.js';
import { failure } from './status-errors.js';

/** True when the Accept header admits JSON (absent, `*\/*`, `application/*` or any `...json`). */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0]!.trim().toLowerCase();
    return type === '*/*' || type === 'application/*' || type.endsWith('json');
  });
}

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/**
 * gnostic's openapi_v2.Document with only `swagger: "2.0"` (field 1) set: decodes to a document with no
 * definitions.
 */
export const EMPTY_OPENAPI_V2_PROTOBUF = Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]);

export function serveOpenApi(
  route: { version: 'v2' | 'v3'; groupVersion?: string },
  req: IncomingMessage,
  res: ServerResponse,
  serverVersion: string,
): void {
  if (
    route.version === 'v2' &&
    !acceptsJson(req.headers.accept) &&
    /proto-openapi\.spec\.v2/.test(req.headers.accept ?? '')
  ) {
    res.writeHead(200, {
      // Go's mime parser refuses the `@` in the media type asked for; kube-openapi answers this too.
      'content-type': 'application/octet-stream',
      'content-length': String(EMPTY_OPENAPI_V2_PROTOBUF.length),
      'cache-control': 'no-cache, private',
    });
    res.end(EMPTY_OPENAPI_V2_PROTOBUF);
    return;
  }
  if (!acceptsJson(req.headers.accept)) {
    sendJson(
      res,
      406,
      failure(406, 'NotAcceptable', `only application/json is served here, not ${String(req.headers.accept)}`),
    );
    return;
  }
  const doc =
    route.version === 'v2'
      ? openApiV2Document(serverVersion)
      : route.groupVersion === undefined
        ? openApiV3Root(serverVersion)
        : openApiV3Document(route.groupVersion, serverVersion);
  if (doc === undefined) {
    sendJson(res, 404, failure(404, 'NotFound', 'the server could not find the requested resource'));
    return;
  }
  sendJson(res, 200, doc);
}
