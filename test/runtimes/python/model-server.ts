// Runs `inferd model-server` (the CLI, as a user or a pod would) for tests: waits, bounded, for its "listening"
// log line or its exit, and stops it by SIGTERM in the end.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cliEntry } from '../../helpers/inferd.js';
import { repoRoot } from '../../helpers/paths.js';

export interface ModelServerProcess {
  proc: ChildProcess;
  /** The `model server listening` log record (host, port, grpcPort, ...). */
  listening: Record<string, unknown> | null;
  /** Exit code when it exited before listening. */
  exitCode: number | null;
  output(): string;
  stop(): Promise<number | null>;
}

export async function startModelServer(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; command?: 'model-server' | 'run' } = {},
): Promise<ModelServerProcess> {
  const proc = spawn(process.execPath, [cliEntry, opts.command ?? 'model-server', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let out = '';
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const listening = new Promise<Record<string, unknown>>((resolve) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('model server listening')) continue;
        resolve(JSON.parse(line) as Record<string, unknown>);
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), opts.timeoutMs ?? 60_000);
  });
  const first = await Promise.race([listening, exited, timeout]);
  clearTimeout(timer);
  if (first === 'timeout') {
    proc.kill('SIGKILL');
    throw new Error(`inferd ${opts.command ?? 'model-server'} did not start in time:\n${out}`);
  }
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
    }
    return proc.exitCode;
  };
  const isExit = Array.isArray(first);
  return {
    proc,
    listening: isExit ? null : (first as Record<string, unknown>),
    exitCode: isExit ? (first[0] ?? null) : null,
    output: () => out,
    stop,
  };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.text() };
}
