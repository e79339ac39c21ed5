#!/usr/bin/env node
// The `inferd` command: finds the subcommand (global flags may come first, as in `inferd -n ns get isvc`)
// and runs it. Client commands load lazily and talk only HTTP; `serve` and `model-server` are imported
// only when asked for, so `inferd get` never loads SQLite or a model runtime.

import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { suggest } from '../api/suggest.js';
import { messageOf } from '../errors.js';
import { isValueFlag } from './flags.js';
import { COMMANDS, commandHelp, mainHelp } from './help.js';
import type { CliIo } from './io.js';

export type CommandRunner = (argv: readonly string[], io: CliIo) => Promise<number>;

const loadVersion = async (): Promise<CommandRunner> => (await import('./commands/version.js')).runVersion;

/** Client commands, each loaded on first use. */
export const CLIENT_COMMANDS: Record<string, () => Promise<CommandRunner>> = {
  apply: async () => (await import('./commands/apply.js')).runApply,
  get: async () => (await import('./commands/get.js')).runGet,
  describe: async () => (await import('./commands/describe.js')).runDescribe,
  delete: async () => (await import('./commands/delete.js')).runDelete,
  rollout: async () => (await import('./commands/rollout.js')).runRollout,
  wait: async () => (await import('./commands/wait.js')).runWait,
  logs: async () => (await import('./commands/logs.js')).runLogs,
  version: loadVersion,
  kubeconfig: async () => (await import('./commands/kubeconfig.js')).runKubeconfig,
  token: async () => (await import('./commands/token.js')).runToken,
  crds: async () => (await import('./commands/crds.js')).runCrds,
};

/** Splits argv into the subcommand and everything else (global flags before it are kept, in order). */
export function splitCommand(argv: readonly string[]): { command?: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!; // i < argv.length
    if (a === '--') break;
    if (a.startsWith('-') && a !== '-') {
      if (isValueFlag(a)) i++; // skip the flag's value: `-n ns get` must not read "ns" as the command
      continue;
    }
    return { command: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: [...argv] };
}

function unknownCommand(io: CliIo, command: string): number {
  const all = [...Object.keys(COMMANDS), 'help'];
  const close = suggest(command, all);
  let text = `error: unknown command "${command}" for "inferd"\n`;
  if (close) text += `\nDid you mean this?\n\t${close}\n`;
  io.stderr.write(`${text}\nRun 'inferd --help' for usage.\n`);
  return 1;
}

/**
 * Runs `inferd ARGV`. Resolves to the exit code, or undefined when the command (model-server, run) keeps
 * running on its own and sets the exit code itself.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number | undefined> {
  const { command, rest } = splitCommand(argv);
  if (!command) {
    if (rest.includes('--version')) return (await loadVersion())(['--client'], io);
    const wantsHelp = rest.length === 0 || rest.includes('--help') || rest.includes('-h');
    (wantsHelp ? io.stdout : io.stderr).write(mainHelp());
    return wantsHelp ? 0 : 1;
  }
  if (command === 'help') {
    const topic = rest.find((a) => !a.startsWith('-'));
    if (topic && !COMMANDS[topic]) return unknownCommand(io, topic);
    // A command prints its own help, from the flag specs it parses with.
    if (topic && (topic === 'serve' || CLIENT_COMMANDS[topic])) return main([topic, '--help'], io);
    io.stdout.write(topic ? commandHelp(topic) : mainHelp());
    return 0;
  }
  if (command === 'serve') {
    const { runServe } = await import('./commands/serve.js');
    return runServe(rest);
  }
  if (command === 'run') {
    const { runRun } = await import('./commands/run.js');
    return runRun(rest, io);
  }
  if (command === 'operator' || command === 'gateway' || command === 'storage-initializer') {
    const cluster = await import('./commands/cluster.js');
    if (command === 'operator') return cluster.runOperator(rest, io);
    if (command === 'gateway') return cluster.runGateway(rest, io);
    return cluster.runStorageInitializer(rest, io);
  }
  if (command === 'model-server') {
    // KServe's model servers listen on all interfaces; so does this one when run on its own (in a pod, say).
    const { runModelServer } = await import('../server/main.js');
    runModelServer(rest, { defaultHttpHost: '0.0.0.0' });
    return undefined;
  }
  const load = CLIENT_COMMANDS[command];
  if (!load) return unknownCommand(io, command);
  return (await load())(rest, io);
}

/** True when this file is the process entry (also through npm's bin symlink). */
function isEntry(): boolean {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntry()) {
  // `inferd get isvc | head` closes stdout early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin };
  main(process.argv.slice(2), io).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${messageOf(err)}\n`);
      process.exitCode = 1;
    },
  );
}
