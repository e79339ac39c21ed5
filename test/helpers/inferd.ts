// Starts a real `inferd serve` on 127.0.0.1 with a free port and a temporary state dir, for end-to-end tests.
// Every wait is bounded; the process (and, through it, its replicas) is stopped when the test ends.

import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distDir, repoRoot } from './paths.js';

export const cliEntry = join(distDir, 'src', 'cli', 'main.js');

export interface Inferd {
  url: string;
  port: number;
  stateDir: string;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit (bounded); an inferd that needs SIGKILL after 10 s fails the test file. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill9(): Promise<void>;
}

export function tempStateDir(prefix = 'inferd-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startInferd(
  opts: {
    stateDir?: string;
    args?: string[];
    timeoutMs?: number;
    /** Extra env for the server (e.g. STORAGE_EMULATOR_HOST); on top of this process's env. */
    env?: Record<string, string>;
  } = {},
): Promise<Inferd> {
  const stateDir = opts.stateDir ?? tempStateDir();
  const proc = spawn(process.execPath, [cliEntry, 'serve', '--port', '0', '--state', stateDir, ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Relative storageUris in examples/ resolve against the server's working directory: the repository root.
    cwd: repoRoot,
    env: { ...process.env, INFERD_LOG_LEVEL: 'warn', ...opts.env },
  });
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  let scheme = 'http';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`inferd did not start in time:\n${out}`)),
      opts.timeoutMs ?? 20_000,
    );
    const onData = () => {
      const m = /inferd listening on (https?):\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        scheme = m[1]!;
        resolve(Number(m[2]));
      }
    };
    proc.stdout?.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`inferd exited with ${code} before listening:\n${out}`));
    });
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const waitExit = async (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      exited,
      new Promise<void>((r) => {
        timer = setTimeout(r, ms);
      }),
    ]);
    clearTimeout(timer);
  };
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    stateDir,
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await waitExit(10_000);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      // A server that ignores SIGTERM is one Kubernetes or systemd kills at the end of its grace period:
      // a shutdown bug, not something to paper over here. It fails the test file (its exit code) instead of
      // throwing, so the caller's cleanup after stop() (other servers, folders) still runs.
      proc.kill('SIGKILL');
      await waitExit(2_000);
      process.exitCode = 1;
      process.stderr.write(`inferd did not exit within 10 s of SIGTERM (killed); its output:\n${out.slice(-4000)}\n`);
    },
    async kill9() {
      proc.kill('SIGKILL');
      await waitExit(5_000);
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `inferd` CLI against a server. */
export function runCli(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cliEntry, ...args],
      { timeout: opts.timeoutMs ?? 60_000, env: { ...process.env, INFERD_SERVER: '' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Polls the control API until the InferenceService's Ready condition is `want` (bounded). */
export async function waitForCondition(
  baseUrl: string,
  namespace: string,
  name: string,
  want: 'True' | 'False',
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const res = await fetch(
      `${baseUrl}/apis/serving.kserve.io/v1beta1/namespaces/${namespace}/inferenceservices/${name}`,
    );
    if (res.ok) {
      const obj = (await res.json()) as { status?: { conditions?: { type: string; status: string }[] } };
      last = obj;
      if (obj.status?.conditions?.find((c) => c.type === 'Ready')?.status === want)
        return obj as Record<string, unknown>;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${namespace}/${name} did not reach Ready=${want} in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

/** POST with curl's `-d` semantics (form-urlencoded content type). */
export async function curlPost(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** A raw HTTP request with node:http (fetch cannot set Host). */
export function httpRequest(opts: {
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
}): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: opts.port,
        path: opts.path,
        method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
        headers: opts.headers,
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), headers: res.headers }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${opts.path} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** POSTs `body` as JSON to the control API path and asserts 201 Created (the answer's text on failure). */
export async function createObject(baseUrl: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.text());
}
