// A custom container as a local process (docs/containers.md): a component's `containers[0]` (predictor,
// transformer, explainer) or a ServingRuntime's container, run from its `command` + `args` with the env its
// manifest gives, on a loopback port inferd picks. It shares the replica lifecycle (replica.ts) with inferd's
// own model servers, so the manager restarts it with back-off and the controller routes, scales and canaries
// it like any replica. Unlike a model server it reports nothing over IPC: it is Ready once its port answers
// HTTP, and a failure carries the last lines of its output (what `inferd describe` shows).

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../log.js';
import { INFERD_MODEL_SERVER } from './image-map.js';
import type { LogSink } from './log-buffer.js';
import { killTree } from './process-memory.js';
import { loadTimeoutFailure, ReplicaBase, type ReplicaFailure, type ReplicaSpec } from './replica.js';

export type ContainerComponent = 'predictor' | 'transformer' | 'explainer';

/** What a container replica runs, as its manifest says (templates and /mnt/models already substituted). */
export interface ContainerSpec {
  component: ContainerComponent;
  /** `command` + `args` (the first word is the program; `inferd` resolves to this installation). */
  argv: string[];
  /** Exactly the env it gets besides PATH/HOME/locale and PORT: the manifest's, never the server's secrets. */
  env: Record<string, string>;
  workingDir?: string;
  /** Env from `valueFrom.secretKeyRef`, read when the process starts (a missing Secret fails the start). */
  secretEnv?: SecretEnv[];
  /** The namespace its Secrets are read from. */
  namespace?: string;
  /**
   * KServe's flags for this component (`--model_name`, `--predictor_host`, `--protocol`), appended when the
   * args do not name them already. The HTTP port is handled apart (it is picked per incarnation).
   */
  flags: Record<string, string>;
  /** Run `engine.image` in docker/podman (`inferd serve --container-engine`), its port 8080 published on ours. */
  engine?: { program: 'docker' | 'podman'; image: string; modelDir?: string };
  /** Known not runnable (ImageNotRunnable): fails at start with this, and again after each back-off. */
  problem?: { reason: string; message: string };
  /** Append `--http_port` (and for `inferd run`, `--grpc_port`) when absent: transformers, explainers, `inferd run`. */
  appendPortFlags: boolean;
}

export interface SecretEnv {
  env: string;
  secret: string;
  key: string;
  /** KServe's `optional: true`: a missing Secret or key leaves the variable unset. */
  optional?: boolean;
}

/** A Secret's key as text; undefined when the Secret or the key does not exist. */
export type SecretReader = (namespace: string, name: string, key: string) => string | undefined;

/** How often the port is probed until it answers. */
const PROBE_INTERVAL_MS = 100;
/** Lines of output kept for a failure's message. */
const TAIL_LINES = 8;

/** This installation's CLI (dist/src/cli/main.js), for `command: ["inferd", ...]` when inferd is not on PATH. */
export const INFERD_CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
/** inferd's model server (dist/src/server/main.js), for KServe's model-server images. */
const MODEL_SERVER_ENTRY = fileURLToPath(new URL('../../server/main.js', import.meta.url));

export interface ContainerReplicaOptions {
  spec: ReplicaSpec & { container: ContainerSpec };
  logs: LogSink;
  log: Logger;
  /** PATH, HOME and locale of the server (inheritedEnv), so a command resolves as it would in a shell. */
  baseEnv: Record<string, string>;
  readSecret?: SecretReader;
}

export class ContainerReplica extends ReplicaBase {
  readonly kind = 'container' as const;
  private child: ChildProcess | undefined;
  private readonly container: ContainerSpec;
  private readonly logs: LogSink;
  private readonly log: Logger;
  private readonly baseEnv: Record<string, string>;
  private readonly readSecret: SecretReader | undefined;
  private readonly tail: string[] = [];
  private probeTimer: NodeJS.Timeout | undefined;
  /** The argv it was started with (tests, describe). */
  argv: string[] = [];
  private httpPort: number | undefined;
  private grpcPortOnReady: number | undefined;

