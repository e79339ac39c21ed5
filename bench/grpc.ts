// `grpc_vs_kserve`: V2 gRPC ModelInfer on iris through inferd's gateway against KServe's sklearnserver's
// own gRPC port, with h2load (Debian nghttp2-client): 4 connections × 4 streams, `-d` one framed
// ModelInferRequest, `content-type: application/grpc` and `te: trailers`. h2load counts HTTP statuses
// only, so a raw HTTP/2 call before and after each load checks the answer's grpc-status and message.

import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { join } from 'node:path';

/** A framed ModelInferRequest for sklearn-iris: input-0 FP32 [2, 4] in fp32_contents (hand-encoded protobuf). */
export function irisGrpcRequest(model = 'sklearn-iris'): Buffer {
  const str = (field: number, s: string) => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
  };
  const floats = Buffer.from(new Float32Array([6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6]).buffer);
  const contents = Buffer.concat([Buffer.from([(6 << 3) | 2, floats.length]), floats]);
  const input = Buffer.concat([
    str(1, 'input-0'),
    str(2, 'FP32'),
    Buffer.from([(3 << 3) | 2, 2, 2, 4]),
    Buffer.from([(5 << 3) | 2, contents.length]),
    contents,
  ]);
  const msg = Buffer.concat([str(1, model), Buffer.from([(5 << 3) | 2, input.length]), input]);
  const out = Buffer.alloc(5 + msg.length);
  out.writeUInt32BE(msg.length, 1);
  msg.copy(out, 5);
  return out;
}

export interface H2loadRun {
  rps: number;
  mean_ms: number;
  sd_ms: number;
  max_ms: number;
  requests: number;
  succeeded: number;
  failed: number;
  errored: number;
  status_2xx: number;
  /** 3xx + 4xx + 5xx answers (h2load's status counts include its warm-up). */
  status_other: number;
}

const toMs = (v: string): number => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
};

/** Parses h2load's summary (nghttp2 1.5x). */
export function parseH2load(out: string): H2loadRun {
  const rps = /finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(out);
  const req = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const time = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/.exec(out);
  if (!rps || !req || !codes || !time) throw new Error(`could not read h2load's output:\n${out.slice(-800)}`);
  return {
    rps: Number(rps[1]),
    mean_ms: toMs(time[3]!),
    sd_ms: toMs(time[4]!),
    max_ms: toMs(time[2]!),
    requests: Number(req[1]),
    succeeded: Number(req[2]),
    failed: Number(req[3]),
    errored: Number(req[4]),
    status_2xx: Number(codes[1]),
    status_other: Number(codes[2]) + Number(codes[3]) + Number(codes[4]),
  };
}

export function h2loadVersion(): string | undefined {
  const r = spawnSync('h2load', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function h2load(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => {
      out += c;
    });
    p.stderr.on('data', (c) => {
      out += c;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`h2load exited ${code}: ${out.slice(-500)}`));
    });
  });
}

/** One ModelInfer over raw HTTP/2; resolves with the grpc-status (trailers, or headers when trailers-only). */
export function grpcCallStatus(
  port: number,
  body: Buffer,
  timeoutMs = 10_000,
): Promise<{ status: string; bytes: number }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  return new Promise<{ status: string; bytes: number }>((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': '/inference.GRPCInferenceService/ModelInfer',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const timer = setTimeout(
      () => reject(new Error(`no gRPC answer on port ${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let status = '';
    let bytes = 0;
    req.on('response', (h) => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
    });
    req.on('trailers', (t) => {
      if (t['grpc-status'] !== undefined) status = String(t['grpc-status']);
    });
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('close', () => {
      clearTimeout(timer);
      resolve({ status, bytes });
    });
    req.end(body);
  }).finally(() => session.close());
}

export interface GrpcTarget {
  name: 'inferd-gateway' | 'kserve';
  port: number;
}

export interface GrpcCase extends H2loadRun {
  target: string;
  /** grpc-status of the sampled calls before and after the load ('0' each when fine). */
  sampled_status: string[];
  status: 'ok' | 'failed';
  note?: string;
}

export interface GrpcFigures {
  load: string;
  h2load: string;
  cases: GrpcCase[];
}

/** Runs the h2load case against each target (warm-up, then `durationS` measured). */
export async function measureGrpc(
  targets: GrpcTarget[],
  opts: { workDir: string; durationS: number; log: (s: string) => void },
): Promise<GrpcFigures> {
  const body = irisGrpcRequest();
  const file = join(opts.workDir, 'iris-grpc-request.bin');
  writeFileSync(file, body);
  const load = `h2load -c4 -m4 -t1 --warm-up-time=1 -D ${opts.durationS}, 1 framed ModelInferRequest (iris FP32 [2,4] in fp32_contents)`;
  const cases: GrpcCase[] = [];
  for (const t of targets) {
    const sampled: string[] = [];
    try {
      sampled.push((await grpcCallStatus(t.port, body)).status);
      const out = await h2load(
        [
          '-c4',
          '-m4',
          '-t1',
          '--warm-up-time=1',
          '-D',
          String(opts.durationS),
          '-d',
          file,
          '-H',
          'content-type: application/grpc',
          '-H',
          'te: trailers',
          `http://127.0.0.1:${t.port}/inference.GRPCInferenceService/ModelInfer`,
        ],
        (opts.durationS + 30) * 1000,
      );
      const run = parseH2load(out);
      sampled.push((await grpcCallStatus(t.port, body)).status);
      const fine =
        sampled.every((s) => s === '0') &&
        run.failed === 0 &&
        run.errored === 0 &&
        run.status_other === 0 &&
        run.succeeded === run.requests;
      cases.push({
        target: t.name,
        ...run,
        sampled_status: sampled,
        status: fine ? 'ok' : 'failed',
        ...(fine ? {} : { note: `grpc-status ${sampled.join(',')}, ${run.failed} failed, ${run.errored} errored` }),
      });
      opts.log(
        `  grpc ${t.name}: ${run.rps.toFixed(0)} calls/s, mean ${run.mean_ms.toFixed(2)} ms, grpc-status ${sampled.join('/')}`,
      );
    } catch (err) {
      const note = err instanceof Error ? err.message : String(err);
      opts.log(`  grpc ${t.name} failed: ${note}`);
      cases.push({
        target: t.name,
        rps: Number.NaN,
        mean_ms: Number.NaN,
        sd_ms: Number.NaN,
        max_ms: Number.NaN,
        requests: 0,
        succeeded: 0,
        failed: 0,
        errored: 0,
        status_2xx: 0,
        status_other: 0,
        sampled_status: sampled,
        status: 'failed',
        note,
      });
    }
  }
  return { load, h2load: h2loadVersion() ?? '', cases };
}

/** The gRPC ratios: inferd's gateway against KServe's gRPC port, and against inferd's own REST V2. */
export function grpcRatios(
  g: GrpcFigures | undefined,
  restV2GatewayRps: number | null | undefined,
): Record<string, number | null> {
  const ok = (name: string) => g?.cases.find((c) => c.target === name && c.status === 'ok');
  const inferd = ok('inferd-gateway');
  const kserve = ok('kserve');
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return {
    grpc_c4x4_rps_vs_kserve: inferd && kserve ? r3(inferd.rps / kserve.rps) : null,
    grpc_c4x4_mean_vs_kserve: inferd && kserve ? r3(inferd.mean_ms / kserve.mean_ms) : null,
    grpc_c4x4_vs_rest_v2_rps: inferd && restV2GatewayRps ? r3(inferd.rps / restV2GatewayRps) : null,
  };
}
