// Answers `/openapi/v2` and `/openapi/v3[/...]` (documents from openapi.ts) in JSON. The protobuf
// encodings the apiserver also offers are not served: a client asking only for protobuf gets 406, which
// kubectl treats as "no OpenAPI v2" and then relies on v3.

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

export function serveOpenApi(
  route: { version: 'v2' | 'v3'; groupVersion?: string },
  req: IncomingMessage,
  res: ServerResponse,
  serverVersion: string,
): void {
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
