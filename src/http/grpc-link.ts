// The gateway↔replica gRPC link: unary gRPC calls between inferd's own gateway and replica without a second
// HTTP/2 hop (node:http2's client costs the gateway ~3× what the replica spends on the whole call:
// docs/benchmarks.md). It shares the replica's gRPC port: the gateway opens a TCP connection and sends
// LINK_MAGIC where an HTTP/2 client sends its preface; a replica that speaks the link answers LINK_MAGIC, any
// other server (grpc-js, a container's own gRPC server) closes or answers something else and the gateway
// keeps relaying over HTTP/2. Frames, all little-endian, on one connection, many calls at once:
//
//   [u32 length of what follows][u8 type][u32 call id][u32 head length][head][body]
//
// gateway → replica: CALL (head: path, then header name/value pairs, NUL-separated latin1; body: the
// request stream's bytes, gRPC-framed) and CANCEL (no head, no body). replica → gateway: OK (body: the
// framed answer message; trailers grpc-status 0, grpc-message OK) and STATUS (head: code NUL grpc-message
// value; trailers-only). HTTP/2 header values never hold NUL, so the separator is safe.

export const LINK_MAGIC = Buffer.from('INFERD-GRPC-LINK/1\n', 'latin1');
/** What tells a link connection from an HTTP/2 one in its first bytes ("PRI " starts the HTTP/2 preface). */
export const LINK_SNIFF_BYTES = 4;

export const FRAME_CALL = 1;
export const FRAME_CANCEL = 2;
export const FRAME_OK = 3;
export const FRAME_STATUS = 4;

const HEAD_BYTES = 13;

export function encodeLinkFrame(type: number, id: number, head: string, body: Buffer | undefined): Buffer {
  const headLen = Buffer.byteLength(head, 'latin1');
  const bodyLen = body ? body.length : 0;
  const out = Buffer.allocUnsafe(HEAD_BYTES + headLen + bodyLen);
  out.writeUInt32LE(HEAD_BYTES - 4 + headLen + bodyLen, 0);
  out[4] = type;
  out.writeUInt32LE(id, 5);
  out.writeUInt32LE(headLen, 9);
  if (headLen > 0) out.write(head, HEAD_BYTES, headLen, 'latin1');
  if (body) body.copy(out, HEAD_BYTES + headLen);
  return out;
}

export interface LinkFrame {
  type: number;
  id: number;
  head: string;
  body: Buffer;
}

/** Splits a byte stream into frames; `push` returns the frames completed by a chunk. */
export class LinkFrameReader {
  #pending: Buffer[] = [];
  #size = 0;
  /** Most bytes one frame may take (guards against a corrupt length). */
  constructor(readonly maxFrameBytes: number) {}

  push(chunk: Buffer, out: LinkFrame[]): void {
    this.#pending.push(chunk);
    this.#size += chunk.length;
    for (;;) {
      if (this.#size < 4) return;
      let buf = this.#pending[0]!;
      if (buf.length < 4) {
        buf = Buffer.concat(this.#pending, this.#size);
        this.#pending = [buf];
      }
      const length = buf.readUInt32LE(0);
      if (length > this.maxFrameBytes || length < HEAD_BYTES - 4) throw new Error(`bad link frame length ${length}`);
      if (this.#size < 4 + length) return;
      if (this.#pending.length > 1) {
        buf = Buffer.concat(this.#pending, this.#size);
        this.#pending = [buf];
      }
      const headLen = buf.readUInt32LE(9);
      if (headLen > length - (HEAD_BYTES - 4)) throw new Error('bad link frame head length');
      out.push({
        type: buf[4]!,
        id: buf.readUInt32LE(5),
        head: buf.toString('latin1', HEAD_BYTES, HEAD_BYTES + headLen),
        body: buf.subarray(HEAD_BYTES + headLen, 4 + length),
      });
      const rest = buf.subarray(4 + length);
      this.#pending = rest.length > 0 ? [rest] : [];
      this.#size = rest.length;
    }
  }
}
