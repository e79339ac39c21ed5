// The one contract between the replica manager (and through it the controller) and a running replica: its
// own process (replica-process.ts) or a model inside a shared model host (hosted-replica.ts). Both share
// the lifecycle kept here: phase changes emitted as 'change', the load timeout, "wait until settled" and
// "resolve once gone".

import { EventEmitter } from 'node:events';
import type { ReplicaLimits } from '../../api/limits.js';
import { InferdError } from '../../errors.js';
import type { ContainerSpec } from './container-replica.js';

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
  /** A custom container run as a local process (container-replica.ts) instead of inferd's model server. */
  container?: ContainerSpec;
  /**
   * A multi-model server (a predictor without storageUri): the process starts as a model host with no model
   * and TrainedModels are loaded into it over IPC (controllers/trained-model/). modelDir is unused.
   */
  multiModel?: boolean;
}

export interface ReplicaFailure {
  reason: string;
  message: string;
  exitCode?: number | null;
}

/** One incarnation of a replica. Emits 'change' whenever `phase` changes; restarts make a new one. */
export interface Replica {
  readonly spec: ReplicaSpec;
  readonly key: string;
  /** 'process': its own model-server process; 'hosted': a model in a shared model host; 'container': a custom command. */
  readonly kind: 'process' | 'hosted' | 'container';
  readonly phase: ReplicaPhase;
  /** Loopback HTTP port while Ready. */
  readonly port: number | undefined;
  /** Loopback V2 gRPC port while Ready; undefined when it serves none. */
  readonly grpcPort: number | undefined;
  readonly failure: ReplicaFailure | undefined;
  readonly pid: number | undefined;
  /** True when it took over a pre-forked standby process instead of a cold fork. */
  readonly fromStandby: boolean;
  start(): void;
  /** Stops it (SIGTERM or unload, then forced after graceMs); resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves once Ready; rejects with an InferdError (`details.reason`, `details.exitCode`) if it fails first. */
  whenSettled(): Promise<void>;
  on(event: 'change', listener: () => void): this;
  off(event: 'change', listener: () => void): this;
}

/** The lifecycle both kinds of replica share; subclasses start, stop and abandon a load their own way. */
export abstract class ReplicaBase extends EventEmitter implements Replica {
  abstract readonly kind: 'process' | 'hosted' | 'container';
  abstract readonly pid: number | undefined;
  phase: ReplicaPhase = 'Starting';
  port: number | undefined;
  grpcPort: number | undefined;
  failure: ReplicaFailure | undefined;
  fromStandby = false;
  protected stopping = false;
  /** Resolves once the replica is gone (process exited, model unloaded, host exited). */
  protected readonly exited: Promise<void>;
  private resolveExited!: () => void;
  private loadTimer: NodeJS.Timeout | undefined;

  constructor(readonly spec: ReplicaSpec) {
    super();
    this.exited = new Promise((r) => {
      this.resolveExited = r;
    });
  }

  get key(): string {
    return this.spec.key;
  }

  abstract start(): void;
  abstract stop(graceMs?: number): Promise<void>;
  /** The load timeout fired (phase is Failed with ModelLoadTimeout now): kill the process or unload the model. */
  protected abstract abandonLoad(): void;

  whenSettled(): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.phase === 'Ready') {
          this.off('change', check);
          resolve();
        } else if (this.phase === 'Failed' || this.phase === 'Exited') {
          this.off('change', check);
          const f = this.failure ?? { reason: 'ReplicaExited', message: 'replica exited' };
          reject(new InferdError('MODEL_LOAD_FAILED', f.message, { reason: f.reason, exitCode: f.exitCode }));
        }
      };
      this.on('change', check);
      check();
    });
  }

  protected setPhase(p: ReplicaPhase): void {
    if (this.phase === p) return;
    this.phase = p;
    if (p !== 'Starting' && p !== 'Loading') this.clearLoadTimer();
    this.emit('change', this);
  }

  /** The replica is gone: no port, phase Exited, stop() resolves. */
  protected markExited(): void {
    this.port = undefined;
    this.grpcPort = undefined;
    this.setPhase('Exited');
    this.resolveExited();
  }

  /** Arms the spec's load timeout (none when unset): still Starting/Loading then → Failed ModelLoadTimeout. */
  protected startLoadTimer(): void {
    const ms = this.spec.loadTimeoutMs;
    if (ms === undefined || ms <= 0) return;
    this.loadTimer = setTimeout(() => {
      this.loadTimer = undefined;
      if ((this.phase !== 'Starting' && this.phase !== 'Loading') || this.stopping) return;
      this.failure = this.timeoutFailure();
      this.setPhase('Failed');
      this.abandonLoad();
    }, ms);
    this.loadTimer.unref();
  }

  /** The failure the load timeout records (a container's says it never answered on its port). */
  protected timeoutFailure(): ReplicaFailure {
    return loadTimeoutFailure(this.spec);
  }

  protected clearLoadTimer(): void {
    if (this.loadTimer) clearTimeout(this.loadTimer);
    this.loadTimer = undefined;
  }
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
