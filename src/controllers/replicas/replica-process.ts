// One replica: a child process running inferd's model server on a loopback port. A crashing or hanging
// model never takes the gateway down. The child reports its lifecycle over IPC (Loading → ready|failed);
// its stdout/stderr go to the service's log buffer. Restart policy lives in the replica manager, not here.

import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ReplicaLimits } from '../../api/limits.js';
import type { Logger } from '../../log.js';
import {
  type FromHost,
  MODEL_HOST_ARGS,
  modelReplicaArgs,
  type ReplicaMessage,
  type StandbyLoadMessage,
  type ToHost,
} from '../../replica-protocol.js';
import type { LogSink } from './log-buffer.js';
import { killTree } from './process-memory.js';
import { ReplicaBase, type ReplicaSpec } from './replica.js';
import type { StandbyProcess } from './standby.js';

export type { ReplicaFailure, ReplicaPhase, ReplicaSpec } from './replica.js';
export { loadTimeoutFailure } from './replica.js';

export interface ReplicaProcessOptions {
  spec: ReplicaSpec;
  /** The model server entry (dist/src/server/main.js). */
  entry: string;
  /** The service's log buffer: the child's stdout/stderr lines go there. */
  logs: LogSink;
  log: Logger;
  /** An idle pre-forked process to take over instead of forking (it is sent `load`). */
  standby?: StandbyProcess;
}

/** Emits 'change' whenever phase changes. */
export class ReplicaProcess extends ReplicaBase {
  readonly kind = 'process' as const;
  private child: ChildProcess | undefined;
  private readonly entry: string;
  private readonly logs: LogSink;
  private readonly log: Logger;
  private readonly standby: StandbyProcess | undefined;

