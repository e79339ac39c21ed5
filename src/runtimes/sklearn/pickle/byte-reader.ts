// A bounds-checked cursor over the bytes of a pickle stream. Every read checks the remaining length first, so a
// truncated or lying file fails with a clear MODEL_LOAD_FAILED instead of reading garbage or allocating huge
// buffers from a length field.

import { InferdError } from '../../../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ByteReader {
  readonly bytes: Uint8Array;
  #pos: number;
  readonly #view: DataView;

  constructor(bytes: Uint8Array, start = 0) {
    this.bytes = bytes;
    this.#pos = start;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.bytes.length - this.#pos;
  }

  /** Throws MODEL_LOAD_FAILED unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (n < 0 || !Number.isSafeInteger(n) || n > this.remaining) {
      throw new InferdError(
        'MODEL_LOAD_FAILED',
        `model file is truncated or corrupt: ${what} needs ${n} bytes at offset ${this.#pos}, but only ${this.remaining} remain`,
        { reason: 'ModelLoadFailed' },
      );
    }
  }

  u8(): number {
    this.need(1, 'an opcode');
    return this.bytes[this.#pos++]!;
  }

  u16(): number {
    this.need(2, 'a 2-byte integer');
    const v = this.#view.getUint16(this.#pos, true);
    this.#pos += 2;
    return v;
  }

  u32(): number {
    this.need(4, 'a 4-byte length');
    const v = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  i32(): number {
    this.need(4, 'a 4-byte integer');
    const v = this.#view.getInt32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  /** An unsigned 64-bit length; lengths past 2^53 cannot be satisfied by any real file, so they are refused. */
  u64(): number {
    this.need(8, 'an 8-byte length');
    const v = this.#view.getBigUint64(this.#pos, true);
    this.#pos += 8;
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }

  /** A big-endian IEEE double (pickle's BINFLOAT is big-endian, unlike everything else). */
  f64be(): number {
    this.need(8, 'a float');
    const v = this.#view.getFloat64(this.#pos, false);
    this.#pos += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  utf8(n: number, what: string): string {
    const raw = this.take(n, what);
    try {
      return utf8.decode(raw);
    } catch (cause) {
      throw new InferdError('MODEL_LOAD_FAILED', `model file is corrupt: ${what} is not valid UTF-8`, {
        reason: 'ModelLoadFailed',
        cause,
      });
    }
  }

  /** A newline-terminated ASCII line (protocol 0/1 text opcodes and GLOBAL), without the newline. */
  line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.#pos);
    if (end < 0) this.need(this.remaining + 1, what);
    const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.#pos, end - this.#pos).toString('latin1');
    this.#pos = end + 1;
    return text;
  }
}
