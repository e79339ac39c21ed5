// Owns every replica process of this inferd: starts them, restarts crashed ones with exponential back-off
// (like a Pod's CrashLoopBackOff), counts restarts, stops them. Knows nothing about InferenceServices:
// the controller says which replicas should exist, and listens for 'change' to update status.

import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { NEEDS_OWN_PROCESS, RUNTIME_ENV_KEYS } from '../../replica-protocol.js';
import { type Clock, systemClock, type Timer } from '../clock.js';
import { ContainerReplica, type SecretReader } from './container-replica.js';
import { HostedReplica, ModelHostProcess } from './hosted-replica.js';
import { LogBuffer, type LogComponent } from './log-buffer.js';
import { treeRssBytes } from './process-memory.js';
import type { Replica, ReplicaFailure, ReplicaPhase, ReplicaSpec } from './replica.js';
import { ReplicaProcess } from './replica-process.js';
import { StandbyProcess } from './standby.js';

export type { Replica } from './replica.js';

/**
 * Formats of inferd's own runtimes, packed into shared model hosts by default: the pure-TypeScript ones, and
 * onnx (onnxruntime's native addon: a crash there ends the host, whose models are all of one namespace).
 */
export const PACKABLE_FORMATS: readonly string[] = ['sklearn', 'xgboost', 'lightgbm', 'onnx'];

/** The one per-predictor flag a packed model keeps: its time limit, enforced per worker in the host. */
const REQUEST_TIMEOUT_FLAG = '--request_timeout_ms';

export interface ReplicaManagerOptions {
  /** The model server entry (dist/src/server/main.js). */
  entry: string;
  /** Folder for per-service log files; omitted: logs only in memory. */
  logDir?: string;
  log: Logger;
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  /** A replica Ready this long resets the back-off. */
  stableAfterMs?: number;
  /**
   * Pre-forked idle replica processes to keep (`inferd serve --standby-replicas`, 0: none). They start only
   * once `startStandby()` is called (after serve is listening) and are refilled after each hand-over, once
   * the replica that took one has settled.
   */
  standbyReplicas?: number;
  /** Env of standby processes and model hosts: serve's replica env (a service's own env is sent with `load`). */
  standbyEnv?: Record<string, string>;
  /**
   * Models per model-host process (`inferd serve --models-per-replica`). 1 (the default here; serve's is 100):
   * one process per model. N > 1: sklearn/xgboost/lightgbm/onnx services without per-predictor flags share
   * hosts of up to N models, each in its own worker thread; a host holds the models of one namespace only.
   */
  modelsPerReplica?: number;
  /** V8 heap limit of each packed model's worker (`inferd serve --worker-heap-limit`), MiB. */
  workerHeapLimitMb?: number;
  /** How often replicas with `resources.limits.memory` have their RSS checked (default 500 ms). */
  memoryCheckIntervalMs?: number;
  /** Time of the restart back-off and of "stable after" (default: the system clock). */
  clock?: Clock;
  /** PATH, HOME and locale for custom containers (serve's inheritedEnv); default: this process's. */
  containerBaseEnv?: Record<string, string>;
  /** Reads a Secret's key for a container's `valueFrom.secretKeyRef` env. */
  readSecret?: SecretReader;
}

/** A standby that keeps dying is given up on after this many exits in a row (cold forks still work). */
const STANDBY_MAX_FAILURES = 3;
/** Refill at the latest this long after a hand-over, even if the replica has not settled. */
const STANDBY_REFILL_MAX_WAIT_MS = 10_000;

export interface ReplicaView {
  key: string;
  revision: string;
  phase: ReplicaPhase | 'BackOff';
  port: number | undefined;
  /** The V2 gRPC port while Ready; undefined when the replica serves none. */
  grpcPort?: number;
  pid: number | undefined;
  restarts: number;
  failure: ReplicaFailure | undefined;
  /** When the next restart is due (BackOff only). */
  nextRestartAt?: number;
}