  constructor(opts: ReplicaProcessOptions) {
    super(opts.spec);
    this.entry = opts.entry;
    this.logs = opts.logs;
    this.log = opts.log;
    this.standby = opts.standby;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The model-server flags this replica runs with (a cold fork's argv, or a standby's `load`). */
  args(): string[] {
    const { spec } = this;
    if (spec.multiModel) return [...MODEL_HOST_ARGS, ...(spec.args ?? [])];
    return [...modelReplicaArgs(spec), ...(spec.args ?? [])];
  }

  /** A multi-model replica: a load/unload for its model host; false when the process cannot take it now. */
  sendToHost(msg: ToHost): boolean {
    const child = this.child;
    if (!this.spec.multiModel || this.phase !== 'Ready' || !child?.connected) return false;
    try {
      child.send(msg);
      return true;
    } catch {
      return false; // exiting: 'exit' says the rest
    }
  }

  /**
   * Forks the model server — or, given an idle standby process, takes it over and sends it `load`
   * (no process start, no module loading; the same lifecycle messages follow).
   */
  start(): void {
    const { spec, standby } = this;
    let child: ChildProcess;
    if (standby?.available) {
      child = standby.take((line) => this.logs.append(line));
      this.fromStandby = true;
    } else {
      child = fork(this.entry, this.args(), {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        execArgv: [...process.execArgv, ...heapFlags(spec.limits)],
        // Only the env inferd built for it: the server's own (credentials, NODE_OPTIONS) is not inherited.
        env: { ...spec.env },
        serialization: 'json',
      });
      for (const stream of [child.stdout, child.stderr]) {
        if (stream) createInterface({ input: stream }).on('line', (line) => this.onLogLine(line));
      }
    }
    this.child = child;
    child.on('message', (m: ReplicaMessage) => this.onMessage(m));
    child.on('error', (err) => {
      this.failure = { reason: 'ReplicaStartFailed', message: err.message };
      this.setPhase('Failed');
    });
    child.on('exit', (code, signal) => {
      this.clearLoadTimer();
      if (this.outOfMemory && !this.stopping) {
        // Kubernetes reports a container killed for its memory limit as OOMKilled with exit code 137.
        this.failure = { reason: 'OOMKilled', message: this.outOfMemory, exitCode: code ?? 137 };
      } else if (this.phase !== 'Failed' && !this.stopping) {
        this.failure = {
          reason: this.phase === 'Ready' ? 'ReplicaCrashed' : 'ModelLoadFailed',
          message: `model server exited (${signal ? `signal ${signal}` : `code ${code}`}) ${this.phase === 'Ready' ? 'while serving' : 'while loading'}; see inferd logs`,
          exitCode: code,
        };
      } else if (this.failure) {
        this.failure.exitCode = code;
      }
      this.markExited();
    });
    this.startLoadTimer();
    if (standby && this.fromStandby) {
      // A standby still loading its modules is taken too (it started earlier than a fork now would); `load`
      // goes once it listens for it. One that exits first shows as this replica's exit (restarted as usual).
      const load: StandbyLoadMessage = { type: 'load', args: this.args(), env: spec.env };
      void standby.whenIdle().then((idle) => {
        if (!idle || this.stopping || !child.connected) return;
        child.send(load, (err) => {
          if (err) child.kill('SIGKILL'); // the channel broke between take and send: exits, restarts as usual
        });
      });
    }
  }

  private onMessage(m: ReplicaMessage | FromHost): void {
    if (m.type === 'model-ready' || m.type === 'model-failed' || m.type === 'model-unloaded') {
      this.emit('host', m); // a TrainedModel's load or unload (controllers/trained-model/)
      return;
    }
    if (m.type === 'state' && m.state === 'Loading') this.setPhase('Loading');
    else if (m.type === 'ready' && typeof m.port === 'number') {
      this.port = m.port;
      this.grpcPort = typeof m.grpcPort === 'number' ? m.grpcPort : undefined;
      this.setPhase('Ready');
    } else if (m.type === 'failed') {
      this.failure = { reason: m.reason ?? 'ModelLoadFailed', message: m.message ?? 'model failed to load' };
      this.setPhase('Failed');
    }
  }

  /** Set once the replica is known to be over its memory limit: the message of its OOMKilled failure. */
  private outOfMemory: string | undefined;

  private onLogLine(line: string): void {
    this.logs.append(line);
    // V8 aborts at the --max-old-space-size cap with this line on stderr: the limit, not a model bug.
    if (this.spec.limits?.memoryBytes !== undefined && !this.outOfMemory && V8_HEAP_OOM.test(line)) {
      this.outOfMemory = `model server ran out of memory: its JavaScript heap reached the cap derived from resources.limits.memory (${formatMiB(this.spec.limits.memoryBytes)}); raise the limit or send smaller requests`;
    }
  }

  /**
   * The RSS watchdog found the process tree over its limit: kill it now (as the kernel's OOM killer would in
   * a cgroup); the exit is recorded as OOMKilled and the manager restarts it with back-off.
   */
  killForMemory(rssBytes: number, limitBytes: number): void {
    if (this.stopping || this.outOfMemory || !this.child || this.child.exitCode !== null) return;
    this.outOfMemory = `model server used ${formatMiB(rssBytes)} of memory, over its limit resources.limits.memory = ${formatMiB(limitBytes)}; it was killed and restarted (raise the limit or send smaller requests)`;
    this.log.warn('replica over its memory limit; killing', { replica: this.spec.key, rssBytes, limitBytes });
    this.killTree();
  }

  protected abandonLoad(): void {
    this.log.warn('replica did not load in time; killing', {
      replica: this.spec.key,
      loadTimeoutMs: this.spec.loadTimeoutMs,
    });
    this.killTree();
  }

  /** The model server and its Python worker: a hung or oversized worker must not outlive its replica. */
  private killTree(): void {
    if (this.child?.pid !== undefined) killTree(this.child.pid);
    else this.child?.kill('SIGKILL');
  }

  /** SIGTERM, then SIGKILL after graceMs. Resolves once the process is gone. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.log.warn('replica did not stop in time; killing', { replica: this.spec.key, graceMs });
      child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

const V8_HEAP_OOM = /JavaScript heap out of memory|Reached heap limit/;

/** Share of a memory limit given to V8's old space; the rest is new space, code, Buffers and the Python worker. */
export const HEAP_SHARE_OF_LIMIT = 0.6;

/** `--max-old-space-size` for a memory limit (MiB, at least 32), none without one. */
export function heapFlags(limits: ReplicaLimits | undefined): string[] {
  if (limits?.memoryBytes === undefined) return [];
  const mib = Math.max(32, Math.floor((limits.memoryBytes * HEAP_SHARE_OF_LIMIT) / 2 ** 20));
  return [`--max-old-space-size=${mib}`];
}

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}
