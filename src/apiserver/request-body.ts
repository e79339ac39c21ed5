// Reading and parsing control-API request bodies: a byte limit (413 past it), JSON or YAML by content type
// (sniffed when the type says neither: `curl -d` sends form-urlencoded), and BadRequest errors that say
// where the text broke (line:column). Knows nothing about kinds.

import type { IncomingMessage } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { InferdError, messageOf } from '../errors.js';
import { checkJsonDepth, checkParsedBody, checkYamlDepth } from './body-limits.js';
import { jsonErrorOffset, positionAt } from './json-error-position.js';
import { decodeProtobufBody, isProtobuf } from './protobuf-body.js';

/** Default request body limit: 4 MiB, above Kubernetes' 3 MiB object limit. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The whole body, or PAYLOAD_TOO_LARGE as soon as it passes `maxBytes` (Content-Length checked first). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new InferdError('PAYLOAD_TOO_LARGE', `the request body is larger than the limit of ${maxBytes} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    // A client that goes away mid-body: settle, so nothing waits forever (a no-op after 'end').
    req.once('close', () => reject(new InferdError('INVALID_INPUT', 'the client closed the connection mid-body')));
  });
}

export type BodyFormat = 'json' | 'yaml';

/** JSON for `*json` media types, YAML for `*yaml`; otherwise JSON when the text starts like JSON. */
export function bodyFormat(contentType: string | undefined, text: string): BodyFormat {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type.endsWith('json')) return 'json';
  if (type.endsWith('yaml')) return 'yaml';
  const first = text.trimStart()[0];
  return first === '{' || first === '[' ? 'json' : 'yaml';
}

function badRequest(format: BodyFormat, line: number | undefined, column: number | undefined, why: string) {
  const where = line === undefined ? '' : ` at line ${line}:${column}`;
  return new InferdError('INVALID_INPUT', `error parsing ${format === 'json' ? 'JSON' : 'YAML'} body${where}: ${why}`, {
    reason: 'BadRequest',
    line,
    column,
  });
}

function parseJson(text: string): unknown {
  checkJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const pos = offset === undefined ? undefined : positionAt(text, offset);
    // V8's "at position N" is replaced by the line:column above.
    throw badRequest('json', pos?.line, pos?.column, messageOf(err).replace(/ in JSON at position \d+.*$/, ''));
  }
}

function parseYaml(text: string): unknown {
  checkYamlDepth(text);
  const docs = parseAllDocuments(text).filter((d) => d.contents !== null || d.errors.length > 0);
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      throw badRequest(
        'yaml',
        pos?.line,
        pos?.col,
        err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
      );
    }
  }
  if (docs.length > 1) {
    throw badRequest('yaml', undefined, undefined, `expected one document, got ${docs.length} (send them one by one)`);
  }
  try {
    return docs[0]?.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias bomb ("Excessive alias count") or an alias to no anchor: the client's document, so a 400.
    throw badRequest('yaml', undefined, undefined, messageOf(err).split('\n')[0]!);
  }
}

/** Parses a body as JSON or YAML (see bodyFormat); INVALID_INPUT with line:column when it does not parse. */
export function parseBody(buf: Buffer, contentType: string | undefined): unknown {
  // kubectl's typed clients (create namespace/secret/serviceaccount) send protobuf.
  if (isProtobuf(contentType)) return decodeProtobufBody(buf);
  const text = buf.toString('utf8');
  if (text.trim() === '') throw badRequest('json', undefined, undefined, 'the request body is empty');
  const value = bodyFormat(contentType, text) === 'yaml' ? parseYaml(text) : parseJson(text);
  checkParsedBody(value);
  return value;
}
