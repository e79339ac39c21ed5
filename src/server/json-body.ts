// One JSON parse per request body, whatever its Content-Type (application/json, none, text/plain, or the
// application/x-www-form-urlencoded that `curl -d` sends; KServe 0.12.1 answers 500 to the last two). On
// failure, the error carries CPython-worded position details for KServe-shaped 400/422 bodies.

import { type JsonDecodeError, locateJsonError } from './json-decode-error.js';

export class JsonBodyError extends Error {
  constructor(
    readonly decode: JsonDecodeError,
    /** The body as text: FastAPI echoes it in the 422 `ctx.doc`. */
    readonly text: string,
  ) {
    super(decode.message);
  }
}

/** Parses a body as JSON (a leading UTF-8 BOM is skipped). Throws JsonBodyError. */
export function parseJsonBody(body: Buffer): unknown {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (err) {
    const decode = locateJsonError(text) ?? {
      // JSON.parse and CPython disagree (e.g. a lone surrogate): keep JSON.parse's words.
      msg: (err as Error).message,
      pos: 0,
      lineno: 1,
      colno: 1,
      message: `${(err as Error).message}: line 1 column 1 (char 0)`,
    };
    throw new JsonBodyError(decode, text);
  }
}
