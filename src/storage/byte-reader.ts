// Pulls exact byte counts out of an async stream of chunks (for the streaming tar reader).

const EMPTY = Buffer.alloc(0);

export class ByteReader {
  readonly #it: AsyncIterator<Buffer>;
  #buf: Buffer = EMPTY;
  #eof = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  async #pull(): Promise<boolean> {
    if (this.#eof) return false;
    const r = await this.#it.next();
    if (r.done) {
      this.#eof = true;
      return false;
    }
    this.#buf = this.#buf.length === 0 ? r.value : Buffer.concat([this.#buf, r.value]);
    return true;
  }

  /** Exactly n bytes, or null at a clean end of stream; throws on a stream that ends inside them. */
  async exact(n: number): Promise<Buffer | null> {
    while (this.#buf.length < n) {
      if (!(await this.#pull())) {
        if (this.#buf.length === 0) return null;
        throw new TruncatedError();
      }
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Hands the next n bytes to onChunk piece by piece, without buffering them all. */
  async stream(n: number, onChunk: (chunk: Buffer) => Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.#buf.length === 0 && !(await this.#pull())) throw new TruncatedError();
      const take = Math.min(left, this.#buf.length);
      const piece = this.#buf.subarray(0, take);
      this.#buf = this.#buf.subarray(take);
      left -= take;
      await onChunk(piece);
    }
  }

  async skip(n: number): Promise<void> {
    await this.stream(n, async () => {});
  }

  /** Stops the underlying stream early. */
  async close(): Promise<void> {
    await this.#it.return?.();
  }
}

export class TruncatedError extends Error {
  constructor() {
    super('unexpected end of data');
  }
}
