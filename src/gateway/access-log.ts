// `inferd serve --access-log FILE|-`: one JSON line per finished model request (REST and gRPC), written by the
// gateway after the answer ended. Off by default; when off the gateway builds no record and reads no clock for it
// (docs/operations.md, "Access log"). Not the structured server log: that one is for events, this one for traffic.

import { createWriteStream, type WriteStream } from 'node:fs';
import type { GatewayProtocol } from './metrics.js';

/** One access-log line, in the order the fields are written. */
export interface AccessRecord {
  /** When the answer ended, ISO 8601 UTC. */
  time: string;
  /** `x-request-id`: the client's, or the one the gateway made up and returned. */
  request_id: string;
  method: string;
  path: string;
  namespace: string;
  service: string;
  /** predictor | transformer | explainer | graph; '' when the request reached no service. */
  component: string;
  revision: string;
  protocol: GatewayProtocol;
  /** HTTP status (a gRPC call's status as the HTTP status it stands for; 499: the client went away). */
  status: number;
  duration_ms: number;
}

export class AccessLog {
  readonly #out: NodeJS.WritableStream;
  readonly #file: WriteStream | undefined;

  private constructor(out: NodeJS.WritableStream, file: WriteStream | undefined) {
    this.#out = out;
    this.#file = file;
  }

  /** `-` writes to stdout; anything else is a file appended to (created if missing). */
  static open(target: string): AccessLog {
    if (target === '-') return new AccessLog(process.stdout, undefined);
    const file = createWriteStream(target, { flags: 'a' });
    return new AccessLog(file, file);
  }

  /** A log that hands each line to `write` (tests, the bench). */
  static to(write: (line: string) => void): AccessLog {
    const sink = {
      write(chunk: string) {
        write(chunk);
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    return new AccessLog(sink, undefined);
  }

  write(r: AccessRecord): void {
    this.#out.write(`${JSON.stringify(r)}\n`);
  }

  /** Flushes and closes the file (stdout stays open). */
  close(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return Promise.resolve();
    return new Promise((done) => file.end(() => done()));
  }
}