interface Managed {
  spec: ReplicaSpec;
  proc: Replica;
  restarts: number;
  consecutiveFailures: number;
  readySince: number | undefined;
  timer: Timer | undefined;
  nextRestartAt: number | undefined;
  removed: boolean;
}

/** Emits 'change' with the replica key whenever a replica's phase changes. */
export class ReplicaManager extends EventEmitter {
  private readonly replicas = new Map<string, Managed>();
  private readonly logBuffers = new Map<string, LogBuffer>();
  private readonly standbys = new Set<StandbyProcess>();
  private readonly hosts = new Set<ModelHostProcess>();
  /** Replica keys a model host sent back (NeedsOwnProcess: a Python-fallback model): a process of their own. */
  private readonly ownProcess = new Set<string>();
  private standbyEnabled = false;
  private standbyFailures = 0;
  private refillTimer: NodeJS.Timeout | undefined;
  private memoryTimer: NodeJS.Timeout | undefined;
  private checkingMemory = false;
  private stopped = false;
  private readonly clock: Clock;

  constructor(private readonly opts: ReplicaManagerOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    if (opts.logDir) mkdirSync(opts.logDir, { recursive: true });
  }

  /** The log buffer of a service (`namespace/name`), shared by all its replicas and restarts. */
  logsFor(serviceKey: string): LogBuffer {
    let buf = this.logBuffers.get(serviceKey);
    if (!buf) {
      const file = this.opts.logDir ? join(this.opts.logDir, `${serviceKey.replace('/', '_')}.log`) : undefined;
      buf = new LogBuffer(file);
      this.logBuffers.set(serviceKey, buf);
    }
    return buf;
  }

  /** Starts the replica unless one with this key exists. Returns its process (current incarnation). */
  ensure(spec: ReplicaSpec): Replica {
    const existing = this.replicas.get(spec.key);
    if (existing) return existing.proc;
    const m: Managed = {
      spec,
      proc: this.spawn(spec),
      restarts: 0,
      consecutiveFailures: 0,
      readySince: undefined,
      timer: undefined,
      nextRestartAt: undefined,
      removed: false,
    };
    this.replicas.set(spec.key, m);
    this.watchProcess(m);
    if (spec.limits?.memoryBytes !== undefined) this.startMemoryWatchdog();
    return m.proc;
  }

  get(key: string): ReplicaView | undefined {
    const m = this.replicas.get(key);
    if (!m) return undefined;
    return {
      key,
      revision: m.spec.revision,
      phase: m.timer ? 'BackOff' : m.proc.phase,
      port: m.proc.phase === 'Ready' ? m.proc.port : undefined,
      grpcPort: m.proc.phase === 'Ready' ? m.proc.grpcPort : undefined,
      pid: m.proc.pid,
      restarts: m.restarts,
      failure: m.proc.failure,
      nextRestartAt: m.nextRestartAt,
    };
  }

  /** The live replica for a key (to await readiness). */
  process(key: string): Replica | undefined {
    return this.replicas.get(key)?.proc;
  }

  keys(): string[] {
    return [...this.replicas.keys()];
  }

  async remove(key: string): Promise<void> {
    const m = this.replicas.get(key);
    if (!m) return;
    m.removed = true;
    m.timer?.cancel();
    this.replicas.delete(key);
    this.ownProcess.delete(key);
    await m.proc.stop();
    this.emit('change', key);
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    if (this.refillTimer) clearTimeout(this.refillTimer);
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    await Promise.all([
      ...[...this.replicas.keys()].map((k) => this.remove(k)),
      ...[...this.standbys].map((s) => s.stop()),
    ]);
    // Hosts stop when their last model is unloaded; wait for them (bounded by their own kill timer).
    await Promise.all(
      [...this.hosts].map((h) => (h.phase === 'Exited' ? undefined : new Promise((r) => h.once('exit', r)))),
    );
    this.standbys.clear();
    for (const b of this.logBuffers.values()) b.close();
  }

