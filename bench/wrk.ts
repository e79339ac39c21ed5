// Drives one target with Debian's `wrk` and reads back its figures. The Lua script sets the POST body
// (read from a file, so 1 MiB bodies work) and headers, and prints one `WRKJSON {...}` line from wrk's
// `done()` hook with exact percentiles; the human-readable `--latency` text is parsed as a fallback.
// `parseWrkOutput` and `luaScript` are pure (unit-tested in test/bench/).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface WrkResult {
  requests: number;
  durationS: number;
  rps: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses that were not 2xx/3xx. */
  non2xx: number;
  /** connect + read + write + timeout socket errors. */
  socketErrors: number;
  timeouts: number;
  /** Where the figures came from: the Lua `done()` JSON line, or wrk's text. */
  source: 'lua' | 'text';
}

const TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `1.23ms` / `345.00us` / `2.00s` → milliseconds; NaN when it does not parse. */
export function parseDurationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) return Number.NaN;
  return Number(m[1]) * TIME_UNITS_MS[m[2]!]!;
}

/** Parses wrk's stdout. Prefers the `WRKJSON` line that bench's Lua script prints; falls back to the text. */
export function parseWrkOutput(stdout: string): WrkResult {
  const json = /^WRKJSON (\{.*\})\s*$/m.exec(stdout);
  if (json) {
    const j = JSON.parse(json[1]!) as Record<string, number>;
    const durationS = j.duration_us! / 1e6;
    return {
      requests: j.requests!,
      durationS,
      rps: durationS > 0 ? j.requests! / durationS : 0,
      meanMs: j.lat_mean_us! / 1000,
      p50Ms: j.p50_us! / 1000,
      p90Ms: j.p90_us! / 1000,
      p99Ms: j.p99_us! / 1000,
      maxMs: j.lat_max_us! / 1000,
      non2xx: j.status_errors!,
      socketErrors: j.connect_errors! + j.read_errors! + j.write_errors! + j.timeout_errors!,
      timeouts: j.timeout_errors!,
      source: 'lua',
    };
  }
  const req = /^\s*(\d+) requests in ([\d.]+(?:us|ms|s|m|h)),/m.exec(stdout);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(stdout);
  if (!req || !rps) throw new Error(`wrk output has no request count:\n${stdout.slice(0, 2000)}`);
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout);
    return m ? parseDurationMs(m[1]!) : Number.NaN;
  };
  const lat = /^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(stdout);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  const socketCounts = sock ? sock.slice(1, 5).map(Number) : [0, 0, 0, 0];
  return {
    requests: Number(req[1]),
    durationS: parseDurationMs(req[2]!) / 1000,
    rps: Number(rps[1]),
    meanMs: lat ? parseDurationMs(lat[1]!) : Number.NaN,
    p50Ms: pct('50'),
    p90Ms: pct('90'),
    p99Ms: pct('99'),
    maxMs: lat ? parseDurationMs(lat[3]!) : Number.NaN,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socketCounts.reduce((a, b) => a + b, 0),
    timeouts: socketCounts[3]!,
    source: 'text',
  };
}

/** A Lua string literal (long-bracket form that cannot be closed by the content). */
function luaString(s: string): string {
  let eq = '=';
  while (s.includes(`]${eq}]`)) eq += '=';
  return `[${eq}[${s}]${eq}]`;
}

/** The wrk script: POST `bodyFile` with `headers`; prints the WRKJSON summary line when done. */
export function luaScript(bodyFile: string, headers: Record<string, string>): string {
  const lines = [
    'wrk.method = "POST"',
    `local f = assert(io.open(${luaString(bodyFile)}, "rb"))`,
    'wrk.body = f:read("*a")',
    'f:close()',
  ];
  for (const [k, v] of Object.entries(headers)) lines.push(`wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`);
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeout_errors":%d,"lat_mean_us":%.3f,"lat_max_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d}\\n\',',
    '    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99)))',
    'end',
    '',
  );
  return lines.join('\n');
}

export const WRK_BIN = '/usr/bin/wrk';

/** Makes sure wrk is there: installs Debian's package when it is missing (needs root). */
export function ensureWrk(log: (msg: string) => void): string {
  if (existsSync(WRK_BIN)) return WRK_BIN;
  log('wrk is missing: apt-get install wrk');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 180_000 });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'wrk'], {
    stdio: 'ignore',
    env,
    timeout: 300_000,
  });
  if (r.status !== 0 || !existsSync(WRK_BIN)) throw new Error('could not install wrk (apt-get install wrk failed)');
  return WRK_BIN;
}

export interface WrkRun {
  url: string;
  scriptFile: string;
  connections: number;
  durationS: number;
  threads?: number;
  timeoutS?: number;
}

/** Runs wrk to completion (bounded: duration + 30 s) and returns its stdout. */
export function runWrk(opts: WrkRun, track?: (pid: number, done: Promise<void>) => void): Promise<string> {
  const threads = opts.threads ?? 1;
  const args = [
    `-t${Math.min(threads, opts.connections)}`,
    `-c${opts.connections}`,
    `-d${Math.max(1, Math.round(opts.durationS))}s`, // wrk takes whole seconds
    `--timeout`,
    `${opts.timeoutS ?? 10}s`,
    '--latency',
    '-s',
    opts.scriptFile,
    opts.url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(WRK_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (opts.durationS + 30) * 1000);
    const done = new Promise<void>((r) => child.once('close', () => r()));
    if (child.pid !== undefined) track?.(child.pid, done);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`wrk exited with ${code ?? signal}: ${err.trim()}\n${out}`));
    });
  });
}
