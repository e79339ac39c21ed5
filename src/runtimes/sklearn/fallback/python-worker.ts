// One long-lived `python3` process that loads and runs sklearn models the native runtime cannot, talking over
// its stdin/stdout in length-prefixed frames. Requests are answered in order; one crash or timeout fails the
// requests in flight and the next request starts a fresh process (models are loaded again on demand).
//
//   frame = u32 LE total length | u32 LE header length | header (UTF-8 JSON) | body (raw little-endian values)
//   request header:  {id, op: 'load' | 'predict' | 'unload', model, ...}; predict bodies carry float64 X
//   reply header:    {id, ok, error?, message?, dtype?, shape?, values?}; numeric results in the body

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { InferdError } from '../../../errors.js';
import { WORKER_SOURCE } from './worker-source.js';

export interface WorkerReply {
  header: Record<string, unknown>;
  body: Buffer;
}

export interface PythonWorkerOptions {
  /** The interpreter, e.g. /usr/bin/python3. */
  readonly command: string;
  /** How long one request may take before the worker is killed. */
  readonly requestTimeoutMs: number;
  /** How long the interpreter may take to import sklearn and say it is ready. */
  readonly startTimeoutMs: number;
}

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/** Loads models by key; `generation` changes whenever the process was restarted (models must be reloaded). */
export class PythonWorker {
  readonly #options: PythonWorkerOptions;
  #child: Child | null = null;
  #starting: Promise<Child> | null = null;
  #buffer: Buffer = Buffer.alloc(0);
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #ready: ((header: Record<string, unknown>) => void) | null = null;
  #stderr = '';
  generation = 0;
  info: Record<string, unknown> = {};

  constructor(options: PythonWorkerOptions) {
    this.#options = options;
  }

  async request(header: Record<string, unknown>, body: Uint8Array = new Uint8Array(0)): Promise<WorkerReply> {
    const child = await this.#start();
    const id = this.#nextId++;
    const raw = Buffer.from(JSON.stringify({ ...header, id }));
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32LE(raw.length + body.byteLength, 0);
    prefix.writeUInt32LE(raw.length, 4);
    return new Promise<WorkerReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(
          new InferdError('TIMEOUT', `the Python sklearn worker took longer than ${this.#options.requestTimeoutMs} ms`),
        );
      }, this.#options.requestTimeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      child.stdin.write(Buffer.concat([prefix, raw, body]));
    });
  }

  /** Starts the process if it is not running; answers its generation. */
  async started(): Promise<number> {
    await this.#start();
    return this.generation;
  }

  /** Stops the process (pending requests fail). */
  close(): void {
    this.#fail(new InferdError('MODEL_NOT_READY', 'the Python sklearn worker was stopped'));
  }

  #start(): Promise<Child> {
    if (this.#child) return Promise.resolve(this.#child);
    this.#starting ??= new Promise<Child>((resolve, reject) => {
      const child = spawn(this.#options.command, ['-c', WORKER_SOURCE], { stdio: ['pipe', 'pipe', 'pipe'] });
      this.#stderr = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(workerFailed(`did not start within ${this.#options.startTimeoutMs} ms`, this.#stderr));
      }, this.#options.startTimeoutMs);
      this.#ready = (header) => {
        clearTimeout(timer);
        this.info = header;
        this.#child = child;
        this.generation++;
        resolve(child);
      };
      child.stdout.on('data', (chunk: Buffer) => this.#onData(chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        this.#stderr = (this.#stderr + chunk.toString()).slice(-4000); // last words, for the error message
      });
      child.stdin.on('error', () => {}); // a dead worker's EPIPE is reported by 'exit'
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(workerFailed(`could not be started (${err.message})`, ''));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        const why = `exited (${signal ?? `code ${code}`})`;
        reject(workerFailed(why, this.#stderr));
        if (this.#child === child) this.#fail(workerFailed(why, this.#stderr));
      });
    }).finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    while (this.#buffer.length >= 8) {
      const total = this.#buffer.readUInt32LE(0);
      const headerLength = this.#buffer.readUInt32LE(4);
      if (this.#buffer.length < 8 + total) return;
      const header = JSON.parse(this.#buffer.subarray(8, 8 + headerLength).toString()) as Record<string, unknown>;
      const body = Buffer.from(this.#buffer.subarray(8 + headerLength, 8 + total));
      this.#buffer = this.#buffer.subarray(8 + total);
      if (header.ready === true && this.#ready) {
        this.#ready(header);
        this.#ready = null;
        continue;
      }
      const pending = this.#pending.get(Number(header.id));
      if (!pending) continue;
      this.#pending.delete(Number(header.id));
      clearTimeout(pending.timer);
      pending.resolve({ header, body });
    }
  }

  /** Kills the process and fails everything in flight; the next request starts a new one. */
  #fail(err: Error): void {
    const child = this.#child;
    this.#child = null;
    this.#buffer = Buffer.alloc(0);
    child?.kill('SIGKILL');
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(err);
      this.#pending.delete(id);
    }
  }
}

function workerFailed(what: string, stderr: string): InferdError {
  const tail = stderr.trim().split('\n').slice(-3).join(' | ');
  return new InferdError('INTERNAL', `the Python sklearn worker ${what}${tail ? `: ${tail}` : ''}`);
}