  constructor(opts: ContainerReplicaOptions) {
    super(opts.spec);
    this.container = opts.spec.container;
    this.logs = opts.logs;
    this.log = opts.log;
    this.baseEnv = opts.baseEnv;
    this.readSecret = opts.readSecret;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    this.startLoadTimer();
    void freePorts(2).then(
      ([http, grpc]) => this.launch(http as number, grpc as number),
      (err: Error) => this.fail('ContainerStartFailed', `no free loopback port: ${err.message}`),
    );
  }

  private launch(httpPort: number, grpcPort: number): void {
    if (this.stopping || this.phase !== 'Starting') return;
    const c = this.container;
    this.httpPort = httpPort;
    const env: Record<string, string> = { ...pick(this.baseEnv, BASE_ENV_KEYS), ...c.env };
    for (const ref of c.secretEnv ?? []) {
      const value = this.readSecret?.(c.namespace ?? 'default', ref.secret, ref.key);
      if (value !== undefined) env[ref.env] = value;
      else if (!ref.optional) {
        this.fail(
          'SecretNotFound',
          `env ${ref.env}: key "${ref.key}" of secret "${ref.secret}" not found in namespace "${c.namespace ?? 'default'}"; create it (inferd apply -f secret.yaml), the ${c.component} retries with back-off`,
        );
        this.markExited();
        return;
      }
    }
    env.PORT = String(httpPort);
    if (c.problem) {
      this.fail(c.problem.reason, c.problem.message);
      this.markExited();
      return;
    }
    const resolved = c.engine
      ? resolveProgram([c.engine.program, ...engineArgs(c, env, httpPort)], env.PATH ?? '')
      : resolveProgram(c.argv, env.PATH ?? '');
    if ('problem' in resolved) {
      this.fail('CommandNotFound', resolved.problem);
      this.markExited();
      return;
    }
    // In an engine the server listens on KServe's 8080 inside; the port flags stay as the manifest says.
    const argv = c.engine
      ? resolved.argv
      : withPortFlags(resolved.argv, httpPort, grpcPort, c.appendPortFlags || resolved.inferd, resolved.inferd);
    // A V2 gRPC port it was told (inferd run's, or a --grpc_port its args name) is routed to as well.
    const servesGrpc = hasFlag(argv, 'grpc_port');
    for (const [flag, value] of Object.entries(c.flags)) {
      if (!hasFlag(argv, flag)) argv.push(`--${flag}=${value}`);
    }
    this.argv = argv;
    const [program, ...args] = argv as [string, ...string[]];
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        cwd: c.engine ? undefined : c.workingDir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: stop() and the load timeout end the whole tree (a shell's children too).
        detached: true,
      });
    } catch (err) {
      this.fail('ContainerStartFailed', `could not start ${program}: ${(err as Error).message}`);
      this.markExited();
      return;
    }
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      // ENOENT for a missing workingDir or program, EACCES for a file that is not executable.
      const why =
        err.code === 'ENOENT' && c.workingDir
          ? `${program} or workingDir ${c.workingDir} does not exist`
          : `could not start ${program}: ${err.message}`;
      this.fail(err.code === 'ENOENT' ? 'CommandNotFound' : 'ContainerStartFailed', why);
      if (child.pid === undefined) this.markExited();
    });
    child.on('exit', (code, signal) => {
      this.clearProbe();
      this.clearLoadTimer();
      if (this.outOfMemory && !this.stopping) {
        // Kubernetes reports a container killed for its memory limit as OOMKilled with exit code 137.
        this.failure = { reason: 'OOMKilled', message: `${this.outOfMemory}${this.tailText()}`, exitCode: code ?? 137 };
        this.outOfMemory = undefined;
      } else if (this.phase !== 'Failed' && !this.stopping) {
        const how = signal ? `signal ${signal}` : `code ${code}`;
        const wasReady = this.phase === 'Ready';
        this.failure = {
          reason: wasReady ? 'ContainerCrashed' : 'ContainerExited',
          message: `${this.container.component} container ${program} exited (${how}) ${wasReady ? 'while serving' : 'before it answered on its port'}${this.tailText()}`,
          exitCode: code,
        };
      } else if (this.failure) {
        this.failure.exitCode = code;
      }
      this.markExited();
    });
    this.port = undefined;
    this.grpcPortOnReady = servesGrpc ? grpcPort : undefined;
    this.setPhase('Loading');
    this.probe(httpPort);
  }

  /** Probes the port until it answers HTTP (any status but 503: a server with no V2 health route counts). */
  private probe(port: number): void {
    if (this.stopping || this.phase !== 'Loading') return;
    const req = request({ host: '127.0.0.1', port, path: '/v2/health/ready', method: 'GET', timeout: 1_000 }, (res) => {
      res.resume();
      if (res.statusCode !== 503 && this.phase === 'Loading' && !this.stopping) {
        this.port = port;
        this.grpcPort = this.grpcPortOnReady;
        this.setPhase('Ready');
      } else this.scheduleProbe(port);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => this.scheduleProbe(port));
    req.end();
  }

  private scheduleProbe(port: number): void {
    if (this.stopping || this.phase !== 'Loading') return;
    this.probeTimer = setTimeout(() => this.probe(port), PROBE_INTERVAL_MS);
  }

  private clearProbe(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private onLine(line: string): void {
    this.logs.append(line);
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  private tailText(): string {
    return this.tail.length ? `; last output: ${this.tail.join(' | ')}` : '; it printed nothing';
  }

  /** Set when the RSS watchdog killed it for its memory limit: the message of its OOMKilled failure. */
  private outOfMemory: string | undefined;

  /**
   * The replica manager's RSS watchdog found the container's process tree over `resources.limits.memory`:
   * killed now (the kernel's OOM killer in a cgroup would), recorded as OOMKilled, restarted with back-off.
   */
  killForMemory(rssBytes: number, limitBytes: number): void {
    if (this.stopping || this.outOfMemory || !this.child || this.child.exitCode !== null) return;
    const mib = (b: number) => `${Math.round(b / 2 ** 20)}Mi`;
    this.outOfMemory = `${this.container.component} container used ${mib(rssBytes)} of memory, over its limit resources.limits.memory = ${mib(limitBytes)}; it was killed and restarted (raise the limit)`;
    this.log.warn('container over its memory limit; killing', { replica: this.spec.key, rssBytes, limitBytes });
    this.killTree();
  }

  private fail(reason: string, message: string): void {
    if (this.phase === 'Failed' || this.stopping) return;
    this.failure = { reason, message };
    this.setPhase('Failed');
  }

  protected override timeoutFailure(): ReplicaFailure {
    const f = loadTimeoutFailure(this.spec);
    return {
      ...f,
      message: `${this.container.component} container never answered HTTP on its port (PORT=${this.httpPort}): ${f.message}${this.tailText()}`,
    };
  }

  protected abandonLoad(): void {
    this.clearProbe();
    this.log.warn('container did not open its port in time; killing', { replica: this.spec.key });
    this.killTree();
  }

  private killTree(signal: NodeJS.Signals = 'SIGKILL'): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal); // the process group (detached above)
    } catch {
      if (signal === 'SIGKILL') killTree(pid);
      else this.child?.kill(signal);
    }
  }

  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    this.clearProbe();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      if (this.phase !== 'Exited') this.markExited();
      return;
    }
    this.killTree('SIGTERM');
    const timer = setTimeout(() => {
      this.log.warn('container did not stop in time; killing', { replica: this.spec.key, graceMs });
      this.killTree('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * `docker|podman run` arguments for an engine container: KServe's 8080 published on the loopback port inferd
 * picked, the model mounted read-only at /mnt/models, env passed by name (values stay off the command line).
 */
export function engineArgs(c: ContainerSpec, env: Record<string, string>, httpPort: number): string[] {
  const engine = c.engine;
  if (!engine) return [];
  env.PORT = '8080';
  const names = Object.keys(env).filter((k) => !BASE_ENV_KEYS.includes(k) || k === 'PORT' || k in c.env);
  return [
    'run',
    '--rm',
    '--init',
    '-p',
    `127.0.0.1:${httpPort}:8080`,
    ...(engine.modelDir ? ['-v', `${engine.modelDir}:/mnt/models:ro`] : []),
    ...names.flatMap((k) => ['-e', k]),
    ...(c.workingDir ? ['-w', c.workingDir] : []),
    engine.image,
    ...c.argv,
  ];
}

/** Server env a custom command gets (so it resolves and runs as in a shell); never credentials. */
const BASE_ENV_KEYS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER'];

function pick(env: Record<string, string>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (env[k] !== undefined) out[k] = env[k] as string;
  return out;
}

/** `inferd` → node + this installation's CLI when no `inferd` is on PATH; a program not found → a problem. */
export function resolveProgram(
  argv: readonly string[],
  path: string,
): { argv: string[]; inferd: boolean } | { problem: string } {
  const [program, ...rest] = argv;
  if (!program) return { problem: 'the container has no command: set command (or map its image, docs/containers.md)' };
  const onPath = findOnPath(program, path);
  if (program === 'inferd') {
    // Always this installation: an older inferd elsewhere on PATH would not match these flags.
    return { argv: [process.execPath, INFERD_CLI, ...rest], inferd: true };
  }
  if (program === INFERD_MODEL_SERVER) {
    // A KServe model-server image mapped to inferd's own runtime (image-map.ts's built-ins).
    return { argv: [process.execPath, MODEL_SERVER_ENTRY, ...rest], inferd: true };
  }
  if (onPath === undefined) {
    return {
      problem: `command ${program} not found${program.includes('/') ? '' : ' on PATH'}: install it or give its absolute path in command`,
    };
  }
  return { argv: [program, ...rest], inferd: false };
}

function findOnPath(program: string, path: string): string | undefined {
  const executable = (f: string) => {
    try {
      accessSync(f, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return executable(program) ? program : undefined;
  for (const dir of path.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const f = join(dir, program);
    if (executable(f)) return f;
  }
  return undefined;
}

/** True when argv names `--flag` (as `--flag=v` or `--flag v`). */
export function hasFlag(argv: readonly string[], flag: string): boolean {
  return argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
}

/**
 * The container's argv with its port flags pointing at the ports inferd picked: a given `--http_port`/
 * `--grpc_port` value is replaced (KServe's 8080 cannot be every replica's locally), and, when `append`
 * (`appendGrpc` for gRPC), added where absent.
 */
export function withPortFlags(
  argv: readonly string[],
  httpPort: number,
  grpcPort: number,
  append: boolean,
  appendGrpc = append,
): string[] {
  const out = [...argv];
  const set = (flag: string, value: number, append: boolean) => {
    let found = false;
    for (let i = 1; i < out.length; i++) {
      if (out[i] === `--${flag}` && i + 1 < out.length) {
        out[i + 1] = String(value);
        found = true;
      } else if (out[i]?.startsWith(`--${flag}=`)) {
        out[i] = `--${flag}=${value}`;
        found = true;
      }
    }
    if (!found && append) out.push(`--${flag}=${value}`);
  };
  set('http_port', httpPort, append);
  // KServe's Python servers default to gRPC on 8081: a --grpc_port the args name gets a port of its own.
  set('grpc_port', grpcPort, appendGrpc);
  return out;
}

/** `n` distinct free loopback ports (held open together so they differ, then released). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((ok, fail) => {
          const s = createServer();
          s.once('error', fail);
          s.listen(0, '127.0.0.1', () => ok(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    return typeof a === 'object' && a ? a.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