  /** Starts keeping `standbyReplicas` idle processes (call once serve is ready, so they do not slow its start). */
  startStandby(): void {
    if (this.stopped || this.standbyEnabled || (this.opts.standbyReplicas ?? 0) <= 0) return;
    this.standbyEnabled = true;
    // Replicas starting now (the demo's) go first; the standby forks once they settle (10 s at most).
    const starting = () =>
      [...this.replicas.values()].some((m) => m.proc.phase === 'Starting' || m.proc.phase === 'Loading');
    if (!starting()) {
      this.fillStandby();
      return;
    }
    const go = () => {
      if (starting()) return;
      clearTimeout(timer);
      this.off('change', go);
      this.fillStandby();
    };
    const timer = setTimeout(() => {
      this.off('change', go);
      this.fillStandby();
    }, STANDBY_REFILL_MAX_WAIT_MS);
    timer.unref();
    this.on('change', go);
  }

  /** How many standby processes are idle and can be taken now. */
  idleStandbys(): number {
    return [...this.standbys].filter((s) => s.usable).length;
  }

  /** Pids of the standby processes (tests, `ps`). */
  standbyPids(): number[] {
    return [...this.standbys].map((s) => s.pid).filter((p): p is number => p !== undefined);
  }

  private fillStandby(): void {
    if (!this.standbyEnabled || this.stopped || this.standbyFailures >= STANDBY_MAX_FAILURES) return;
    while (this.standbys.size < (this.opts.standbyReplicas ?? 0)) {
      const s = new StandbyProcess(this.opts.entry, this.opts.standbyEnv ?? {});
      this.standbys.add(s);
      s.once('idle', () => {
        this.standbyFailures = 0;
      });
      s.once('exit', () => {
        this.standbys.delete(s);
        if (this.stopped) return;
        this.standbyFailures += 1;
        this.opts.log.warn('standby replica exited before use', {
          pid: s.pid,
          failures: this.standbyFailures,
          givingUp: this.standbyFailures >= STANDBY_MAX_FAILURES,
        });
        this.scheduleRefill(1_000 * this.standbyFailures);
      });
    }
  }

