// Just enough of the gRPC wire for the gateway to route without decoding protobuf: the 5-byte message
// prefix, field 1 of the first request message (`model_name` of ModelInferRequest and the repository
// RPCs, `name` of ModelReady/ModelMetadata — always field 1, a string), the few tiny responses the gateway
// answers itself, and trailers-only error statuses. Not a protobuf library: nothing else is decoded.

/** gRPC status codes the gateway answers with (grpc/grpc doc/statuscodes.md). */
export const GRPC_STATUS = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export type FieldScan =
  | { kind: 'found'; value: string }
  | { kind: 'absent' }
  | { kind: 'needMore' }
  | { kind: 'malformed'; why: string };

const NEED_MORE: FieldScan = { kind: 'needMore' };
const ABSENT: FieldScan = { kind: 'absent' };

/** Reads a varint at `pos`; returns [value, next pos], or undefined when the bytes end first. */
function varint(buf: Uint8Array, pos: number, end: number): [number, number] | undefined {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return undefined;
    const b = buf[pos++]!;
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [value, pos];
    mul *= 128;
  }
  return [Number.NaN, pos];
}

/**
 * Scans a (possibly partial) protobuf message for field 1 as a string. `complete` says whether
 * `buf[start, end)` is the whole message: only then can the field be declared absent.
 */
export function scanField1(buf: Uint8Array, start: number, end: number, complete: boolean): FieldScan {
  let pos = start;
  while (pos < end) {
    const tag = varint(buf, pos, end);
    if (!tag) return complete ? { kind: 'malformed', why: 'truncated tag' } : NEED_MORE;
    const [key, afterTag] = tag;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    pos = afterTag;
    if (wire === 0) {
      const v = varint(buf, pos, end);
      if (!v) return complete ? { kind: 'malformed', why: 'truncated varint' } : NEED_MORE;
      pos = v[1];
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
    } else if (wire === 2) {
      const len = varint(buf, pos, end);
      if (!len) return complete ? { kind: 'malformed', why: 'truncated length' } : NEED_MORE;
      const [n, afterLen] = len;
      if (!Number.isSafeInteger(n)) return { kind: 'malformed', why: 'bad length' };
      if (field === 1) {
        if (afterLen + n > end) return complete ? { kind: 'malformed', why: 'truncated field 1' } : NEED_MORE;
        return { kind: 'found', value: Buffer.from(buf.buffer, buf.byteOffset + afterLen, n).toString('utf8') };
      }
      pos = afterLen + n;
    } else {
      return { kind: 'malformed', why: `wire type ${wire}` };
    }
  }
  if (pos > end) return complete ? { kind: 'malformed', why: 'truncated field' } : NEED_MORE;
  return complete ? ABSENT : NEED_MORE;
}

function stringField(field: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([(field << 3) | 2]), encodeVarint(bytes.length), bytes]);
}

function encodeVarint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A length-prefixed, uncompressed gRPC message. */
export function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** `{live: true}` / `{ready: true}`: one bool in field 1. */
export const BOOL_TRUE_MESSAGE = Buffer.from([0x08, 0x01]);

/** ServerMetadataResponse{name=1, version=2, extensions=3 (repeated)}. */
export function serverMetadataMessage(name: string, version: string, extensions: readonly string[]): Buffer {
  return Buffer.concat([stringField(1, name), stringField(2, version), ...extensions.map((e) => stringField(3, e))]);
}

/** grpc-message: UTF-8 with bytes outside printable ASCII, and `%`, percent-encoded (PROTOCOL-HTTP2.md). */
export function encodeGrpcMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let out = '';
  for (const b of Buffer.from(message, 'utf8')) {
    out +=
      b >= 0x20 && b <= 0x7e && b !== 0x25
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
