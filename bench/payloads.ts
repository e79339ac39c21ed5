// The request bodies the bench sends, and a check of each answer (a case whose answer is wrong is not
// measured). The 1 MiB FP32 tensor is [65536, 4] iris-like rows from a fixed-seed generator, sent as V2
// JSON or with the binary tensor data extension (`Inference-Header-Content-Length`).

import type { HttpReply } from './http-client.js';

export interface Payload {
  /** Short id used in case names: v1, v2, v2_1mib_json, v2_1mib_binary. */
  id: string;
  path: (model: string) => string;
  body: Buffer;
  headers: Record<string, string>;
  /** undefined when the reply is right; otherwise what is wrong. */
  check(reply: HttpReply): string | undefined;
}

export const IRIS_ROWS = [
  [6.8, 2.8, 4.8, 1.4],
  [6.0, 3.4, 4.5, 1.6],
];

function expectJson(reply: HttpReply, ok: (j: unknown) => boolean, want: string): string | undefined {
  if (reply.status !== 200) return `status ${reply.status}: ${reply.body.toString().slice(0, 300)}`;
  let j: unknown;
  try {
    j = JSON.parse(reply.body.toString());
  } catch {
    return `not JSON: ${reply.body.toString().slice(0, 300)}`;
  }
  return ok(j) ? undefined : `expected ${want}, got ${reply.body.toString().slice(0, 300)}`;
}

export const v1Iris: Payload = {
  id: 'v1',
  path: (m) => `/v1/models/${m}:predict`,
  body: Buffer.from(JSON.stringify({ instances: IRIS_ROWS })),
  headers: { 'Content-Type': 'application/json' },
  check: (r) => expectJson(r, (j) => JSON.stringify(j) === '{"predictions":[1,1]}', '{"predictions":[1,1]}'),
};

export const v2Iris: Payload = {
  id: 'v2',
  path: (m) => `/v2/models/${m}/infer`,
  body: Buffer.from(
    JSON.stringify({ inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: IRIS_ROWS }] }),
  ),
  headers: { 'Content-Type': 'application/json' },
  check: (r) =>
    expectJson(
      r,
      (j) => {
        const out = (j as { outputs?: Array<{ data?: unknown }> }).outputs?.[0];
        return JSON.stringify(out?.data) === '[1,1]';
      },
      'outputs[0].data [1,1]',
    ),
};

export const BIG_ROWS = 65_536; // × 4 features × 4 bytes = 1 MiB

/** Deterministic iris-like rows (xorshift32), one decimal like the iris data set, as float32. */
export function bigTensor(rows = BIG_ROWS): Float32Array {
  const lo = [4.3, 2.0, 1.0, 0.1];
  const hi = [7.9, 4.4, 6.9, 2.5];
  let s = 0x2545f491;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
  const out = new Float32Array(rows * 4);
  for (let i = 0; i < out.length; i++) {
    const f = i % 4;
    out[i] = Math.round((lo[f]! + next() * (hi[f]! - lo[f]!)) * 10) / 10;
  }
  return out;
}

function checkBigJson(rows: number) {
  return (r: HttpReply) =>
    expectJson(
      r,
      (j) => {
        const out = (j as { outputs?: Array<{ data?: unknown[]; shape?: number[] }> }).outputs?.[0];
        return Array.isArray(out?.data) && out.data.length === rows;
      },
      `outputs[0].data with ${rows} values`,
    );
}

export function bigJson(rows = BIG_ROWS): Payload {
  const t = bigTensor(rows);
  // One decimal per value: the text a client would send for this data (not float32's long expansion).
  const data = Array.from(t, (v) => Math.round(v * 10) / 10);
  const body = `{"inputs":[{"name":"input-0","shape":[${rows},4],"datatype":"FP32","data":${JSON.stringify(data)}}]}`;
  return {
    id: 'v2_1mib_json',
    path: (m) => `/v2/models/${m}/infer`,
    body: Buffer.from(body),
    headers: { 'Content-Type': 'application/json' },
    check: checkBigJson(rows),
  };
}

/** Splits a binary-extension reply into its JSON header and the raw bytes after it. */
export function splitBinaryReply(r: HttpReply): { header: unknown; raw: Buffer } | undefined {
  const len = Number(r.headers['inference-header-content-length']);
  if (!Number.isInteger(len) || len <= 0 || len > r.body.length) return undefined;
  try {
    return { header: JSON.parse(r.body.subarray(0, len).toString()), raw: r.body.subarray(len) };
  } catch {
    return undefined;
  }
}

export function bigBinary(rows = BIG_ROWS): Payload {
  const t = bigTensor(rows);
  const raw = Buffer.from(t.buffer, t.byteOffset, t.byteLength);
  const header = JSON.stringify({
    inputs: [{ name: 'input-0', shape: [rows, 4], datatype: 'FP32', parameters: { binary_data_size: raw.length } }],
    outputs: [{ name: 'output-0', parameters: { binary_data: true } }],
  });
  const headerBuf = Buffer.from(header);
  return {
    id: 'v2_1mib_binary',
    path: (m) => `/v2/models/${m}/infer`,
    body: Buffer.concat([headerBuf, raw]),
    headers: {
      'Content-Type': 'application/octet-stream',
      'Inference-Header-Content-Length': String(headerBuf.length),
    },
    check(r) {
      if (r.status !== 200) return `status ${r.status}: ${r.body.toString().slice(0, 300)}`;
      const split = splitBinaryReply(r);
      if (!split)
        return `no binary reply (inference-header-content-length missing): ${r.body.toString().slice(0, 300)}`;
      const out = (
        split.header as { outputs?: Array<{ datatype?: string; parameters?: { binary_data_size?: number } }> }
      ).outputs?.[0];
      const size = out?.parameters?.binary_data_size;
      const per = out?.datatype === 'INT64' || out?.datatype === 'FP64' ? 8 : 4;
      if (size !== rows * per || split.raw.length < size)
        return `binary output size ${size} (raw ${split.raw.length}), expected ${rows * per}`;
      return undefined;
    },
  };
}
