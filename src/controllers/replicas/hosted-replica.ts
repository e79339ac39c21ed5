// Packed replicas (`inferd serve --models-per-replica N`, N > 1): several services' models of one namespace in
// one model-host process (server/model-host/), each in its own worker thread serving it on its own ports (the
// `model-ready` message carries them). A HostedReplica is a Replica (replica.ts), as
// a ReplicaProcess is, so the manager and the controller treat both alike: restarts and status stay per
// service. A model's own failure (load error, hung or crashed worker) ends only its HostedReplica (Failed →
// Exited, restarted by the manager with back-off); the host process exiting ends all of its HostedReplicas
// (the accepted blast radius). The last one out stops the host.

import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { Logger } from '../../log.js';
import {
  type FromHost,
  MODEL_HOST_ARGS,
  NEEDS_OWN_PROCESS,
  type ReplicaMessage,
  type StandbyLoadMessage,
  type ToHost,
} from '../../replica-protocol.js';
import type { LogSink } from './log-buffer.js';
import { ReplicaBase, type ReplicaSpec } from './replica.js';
import type { StandbyProcess } from './standby.js';

type HostMessage = FromHost | ReplicaMessage;

export interface ModelHostOptions {
  /** Models this host takes at most. */
  capacity: number;
  /** The one namespace whose models this host holds. */
  namespace?: string;
  /** The model server entry (dist/src/server/main.js). */
  entry: string;
  env: Record<string, string>;
  log: Logger;
  /** An idle pre-forked process to take over instead of forking. */
  standby?: StandbyProcess;
}

/** One model-host process and the replicas it holds. */
export class ModelHostProcess extends EventEmitter {
  phase: 'Starting' | 'Ready' | 'Exited' = 'Starting';
  port: number | undefined;
  grpcPort: number | undefined;
  readonly replicas = new Map<string, HostedReplica>();
  /** Set once no more replicas may join (stopping, or exited). */
  closing = false;
  private readonly child: ChildProcess;
  private exitReason = '';
  readonly capacity: number;
  readonly namespace: string;
  private readonly log: Logger;

  constructor({ capacity, namespace, entry, env, log, standby }: ModelHostOptions) {
    super();
    this.capacity = capacity;
    this.namespace = namespace ?? '';
    this.log = log;
    this.setMaxListeners(0);
    const sink = (line: string) => this.route(line);
    if (standby?.available) {
      this.child = standby.take(sink);
      void standby.whenIdle().then((idle) => {
        if (idle && this.child.connected)
          this.child.send({ type: 'load', args: [...MODEL_HOST_ARGS] } satisfies StandbyLoadMessage);
      });
    } else {
      this.child = fork(entry, [...MODEL_HOST_ARGS], {
        // --expose-gc: each worker collects once after loading (worker-serve.ts): ~0.9 MiB less per packed model.
        execArgv: [...process.execArgv, '--expose-gc'],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Only the env inferd built for it: the server's own (credentials, NODE_OPTIONS) is not inherited.
        env: { ...env },
        serialization: 'json',
      });
      for (const stream of [this.child.stdout, this.child.stderr]) {
        if (stream) createInterface({ input: stream }).on('line', sink);
      }
    }
    this.child.on('message', (m: HostMessage) => this.onMessage(m));
    this.child.on('error', () => {
      // surfaces as 'exit'
    });
    this.child.on('exit', (code, signal) => {
      this.phase = 'Exited';
      this.closing = true;
      this.port = undefined;
      this.grpcPort = undefined;
      const why = this.exitReason || `model host exited (${signal ? `signal ${signal}` : `code ${code}`})`;
      for (const r of [...this.replicas.values()]) r.hostExited(why, code);
      this.replicas.clear();
      this.emit('exit');
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get full(): boolean {
    return this.closing || this.replicas.size >= this.capacity;
  }

  attach(r: HostedReplica): void {
    this.replicas.set(r.spec.modelName, r);
    if (this.phase === 'Ready') r.hostReady();
  }

  /** The replica is gone from this host; the last one stops the host. */
  detach(r: HostedReplica): void {
    if (this.replicas.get(r.spec.modelName) === r) this.replicas.delete(r.spec.modelName);
    if (this.replicas.size === 0 && this.phase !== 'Exited') {
      this.closing = true;
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      t.unref();
      this.child.once('exit', () => clearTimeout(t));
    }
  }

  send(msg: ToHost): void {
    if (!this.child.connected) return;
    try {
      this.child.send(msg);
    } catch {
      // exiting: 'exit' tells the replicas
    }
  }

  /** A line naming a hosted model goes to that service's log; others to every hosted service's log. */
  private route(line: string): void {
    const m = /"model":"([^"]+)"/.exec(line);
    const one = m ? this.replicas.get(m[1] ?? '') : undefined;
    if (one) one.logs.append(line);
    else for (const r of this.replicas.values()) r.logs.append(line);
  }

  private onMessage(m: HostMessage): void {
    switch (m.type) {
      case 'ready':
        this.port = m.port;
        this.grpcPort = m.grpcPort;
        this.phase = 'Ready';
        this.log.info('model host ready', { pid: this.pid, port: m.port });
        for (const r of this.replicas.values()) r.hostReady();
        break;
      case 'failed':
        this.exitReason = `model host failed to start: ${m.message ?? m.reason ?? 'unknown'}`;
        break;
      case 'model-ready':
      case 'model-failed':
      case 'model-unloaded':
        this.replicas.get(m.modelName)?.onHostMessage(m);
        break;
    }
  }
}

export interface HostedReplicaOptions {
  spec: ReplicaSpec;
  host: ModelHostProcess;
  /** The service's log buffer: the host's lines naming this model go there. */
  logs: LogSink;
  /** Per-model limits in the shared host: time per call, worker heap. */
  limits?: { requestTimeoutMs?: number; heapLimitMb?: number };
}

/** One service's replica inside a model host. */
export class HostedReplica extends ReplicaBase {
  readonly kind = 'hosted' as const;
  readonly host: ModelHostProcess;
  readonly logs: LogSink;
  private attached = true;
  private loadSent = false;
  private readonly limits: { requestTimeoutMs?: number; heapLimitMb?: number };