  private scheduleRefill(delayMs: number): void {
    if (this.refillTimer || this.stopped) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.fillStandby();
    }, delayMs);
    this.refillTimer.unref();
  }

  /** An idle standby a replica of `spec` may take: its env is the service's only in what `load` can still set. */
  private takeStandby(env: Record<string, string>): StandbyProcess | undefined {
    const base = this.opts.standbyEnv ?? {};
    for (const [k, v] of Object.entries(env)) {
      if (base[k] !== v && !(RUNTIME_ENV_KEYS as readonly string[]).includes(k)) return undefined;
    }
    const all = [...this.standbys];
    const s = all.find((x) => x.usable) ?? all.find((x) => x.available);
    if (s) this.standbys.delete(s);
    return s;
  }

  /** Pids of the model-host processes (tests). */
  hostPids(): number[] {
    return [...this.hosts].map((h) => h.pid).filter((p): p is number => p !== undefined);
  }

  /**
   * Packed into a model host: more than one model per replica, a pure-TypeScript runtime, no per-predictor flags,
   * no resource limits (a limit is enforced per process, so a limited service gets its own).
   */
  private packable(spec: ReplicaSpec): boolean {
    if ((this.opts.modelsPerReplica ?? 1) <= 1 || spec.multiModel || this.ownProcess.has(spec.key)) return false;
    if (hasLimits(spec)) return false;
    if (!PACKABLE_FORMATS.includes(spec.modelFormat.toLowerCase())) return false;
    // batcher, logger, a model name of its own: per-process options. The time limit is per worker.
    const args = spec.args ?? [];
    if (args.length > 0 && !(args.length === 2 && args[0] === REQUEST_TIMEOUT_FLAG)) return false;
    const base = this.opts.standbyEnv ?? {};
    return Object.entries(spec.env).every(
      ([k, v]) => base[k] === v || (RUNTIME_ENV_KEYS as readonly string[]).includes(k),
    );
  }

  /**
   * A host for this replica: one of its namespace's (a host never mixes namespaces: the isolation unit of a
   * process) with room, and not already holding a model of that name (another revision or replica of the
   * same service: models are keyed by name in a host), else a new one.
   */
  private hostFor(spec: ReplicaSpec): { host: ModelHostProcess; standby: StandbyProcess | undefined } {
    const namespace = spec.key.split('/')[0] ?? '';
    for (const h of this.hosts) {
      if (h.namespace === namespace && !h.full && !h.replicas.has(spec.modelName))
        return { host: h, standby: undefined };
    }
    const standby = this.takeStandby({});
    const host = new ModelHostProcess({
      capacity: this.opts.modelsPerReplica ?? 1,
      namespace,
      entry: this.opts.entry,
      env: this.opts.standbyEnv ?? {},
      log: this.opts.log,
      standby,
    });
    this.hosts.add(host);
    host.once('exit', () => this.hosts.delete(host));
    this.opts.log.info('model host started', {
      pid: host.pid,
      namespace,
      capacity: host.capacity,
      fromStandby: !!standby,
    });
    return { host, standby };
  }

  private spawn(spec: ReplicaSpec): Replica {
    const logs = this.logsFor(serviceKeyOf(spec.key)).sink(componentOfReplicaKey(spec.key));
    let proc: Replica;
    let standby: StandbyProcess | undefined;
    if (spec.container) {
      const baseEnv = this.opts.containerBaseEnv ?? (process.env as Record<string, string>);
      proc = new ContainerReplica({
        spec: { ...spec, container: spec.container },
        logs,
        log: this.opts.log,
        baseEnv,
        readSecret: this.opts.readSecret,
      });
    } else if (this.packable(spec)) {
      const picked = this.hostFor(spec);
      standby = picked.standby;
      const args = spec.args ?? [];
      const timeoutMs = args[0] === REQUEST_TIMEOUT_FLAG ? Number(args[1]) : undefined;
      proc = new HostedReplica({
        spec,
        host: picked.host,
        logs,
        limits: {
          ...(timeoutMs && Number.isFinite(timeoutMs) ? { requestTimeoutMs: timeoutMs } : {}),
          ...(this.opts.workerHeapLimitMb ? { heapLimitMb: this.opts.workerHeapLimitMb } : {}),
        },
      });
    } else {
      // A standby runs with serve's heap size and thread pool, set at fork: a limited service needs a fresh fork.
      standby = hasLimits(spec) ? undefined : this.takeStandby(spec.env);
      proc = new ReplicaProcess({ spec, entry: this.opts.entry, logs, log: this.opts.log, standby });
    }
    proc.start();
    logs.append(
      JSON.stringify({
        time: new Date().toISOString(),
        level: 'info',
        msg:
          proc.kind === 'hosted'
            ? 'replica started in a shared model host'
            : proc.kind === 'container'
              ? `${spec.container?.component ?? 'container'} container started`
              : proc.fromStandby
                ? 'replica started from standby process'
                : 'replica started',
        replica: spec.key,
        revision: spec.revision,
        pid: proc.pid,
      }),
    );
    if (standby) {
      // Fork the next standby once this replica has settled: forking now would compete with its model load.
      const refill = () => {
        clearTimeout(timer);
        this.fillStandby();
      };
      const timer = setTimeout(refill, STANDBY_REFILL_MAX_WAIT_MS);
      timer.unref();
      proc.whenSettled().then(refill, refill);
    }
    return proc;
  }

  /**
   * The RSS watchdog: every memoryCheckIntervalMs, replicas with a memory limit whose process tree (the
   * model server and its Python worker) is over it are killed and recorded as OOMKilled. One pass at a time.
   */
  private startMemoryWatchdog(): void {
    if (this.memoryTimer || this.stopped) return;
    this.memoryTimer = setInterval(() => void this.checkMemory(), this.opts.memoryCheckIntervalMs ?? 500);
    this.memoryTimer.unref();
  }

  private async checkMemory(): Promise<void> {
    if (this.checkingMemory) return;
    this.checkingMemory = true;
    try {
      for (const m of this.replicas.values()) {
        const limit = m.spec.limits?.memoryBytes;
        const proc = m.proc;
        // Native replicas and containers (container-replica.ts) alike.
        if (limit === undefined || !isMemoryLimited(proc) || proc.pid === undefined) continue;
        if (proc.phase === 'Exited' || proc.phase === 'Failed') continue;
        const rss = await treeRssBytes(proc.pid);
        if (rss !== undefined && rss > limit && m.proc === proc) proc.killForMemory(rss, limit);
      }
    } finally {
      this.checkingMemory = false;
    }
  }

  private watchProcess(m: Managed): void {
    const proc = m.proc;
    proc.on('change', () => {
      if (m.removed || m.proc !== proc) return;
      if (proc.phase === 'Ready') m.readySince = this.clock.now();
      if (proc.phase === 'Exited' && proc.kind === 'hosted' && proc.failure?.reason === NEEDS_OWN_PROCESS) {
        // Sent back by its host: start it again at once in a process of its own (not a restart).
        this.ownProcess.add(m.spec.key);
        this.opts.log.info('replica moved to a process of its own', { replica: m.spec.key });
        m.proc = this.spawn(m.spec);
        this.watchProcess(m);
      } else if (proc.phase === 'Exited') this.scheduleRestart(m);
      this.emit('change', m.spec.key);
    });
  }

  private scheduleRestart(m: Managed): void {
    const stableAfterMs = this.opts.stableAfterMs ?? 30_000;
    if (m.readySince !== undefined && this.clock.now() - m.readySince >= stableAfterMs) m.consecutiveFailures = 0;
    m.readySince = undefined;
    m.consecutiveFailures += 1;
    const delay = Math.min(
      this.opts.restartBackoffMs * 2 ** (m.consecutiveFailures - 1),
      this.opts.restartBackoffMaxMs,
    );
    m.nextRestartAt = this.clock.now() + delay;
    this.opts.log.warn('replica exited; restarting after back-off', {
      replica: m.spec.key,
      reason: m.proc.failure?.reason,
      delayMs: delay,
      restarts: m.restarts,
    });
    m.timer = this.clock.setTimer(() => {
      m.timer = undefined;
      m.nextRestartAt = undefined;
      if (m.removed) return;
      m.restarts += 1;
      m.proc = this.spawn(m.spec);
      this.watchProcess(m);
      this.emit('change', m.spec.key);
    }, delay);
  }
}

function hasLimits(spec: ReplicaSpec): boolean {
  return spec.limits?.memoryBytes !== undefined || spec.limits?.cpu !== undefined;
}

/** `ns/name/revision` → `ns/name`. */
/** The component a replica runs, from its key (`ns/name/transformer-…`, `ns/name/explainer-…`, else the predictor). */
export function componentOfReplicaKey(replicaKey: string): LogComponent {
  const rest = replicaKey.split('/')[2] ?? '';
  if (rest.startsWith('transformer-')) return 'transformer';
  if (rest.startsWith('explainer-')) return 'explainer';
  return 'predictor';
}

export function serviceKeyOf(replicaKey: string): string {
  const parts = replicaKey.split('/');
  return `${parts[0]}/${parts[1]}`;
}

/** A replica the RSS watchdog can kill for its memory limit. */
function isMemoryLimited(
  proc: Replica,
): proc is Replica & { pid: number | undefined; killForMemory(rss: number, limit: number): void } {
  return proc instanceof ReplicaProcess || proc instanceof ContainerReplica;
}
