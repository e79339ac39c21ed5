// One JSON parse per request body, whatever its Content-Type (application/json, none, text/plain, or the
// application/x-www-form-urlencoded that `curl -d` sends; KServe 0.12.1 answers 500 to the last two). On
// failure, the error carries CPython-worded position details for KServe-shaped 400/422 bodies.

import { isUtf8 } from 'node:buffer';
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

/** A body that is not UTF-8: JSON text must be (RFC 8259 §8.1); Python's json refuses it with this message. */
export class JsonEncodingError extends Error {}

/** Parses a body as JSON (a leading UTF-8 BOM is skipped). Throws JsonBodyError or JsonEncodingError. */
export function parseJsonBody(body: Buffer): unknown {
  // toString would replace bad bytes with U+FFFD and the model would get altered strings without a word.
  if (!isUtf8(body)) throw new JsonEncodingError(describeBadUtf8(body));
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

/** CPython's UnicodeDecodeError words for the first byte sequence that is not UTF-8 (off the hot path). */
export function describeBadUtf8(b: Buffer): string {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return `'utf-8' codec can't decode byte 0x${c.toString(16)} in position ${i}: invalid start byte`;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) {
        return `'utf-8' codec can't decode bytes in position ${i}-${n - 1}: unexpected end of data`;
      }
      const d = b[i + k]!;
      if (d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) {
        return k === 1
          ? `'utf-8' codec can't decode byte 0x${c.toString(16)} in position ${i}: invalid continuation byte`
          : `'utf-8' codec can't decode bytes in position ${i}-${i + k - 1}: invalid continuation byte`;
      }
    }
    i += need + 1;
  }
  return "'utf-8' codec can't decode the body";
}
