// The replica process: what `inferd serve` forks per replica and what a Kubernetes pod runs. KServe-style
// flags (replica-args.ts); lifecycle over IPC when forked (replica.ts); JSON log lines on stderr;
// SIGTERM/SIGINT or a vanished parent → graceful stop and exit 0 within 5 s. Runs when it is the process entry
// (forked by inferd serve), or when `inferd model-server` calls runModelServer.
//
// The process entry (the `isEntry()` block at the end, and runModelServer for `inferd model-server`) is the one
// place in server/ that reads process.env: it reads it once and passes it down as `env` (startReplica's and
// startModelHost's deps, the runtimes' processEnv). A standby's env is its own merged with the `load` message's.
//
// Standby (`--standby`, forked by inferd serve ahead of need): the modules are loaded, no model; it reports
// `{type:'standby'}` and waits for `{type:'load', args, env}` (args: the flags a cold replica gets; env: the
// service's runtime env, assigned before the model loads), then runs exactly as a cold replica would.

import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import type { ReplicaMessage, StandbyLoadMessage } from '../replica-protocol.js';
import { createRuntimeRegistry, defaultRuntimes } from '../runtimes/registry.js';
import { stopOnSignals } from './graceful-stop.js';
import { failureReason, type RunningReplica, startReplica } from './replica.js';
import { parseReplicaArgs, REPLICA_USAGE, type ReplicaConfig } from './replica-args.js';

const log = createLogger({ base: { component: 'model-server' } });

/** Sends over the fork IPC channel when there is one; never throws (a gone parent is not our error). */
function notify(msg: ReplicaMessage): Promise<void> {
  return new Promise((resolve) => {
    if (typeof process.send !== 'function' || !process.connected) {
      resolve();
      return;
    }
    try {
      process.send(msg, undefined, undefined, () => resolve());
    } catch {
      resolve(); // channel closed between the check and the send
    }
  });
}

/** The model host's flags are a replica's without a model (`--model_host` first; model-host/host.ts). */
async function mainModelHost(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let config: Readonly<ReplicaConfig>;
  try {
    config = parseReplicaArgs(['--model_name', 'model-host', '--model_dir', '-', ...argv]);
  } catch (err) {
    log.error('invalid arguments', { error: messageOf(err) });
    await notify({ type: 'state', state: 'Loading' });
    await notify({ type: 'failed', reason: failureReason(err), message: messageOf(err) });
    process.exit(1);
  }
  const { startModelHost } = await import('./model-host/host.js');
  let host: Awaited<ReturnType<typeof startModelHost>>;
  try {
    host = await startModelHost(config, { env, log, notify: notify as never });
  } catch {
    process.exit(1);
  }
  // Per model, one message at a time and in order (a load and an unload never interleave); models apart.
  const queues = new Map<string, Promise<void>>();
  process.on('message', (m: { type?: string; modelName?: unknown } | null) => {
    if ((m?.type !== 'load' && m?.type !== 'unload') || typeof m.modelName !== 'string') return;
    const name = m.modelName;
    const next = (queues.get(name) ?? Promise.resolve())
      .then(() => host.handle(m as never))
      .catch((err) => log.error('model host message failed', { model: name, error: messageOf(err) }))
      .finally(() => {
        if (queues.get(name) === next) queues.delete(name);
      });
    queues.set(name, next);
  });
  stopOnSignals({
    log,
    stoppingMessage: 'model host stopping',
    close: (graceMs) => host.close(graceMs),
    onParentDisconnect: true,
  });
}

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (argv[0] === '--model_host') return mainModelHost(argv.slice(1), env);
  let config: Readonly<ReplicaConfig>;
  try {
    config = parseReplicaArgs(argv);
  } catch (err) {
    log.error('invalid arguments', { error: messageOf(err) });
    // The contract is Loading, then ready or failed, even when there is nothing to load.
    await notify({ type: 'state', state: 'Loading' });
    await notify({ type: 'failed', reason: failureReason(err), message: messageOf(err) });
    process.exit(1);
  }
  let running: RunningReplica;
  try {
    running = await startReplica(config, {
      registry: createRuntimeRegistry(defaultRuntimes({ processEnv: env })),
      env,
      log: log.child({ model: config.modelName }),
      notify,
    });
  } catch {
    process.exit(1); // startReplica logged and reported the failure
  }

  stopOnSignals({
    log,
    stoppingMessage: 'model server stopping',
    close: (graceMs) => running.close(graceMs),
    closeFailedMessage: 'model unload failed',
    onParentDisconnect: true,
  });
}

/** Reports `standby` and resolves with the first `load` message; exits 0 on SIGTERM/SIGINT or parent gone. */
function waitForLoad(): Promise<StandbyLoadMessage> {
  return new Promise((resolve) => {
    const quit = () => process.exit(0);
    const onMessage = (m: unknown) => {
      const msg = m as Partial<StandbyLoadMessage> | null;
      if (!msg || msg.type !== 'load' || !Array.isArray(msg.args)) return;
      process.off('message', onMessage);
      process.off('SIGTERM', quit);
      process.off('SIGINT', quit);
      process.off('disconnect', quit);
      resolve({ type: 'load', args: msg.args.map(String), env: msg.env ?? {} });
    };
    process.on('message', onMessage);
    process.on('SIGTERM', quit);
    process.on('SIGINT', quit);
    process.on('disconnect', quit);
    if (typeof process.send === 'function' && process.connected) process.send({ type: 'standby' });
    else quit(); // a standby without a parent has nobody to wait for
  });
}

async function standby(env: NodeJS.ProcessEnv): Promise<void> {
  const load = await waitForLoad();
  // The service's env over the standby's own, as a cold fork's env would be: passed down, never written into
  // process.env (the Python worker gets it as the runtimes' processEnv).
  await main(load.args, { ...env, ...load.env });
}

const MODEL_SERVER_NOTES = `
inferd model-server listens on 0.0.0.0 unless --http_host says otherwise, as KServe's sklearnserver, xgbserver
and lgbserver do; replicas started by inferd serve listen on 127.0.0.1.
Environment: PREDICT_PROBA=true answers with predict_proba (sklearn); INFERD_PYTHON=PATH or off picks or turns
off the Python fallback for scikit-learn models the native runtime does not implement.
`;

export interface ModelServerOptions {
  /** Where to listen when argv has no --http_host (replica-args' default otherwise). */
  defaultHttpHost?: string;
}

/** Runs the model server with `argv` (its flags only); `--help` prints them. The process stays up until stopped. */
export function runModelServer(argv: readonly string[], opts: ModelServerOptions = {}): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(REPLICA_USAGE + MODEL_SERVER_NOTES);
    return;
  }
  const hasHost = argv.some((a) => a === '--http_host' || a.startsWith('--http_host='));
  const args = opts.defaultHttpHost && !hasHost ? ['--http_host', opts.defaultHttpHost, ...argv] : [...argv];
  main(args, process.env).catch((err) => {
    log.error('model server crashed', { error: messageOf(err), stack: (err as Error)?.stack });
    process.exit(1);
  });
}

/** True when this file is the process entry (forked by inferd serve, or run with node). */
function isEntry(): boolean {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntry()) {
  if (process.argv[2] === '--standby') {
    standby(process.env).catch((err) => {
      log.error('model server crashed', { error: messageOf(err), stack: (err as Error)?.stack });
      process.exit(1);
    });
  } else runModelServer(process.argv.slice(2));
}
