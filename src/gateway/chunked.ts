// Incremental decoder for an HTTP/1.1 `Transfer-Encoding: chunked` body (RFC 9112 §7.1), for the gateway's
// pooled replica client (proxy.ts). Replicas answer with `content-length`; this is the path for anything
// else that answers chunked. Chunk extensions and trailer fields are read and dropped.

const LF = 10;
const CR = 13;
/** A size line or trailer line longer than this is refused (llhttp's limits are of the same order). */
const MAX_LINE = 4096;

enum State {
  Size,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
}

export class ChunkedBodyError extends Error {}

export class ChunkedDecoder {
  private state = State.Size;
  private line = '';
  private remaining = 0;

  /**
   * Feeds the next bytes; `onData` gets the body's slices (views into `buf`, no copy). Returns the offset
   * in `buf` just past the end of the body once the last chunk and the trailer section are read, or -1 when
   * more bytes are needed. Throws ChunkedBodyError on malformed framing.
   */
  push(buf: Buffer, onData: (slice: Buffer) => void): number {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case State.Size: {
          const nl = buf.indexOf(LF, i);
          if (nl < 0) {
            this.appendLine(buf, i, n);
            return -1;
          }
          const line = this.takeLine(buf, i, nl);
          i = nl + 1;
          this.remaining = parseChunkSize(line);
          this.state = this.remaining === 0 ? State.Trailer : State.Data;
          break;
        }
        case State.Data: {
          const take = Math.min(this.remaining, n - i);
          onData(buf.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (buf[i] !== CR) throw new ChunkedBodyError('chunk data not followed by CRLF');
          i++;
          this.state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i] !== LF) throw new ChunkedBodyError('chunk data not followed by CRLF');
          i++;
          this.state = State.Size;
          break;
        case State.Trailer: {
          const nl = buf.indexOf(LF, i);
          if (nl < 0) {
            this.appendLine(buf, i, n);
            return -1;
          }
          const line = this.takeLine(buf, i, nl);
          i = nl + 1;
          if (line === '') {
            this.state = State.Done;
            return i;
          }
          break; // a trailer field: dropped
        }
        case State.Done:
          return i;
      }
    }
    return this.state === State.Done ? i : -1;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  private appendLine(buf: Buffer, from: number, to: number): void {
    this.line += buf.toString('latin1', from, to);
    if (this.line.length > MAX_LINE) throw new ChunkedBodyError('chunk size or trailer line too long');
  }

  /** The line ending at `nl` (an LF) without its CRLF; a bare LF is refused. */
  private takeLine(buf: Buffer, from: number, nl: number): string {
    const line = this.line + buf.toString('latin1', from, nl);
    this.line = '';
    if (line.length > MAX_LINE) throw new ChunkedBodyError('chunk size or trailer line too long');
    if (line.charCodeAt(line.length - 1) !== CR) throw new ChunkedBodyError('chunked line not ended by CRLF');
    return line.slice(0, -1);
  }
}

const HEX = /^[0-9a-fA-F]{1,12}$/;

function parseChunkSize(line: string): number {
  const semi = line.indexOf(';');
  const hex = (semi >= 0 ? line.slice(0, semi) : line).trim();
  if (!HEX.test(hex)) throw new ChunkedBodyError(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
  return Number.parseInt(hex, 16);
}
