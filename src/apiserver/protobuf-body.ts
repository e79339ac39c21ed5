// Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), which kubectl's
// typed clients send for core kinds (`kubectl create namespace|secret|serviceaccount`). Decodes the
// `k8s\0` envelope (runtime.Unknown) and the few core messages inferd stores into the JSON shape the
// rest of the API server reads. Not a general protobuf library; responses stay JSON (clients accept it).

import { InferdError } from '../errors.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

export function isProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

const badRequest = (message: string) =>
  new InferdError('INVALID_INPUT', `error decoding protobuf body: ${message}`, { reason: 'BadRequest' });

/** One field of a message: its JSON name and how to read it. */
type FieldType =
  | 'string'
  | 'bool'
  | 'int'
  | 'strings' // repeated string
  | 'stringMap' // map<string, string>
  | 'bytesMap' // map<string, bytes>, as base64 (Secret.data)
  | { message: Fields }
  | { messages: Fields };
type Fields = Record<number, [string, FieldType]>;

const OBJECT_META: Fields = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  11: ['labels', 'stringMap'],
  12: ['annotations', 'stringMap'],
  14: ['finalizers', 'strings'],
};

/** k8s.io/api/core/v1/generated.proto, the kinds inferd stores (field numbers from there). */
const KINDS: Record<string, Fields> = {
  Namespace: { 1: ['metadata', { message: OBJECT_META }], 2: ['spec', { message: { 1: ['finalizers', 'strings'] } }] },
  Secret: {
    1: ['metadata', { message: OBJECT_META }],
    2: ['data', 'bytesMap'],
    3: ['type', 'string'],
    4: ['stringData', 'stringMap'],
    5: ['immutable', 'bool'],
  },
  ServiceAccount: {
    1: ['metadata', { message: OBJECT_META }],
    2: [
      'secrets',
      {
        messages: {
          1: ['kind', 'string'],
          2: ['namespace', 'string'],
          3: ['name', 'string'],
          4: ['uid', 'string'],
          5: ['apiVersion', 'string'],
          6: ['resourceVersion', 'string'],
          7: ['fieldPath', 'string'],
        },
      },
    ],
    3: ['imagePullSecrets', { messages: { 1: ['name', 'string'] } }],
    4: ['automountServiceAccountToken', 'bool'],
  },
};

interface RawField {
  field: number;
  wire: number;
  varint?: bigint;
  bytes?: Buffer;
}

/** Splits a message into its raw fields (wire types 0, 1, 2, 5). */
function readFields(buf: Buffer): RawField[] {
  const out: RawField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw badRequest('truncated varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw badRequest('varint too long');
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, varint: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw badRequest('truncated field');
      out.push({ field, wire, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > buf.length) throw badRequest('truncated field');
    } else throw badRequest(`unsupported wire type ${wire}`);
  }
  return out;
}

function readMapEntry(bytes: Buffer): [string, Buffer] {
  let key = '';
  let value: Buffer = Buffer.alloc(0);
  for (const f of readFields(bytes)) {
    if (f.field === 1 && f.bytes) key = f.bytes.toString('utf8');
    if (f.field === 2 && f.bytes) value = f.bytes;
  }
  return [key, value];
}

/** Decodes a message with `fields`; empty values are left out, as Go's JSON `omitempty` does. */
function decodeMessage(buf: Buffer, fields: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of readFields(buf)) {
    const spec = fields[f.field];
    if (!spec) continue;
    const [name, type] = spec;
    if (type === 'string') {
      const s = f.bytes?.toString('utf8') ?? '';
      if (s !== '') out[name] = s;
    } else if (type === 'bool') {
      if (f.varint) out[name] = true;
      else if (f.varint === 0n) out[name] = false;
    } else if (type === 'int') {
      if (f.varint) out[name] = Number(BigInt.asIntN(64, f.varint));
    } else if (type === 'strings') {
      out[name] = [...((out[name] as string[]) ?? []), f.bytes?.toString('utf8') ?? ''];
    } else if (type === 'stringMap' || type === 'bytesMap') {
      const [k, v] = readMapEntry(f.bytes ?? Buffer.alloc(0));
      const map = (out[name] as Record<string, string>) ?? {};
      map[k] = type === 'stringMap' ? v.toString('utf8') : v.toString('base64');
      out[name] = map;
    } else if ('message' in type) {
      const m = decodeMessage(f.bytes ?? Buffer.alloc(0), type.message);
      if (Object.keys(m).length) out[name] = m;
    } else {
      out[name] = [...((out[name] as unknown[]) ?? []), decodeMessage(f.bytes ?? Buffer.alloc(0), type.messages)];
    }
  }
  return out;
}

/** The object in a protobuf request body, as JSON would have carried it (apiVersion and kind included). */
export function decodeProtobufBody(buf: Buffer): Record<string, unknown> {
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest('the body does not start with the k8s protobuf envelope');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  for (const f of readFields(buf.subarray(MAGIC.length))) {
    if (f.field === 1 && f.bytes) {
      for (const t of readFields(f.bytes)) {
        if (t.field === 1 && t.bytes) apiVersion = t.bytes.toString('utf8');
        if (t.field === 2 && t.bytes) kind = t.bytes.toString('utf8');
      }
    } else if (f.field === 2 && f.bytes) raw = f.bytes;
  }
  const fields = KINDS[kind];
  if (apiVersion !== 'v1' || !fields) {
    throw new InferdError(
      'UNSUPPORTED_MEDIA_TYPE',
      `protobuf bodies are accepted for v1 ${Object.keys(KINDS).join(', ')}; send ${kind || 'this object'} as application/json`,
    );
  }
  return { apiVersion, kind, ...decodeMessage(raw ?? Buffer.alloc(0), fields) };
}