  constructor(opts: HostedReplicaOptions) {
    super(opts.spec);
    this.host = opts.host;
    this.logs = opts.logs;
    this.limits = opts.limits ?? {};
  }

  get pid(): number | undefined {
    return this.host.pid;
  }

  start(): void {
    this.host.attach(this);
  }

  /** The host is listening: load this model into it. */
  hostReady(): void {
    if (this.loadSent || !this.attached || this.stopping) return;
    this.loadSent = true;
    this.setPhase('Loading');
    // Unloading a model still loading terminates its worker thread; the host and its other models go on.
    this.startLoadTimer();
    this.host.send({
      type: 'load',
      modelName: this.spec.modelName,
      modelDir: this.spec.modelDir,
      modelFormat: this.spec.modelFormat,
      env: this.spec.env,
      ...this.limits,
    });
  }

  protected abandonLoad(): void {
    this.host.send({ type: 'unload', modelName: this.spec.modelName });
    this.end();
  }

  onHostMessage(m: FromHost): void {
    if (m.type === 'model-ready' && !this.stopping) {
      // A service's model is served on its worker's own ports (no hop through the host's main thread); a
      // TrainedModel on the host's.
      this.port = m.port ?? this.host.port;
      this.grpcPort = m.port !== undefined ? m.grpcPort : this.host.grpcPort;
      this.setPhase('Ready');
    } else if (m.type === 'model-failed' && m.reason === NEEDS_OWN_PROCESS && !this.stopping) {
      // Not a failure of the service: the manager starts it again at once in a process of its own.
      this.failure = { reason: m.reason, message: m.message };
      this.end();
    } else if (m.type === 'model-failed') {
      const wasReady = this.phase === 'Ready';
      this.failure = {
        reason: wasReady && m.reason === 'ModelLoadFailed' ? 'ReplicaCrashed' : m.reason,
        message: m.message,
      };
      this.setPhase('Failed');
      this.end();
    } else if (m.type === 'model-unloaded') {
      this.end();
    }
  }

  hostExited(why: string, code: number | null): void {
    if (!this.stopping && this.phase !== 'Failed') {
      this.failure = {
        reason: this.phase === 'Ready' ? 'ReplicaCrashed' : 'ModelLoadFailed',
        message: `${why} ${this.phase === 'Ready' ? 'while serving' : 'while loading'} (the host's other models restart too); see inferd logs`,
        exitCode: code,
      };
    }
    this.attached = false;
    this.markExited();
  }

  /** Unloads the model from its host (the host stops when it was the last). */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    if (!this.attached) return;
    this.host.send({ type: 'unload', modelName: this.spec.modelName });
    const t = setTimeout(() => this.end(), graceMs);
    t.unref();
    await this.exited;
    clearTimeout(t);
  }

  private end(): void {
    if (!this.attached) return;
    this.attached = false;
    this.host.detach(this);
    this.markExited();
  }
}
