// The gateway's end of the gRPC link to one replica port (src/http/grpc-link.ts): a TCP connection that
// says LINK_MAGIC first and is used only once the replica answered it; calls are frames, answered by id.

import net from 'node:net';
import {
  encodeLinkFrame,
  FRAME_CALL,
  FRAME_CANCEL,
  LINK_MAGIC,
  type LinkFrame,
  LinkFrameReader,
} from '../http/grpc-link.js';

export type LinkAnswer = (answer: LinkFrame | Error) => void;

export interface LinkEvents {
  /** The connection closed; `refused`: it was up but the other side does not speak the link. */
  closed(refused: boolean): void;
}

// Largest answer frame accepted (the replica's send limit is 64 MiB by default; bigger answers are refused
// there with RESOURCE_EXHAUSTED before they reach the link).
const MAX_FRAME_BYTES = 1024 * 1024 * 1024;
const HELLO_TIMEOUT_MS = 5_000;

export class GrpcLinkClient {
  ready = false;
  readonly #socket: net.Socket;
  readonly #pending = new Map<number, LinkAnswer>();
  readonly #reader = new LinkFrameReader(MAX_FRAME_BYTES);
  #nextId = 1;
  #corked = false;
  #hello: Buffer | undefined = Buffer.alloc(0);

  constructor(port: number, events: LinkEvents) {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    this.#socket = socket;
    socket.unref();
    let connected = false;
    const timer = setTimeout(
      () => socket.destroy(new Error('the replica did not answer the link hello')),
      HELLO_TIMEOUT_MS,
    );
    timer.unref();
    socket.once('connect', () => {
      connected = true;
      socket.write(LINK_MAGIC);
    });
    const frames: LinkFrame[] = [];
    socket.on('data', (chunk: Buffer) => {
      if (this.#hello) {
        const got = Buffer.concat([this.#hello, chunk]);
        if (got.length < LINK_MAGIC.length) {
          if (!LINK_MAGIC.subarray(0, got.length).equals(got)) socket.destroy();
          else this.#hello = got;
          return;
        }
        if (!got.subarray(0, LINK_MAGIC.length).equals(LINK_MAGIC)) {
          socket.destroy();
          return;
        }
        clearTimeout(timer);
        this.#hello = undefined;
        this.ready = true;
        chunk = got.subarray(LINK_MAGIC.length);
        if (chunk.length === 0) return;
      }
      try {
        this.#reader.push(chunk, frames);
      } catch (err) {
        socket.destroy(err as Error);
        return;
      }
      for (const f of frames) {
        const answer = this.#pending.get(f.id);
        if (answer) {
          this.#pending.delete(f.id);
          answer(f);
        }
      }
      frames.length = 0;
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      const wasReady = this.ready;
      this.ready = false;
      const err = new Error(wasReady ? 'the connection to the replica closed' : 'the replica refused the link');
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      for (const answer of pending) answer(err);
      events.closed(connected && !wasReady);
    });
  }

  /** Sends one call; returns its id (for cancel). `headers` are sent as name/value pairs. */
  call(
    path: string,
    headers: Readonly<Record<string, string | string[] | undefined>>,
    body: Buffer,
    answer: LinkAnswer,
  ) {
    const id = this.#nextId;
    this.#nextId = id === 0xffffffff ? 1 : id + 1;
    let head = path;
    for (const k in headers) {
      const v = headers[k];
      if (v === undefined) continue;
      if (typeof v === 'string') head += `\0${k}\0${v}`;
      else for (const one of v) head += `\0${k}\0${one}`;
    }
    this.#pending.set(id, answer);
    this.#write(encodeLinkFrame(FRAME_CALL, id, head, body));
    return id;
  }

  /** The client went away: the replica cancels the call (its predict sees the abort). */
  cancel(id: number): void {
    if (!this.#pending.delete(id)) return;
    this.#write(encodeLinkFrame(FRAME_CANCEL, id, '', undefined));
  }

  close(): void {
    this.#socket.destroy();
  }

  // Calls started in one tick share a write.
  #write(frame: Buffer): void {
    const socket = this.#socket;
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    socket.write(frame);
  }
}
