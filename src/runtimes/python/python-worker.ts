// One Python worker process (worker.py) and the requests in flight to it. It answers in order, one at a time;
// requests are written as they come and matched to replies by id. A request that runs past its timeout gets
// TIMEOUT and the worker is killed (a computation in Python cannot be interrupted from outside); a worker that
// exits fails whatever was in flight. Restarting is the owner's business (python-model.ts).

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { InferdError } from '../../errors.js';
import { encodeFrame, type Frame, FrameDecoder, type FrameHeader, PROTOCOL_VERSION } from './worker-protocol.js';

/** How to start a worker: the interpreter, its arguments (the script included) and its environment. */
export interface WorkerCommand {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
}

/** What the worker says first: the versions it runs with. */
export interface WorkerHello {
  python: string;
  sklearn: string;
  numpy: string;
  scipy: string;
  executable: string;
  pid: number;
}

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Codes a worker may answer with; anything else becomes INTERNAL. */
const WORKER_CODES = new Set(['INVALID_INPUT', 'UNSAFE_MODEL', 'MODEL_LOAD_FAILED', 'UNSUPPORTED', 'MODEL_NOT_READY']);
const STDERR_TAIL_BYTES = 4096;
const MAX_IN_FLIGHT = 1024;

interface Pending {
  resolve: (frame: Frame) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  cleanup: () => void;
}

/** Why a worker could not be started: the interpreter is missing, cannot import scikit-learn, or hung. */
export class WorkerStartError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'WorkerStartError';
  }
}

export class PythonWorker {
  readonly hello: WorkerHello;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, Pending>();
  readonly #stderr: { tail: string };
  readonly #exited: Promise<void>;
  #nextId = 1;
  #alive = true;
  /** Set before the worker is killed on purpose, so in-flight requests learn why. */
  #stopReason: InferdError | null = null;

