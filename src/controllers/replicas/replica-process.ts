// One replica: a child process running inferd's model server on a loopback port. A crashing or hanging
// model never takes the gateway down. The child reports its lifecycle over IPC (Loading → ready|failed);
// its stdout/stderr go to the service's log buffer. Restart policy lives in the replica manager, not here.

import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { ReplicaLimits } from '../../api/limits.js';
import type { Logger } from '../../log.js';
import { modelReplicaArgs, type ReplicaMessage, type StandbyLoadMessage } from '../../replica-protocol.js';
import type { LogBuffer } from './log-buffer.js';
import { killTree } from './process-memory.js';
import type { StandbyProcess } from './standby.js';

export type ReplicaPhase = 'Starting' | 'Loading' | 'Ready' | 'Failed' | 'Exited';

export interface ReplicaSpec {
  /** Unique key: `{namespace}/{name}/{revision}`. */
  key: string;
  revision: string;
  modelName: string;
  modelDir: string;
  modelFormat: string;
  env: Record<string, string>;
  /** Extra model-server flags from the predictor spec (batcher, logger, timeout), appended as given. */
  args?: string[];
  /** Start to Ready at most this long, else the replica is killed with reason ModelLoadTimeout. */
  loadTimeoutMs?: number;
  /** Where loadTimeoutMs came from, for the message that says how to raise it. */
  loadTimeoutSource?: string;
  /** `resources.limits`: a V8 heap cap here, the RSS watchdog in the manager (docs/security.md). */
  limits?: ReplicaLimits;
}

export interface ReplicaFailure {
  reason: string;
  message: string;
  exitCode?: number | null;
}

/** Emits 'change' whenever phase changes. */
export class ReplicaProcess extends EventEmitter {
  phase: ReplicaPhase = 'Starting';
  port: number | undefined;
  /** The replica's V2 gRPC port (`--grpc_port 0`), reported with `ready`; undefined when it serves none. */
  grpcPort: number | undefined;
  failure: ReplicaFailure | undefined;
  private child: ChildProcess | undefined;
  private stopping = false;
  private readonly exited: Promise<void>;
  private resolveExited!: () => void;

  constructor(
    readonly spec: ReplicaSpec,
    private readonly entry: string,
    private readonly logs: LogBuffer,
    private readonly log: Logger,
  ) {
    super();
    this.exited = new Promise((r) => {
      this.resolveExited = r;
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The model-server flags this replica runs with (a cold fork's argv, or a standby's `load`). */
  args(): string[] {
    const { spec } = this;
    return [...modelReplicaArgs(spec), ...(spec.args ?? [])];
  }

  /** True when this replica came from a standby process rather than a cold fork. */
  fromStandby = false;

  /**
   * Forks the model server — or, given an idle standby process, takes it over and sends it `load`
   * (no process start, no module loading; the same lifecycle messages follow).
   */
  start(standby?: StandbyProcess): void {
    const { spec } = this;
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
      this.port = undefined;
      this.grpcPort = undefined;
      this.setPhase('Exited');
      this.resolveExited();
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

  private onMessage(m: ReplicaMessage): void {
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

  private setPhase(p: ReplicaPhase): void {
    if (this.phase === p) return;
    this.phase = p;
    if (p !== 'Starting' && p !== 'Loading') this.clearLoadTimer();
    this.emit('change', this);
  }

  /** Set once the replica is known to be over its memory limit: the message of its OOMKilled failure. */
  private outOfMemory: string | undefined;
  private loadTimer: NodeJS.Timeout | undefined;

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

  private startLoadTimer(): void {
    const ms = this.spec.loadTimeoutMs;
    if (ms === undefined || ms <= 0) return;
    this.loadTimer = setTimeout(() => {
      this.loadTimer = undefined;
      if (this.phase !== 'Starting' && this.phase !== 'Loading') return;
      this.failure = loadTimeoutFailure(this.spec);
      this.log.warn('replica did not load in time; killing', { replica: this.spec.key, loadTimeoutMs: ms });
      this.setPhase('Failed');
      this.killTree();
    }, ms);
    this.loadTimer.unref();
  }

  /** The model server and its Python worker: a hung or oversized worker must not outlive its replica. */
  private killTree(): void {
    if (this.child?.pid !== undefined) killTree(this.child.pid);
    else this.child?.kill('SIGKILL');
  }

  private clearLoadTimer(): void {
    if (this.loadTimer) clearTimeout(this.loadTimer);
    this.loadTimer = undefined;
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

  /** Resolves when the replica is Ready; rejects with its failure when it fails or exits first. */
  whenSettled(): Promise<ReplicaProcess> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.phase === 'Ready') {
          this.off('change', check);
          resolve(this);
        } else if (this.phase === 'Failed' || this.phase === 'Exited') {
          this.off('change', check);
          reject(this.failure ?? { reason: 'ReplicaExited', message: 'replica exited' });
        }
      };
      this.on('change', check);
      check();
    });
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

function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The failure of a replica that did not load within its spec's loadTimeoutMs. */
export function loadTimeoutFailure(spec: ReplicaSpec): ReplicaFailure {
  return {
    reason: 'ModelLoadTimeout',
    message: `model did not load within ${formatDuration(spec.loadTimeoutMs ?? 0)} (${spec.loadTimeoutSource ?? 'the load timeout'}); the replica was stopped. Raise the limit with the annotation serving.inferd.dev/load-timeout (e.g. "10m") or inferd serve --load-timeout`,
  };
}