  private constructor(child: ChildProcessWithoutNullStreams, hello: WorkerHello, stderr: { tail: string }) {
    this.#child = child;
    this.hello = hello;
    this.#stderr = stderr;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#alive = false;
        const reason =
          this.#stopReason ??
          new InferdError(
            'INTERNAL',
            `the Python fallback worker exited (${signal ? `signal ${signal}` : `code ${code}`})${this.#stderrNote()}`,
          );
        this.#failPending(reason);
        resolve();
      });
    });
  }

  /** Spawns the worker and waits for its hello. Rejects with WorkerStartError when this interpreter cannot serve. */
  static start(cmd: WorkerCommand, opts: { startTimeoutMs: number }): Promise<PythonWorker> {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd.command, [...cmd.args], { stdio: ['pipe', 'pipe', 'pipe'], env: cmd.env });
      const stderr = { tail: '' };
      const decoder = new FrameDecoder();
      let worker: PythonWorker | undefined;
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new WorkerStartError(message, cmd.command));
      };
      const timer = setTimeout(
        () => fail(`${cmd.command} did not start the worker within ${opts.startTimeoutMs} ms`),
        opts.startTimeoutMs,
      );
      child.on('error', (err: NodeJS.ErrnoException) =>
        fail(err.code === 'ENOENT' ? `${cmd.command} not found` : `${cmd.command} cannot be started: ${err.message}`),
      );
      // A dead worker's stdin errors with EPIPE on the next write; the exit handler reports it, with a reason.
      child.stdin.on('error', () => {});
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => {
        stderr.tail = (stderr.tail + text).slice(-STDERR_TAIL_BYTES);
      });
      child.once('exit', (code, signal) => {
        const how = signal ? `signal ${signal}` : `code ${code}`;
        fail(`${cmd.command} exited (${how}) before the worker started${tailNote(stderr.tail)}`);
      });
      child.stdout.on('data', (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = decoder.push(chunk);
        } catch (err) {
          if (worker)
            worker.#kill(new InferdError('INTERNAL', `the Python fallback worker broke the protocol: ${err}`));
          else fail(`${cmd.command} wrote something that is not the worker protocol: ${err}`);
          return;
        }
        for (const frame of frames) {
          if (worker) {
            worker.#onReply(frame);
            continue;
          }
          const h = frame.header;
          if (h.op !== 'hello') {
            fail(`${cmd.command} answered before saying hello`);
            return;
          }
          if (h.ok !== true) {
            const error = h.error as { message?: string } | undefined;
            fail(`${cmd.command} cannot serve scikit-learn models: ${error?.message ?? 'unknown error'}`);
            return;
          }
          if (h.protocol !== PROTOCOL_VERSION) {
            fail(`${cmd.command} runs a worker of protocol ${String(h.protocol)}, expected ${PROTOCOL_VERSION}`);
            return;
          }
          settled = true;
          clearTimeout(timer);
          worker = new PythonWorker(child, h as unknown as WorkerHello, stderr);
          resolve(worker);
        }
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get isAlive(): boolean {
    return this.#alive;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Sends one request and resolves with the worker's `ok` reply; its errors become InferdErrors. */
  request(header: FrameHeader, body: readonly Uint8Array[], opts: RequestOptions): Promise<Frame> {
    if (!this.#alive) return Promise.reject(this.#stopReason ?? new InferdError('INTERNAL', 'the worker has exited'));
    if (this.#pending.size >= MAX_IN_FLIGHT) {
      return Promise.reject(
        new InferdError('OVERLOADED', `the Python fallback worker has ${MAX_IN_FLIGHT} requests queued`),
      );
    }
    opts.signal?.throwIfAborted();
    const id = this.#nextId++;
    const chunks = encodeFrame({ ...header, id }, body);
    return new Promise<Frame>((resolve, reject) => {
      const onAbort = () => {
        // The worker still computes the answer; it is dropped when it arrives.
        this.#pending.delete(id);
        clearTimeout(timer);
        reject(opts.signal?.reason ?? new Error('aborted'));
      };
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        opts.signal?.removeEventListener('abort', onAbort);
        reject(new InferdError('TIMEOUT', `the Python fallback did not answer within ${opts.timeoutMs} ms`));
        this.#kill(
          new InferdError(
            'MODEL_NOT_READY',
            'the Python fallback worker was restarted after another request timed out; retry',
          ),
        );
      }, opts.timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, { resolve, reject, timer, cleanup });
      for (const chunk of chunks) this.#child.stdin.write(chunk);
    });
  }

  /** Closes stdin (the worker exits at EOF); kills it when it has not gone within graceMs. */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.#alive) {
      this.#alive = false;
      this.#stopReason ??= new InferdError('MODEL_NOT_READY', 'the model is being unloaded');
      this.#child.stdin.end();
    }
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
  }

  /** Kills the worker and fails what is in flight now, not when the exit arrives (their timers would race it). */
  #kill(reason: InferdError): void {
    if (!this.#alive) return;
    this.#alive = false; // dead to callers now: the next request starts a new worker
    this.#stopReason ??= reason;
    this.#child.kill('SIGKILL');
    this.#failPending(this.#stopReason);
  }

  #failPending(reason: Error): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.cleanup();
      pending.reject(reason);
    }
  }

  #onReply(frame: Frame): void {
    const id = frame.header.id;
    const pending = typeof id === 'number' ? this.#pending.get(id) : undefined;
    if (!pending) return; // timed out or aborted: nobody waits for it any more
    this.#pending.delete(id as number);
    pending.cleanup();
    if (frame.header.ok === true) {
      pending.resolve(frame);
      return;
    }
    const error = (frame.header.error ?? {}) as { code?: string; message?: string };
    const code = error.code && WORKER_CODES.has(error.code) ? error.code : 'INTERNAL';
    pending.reject(new InferdError(code as InferdError['code'], error.message ?? 'the Python fallback failed'));
  }

  #stderrNote(): string {
    return tailNote(this.#stderr.tail);
  }
}

function tailNote(tail: string): string {
  const text = tail.trim();
  if (!text) return '';
  const lines = text.split('\n').slice(-8).join('\n');
  return `; its last output:\n${lines}`;
}
