// Shared by the model-server tests: an iris-like test model (no sklearn needed), a server on an
// ephemeral loopback port, and a raw HTTP client that keeps header order and exact body bytes.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { InferdError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { Model, ModelMetadata, PredictOptions, Tensor } from '../../src/runtimes/model.js';
import { ModelRepository } from '../../src/server/model-repository.js';
import { createModelServer } from '../../src/server/model-server.js';

export const SKLEARN_1D =
  'Expected 2D array, got 1D array instead:\narray=[].\nReshape your data either using array.reshape(-1, 1) ' +
  'if your data has a single feature or array.reshape(1, -1) if it contains a single sample.';

/**
 * Mimics KServe's iris SVC: rows of 4 features → INT64 class per row (a petal rule that gives class 1
 * for the capture's sample rows), with sklearn's error texts as INVALID_INPUT for bad shapes.
 */
export class IrisTestModel implements Model {
  readonly calls: { inputs: Tensor[]; opts: PredictOptions | undefined }[] = [];
  constructor(readonly name = 'sklearn-iris') {}

  metadata(): ModelMetadata {
    return { platform: '', inputs: [], outputs: [] };
  }

  predict(inputs: Tensor[], opts?: PredictOptions): Tensor[] {
    this.calls.push({ inputs, opts });
    const x = inputs[0]!;
    if (x.datatype === 'BYTES') {
      throw new InferdError('INVALID_INPUT', `could not convert string to float: '${(x.data as string[])[0]}'`);
    }
    if (x.shape.length !== 2) throw new InferdError('INVALID_INPUT', SKLEARN_1D);
    const [n, f] = x.shape as [number, number];
    if (n === 0) {
      throw new InferdError(
        'INVALID_INPUT',
        `Found array with 0 sample(s) (shape=(0, ${f})) while a minimum of 1 is required by SVC.`,
      );
    }
    if (f !== 4) {
      throw new InferdError('INVALID_INPUT', `X has ${f} features, but SVC is expecting 4 features as input.`);
    }
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const petalLength = Number(x.data[i * 4 + 2]);
      const petalWidth = Number(x.data[i * 4 + 3]);
      out[i] = petalLength < 2.5 ? 0n : petalWidth > 1.75 ? 2n : 1n;
    }
    return [{ name: 'output-0', datatype: 'INT64', shape: [n], data: out }];
  }
}

/** A model whose predict is given by the test. */
export function fnModel(name: string, predict: Model['predict'], metadata?: ModelMetadata): Model {
  return { name, predict, metadata: () => metadata ?? { platform: '', inputs: [], outputs: [] } };
}

export interface Started {
  port: number;
  server: http.Server;
  models: ModelRepository;
  agent: http.Agent;
}

/** Starts a model server on 127.0.0.1:0 serving `models`; closes it (and its client agent) after the test. */
export async function startServer(
  t: TestContext,
  models: Model[] = [new IrisTestModel()],
  opts: { maxBodyBytes?: number; maxBinaryBodyBytes?: number } = {},
): Promise<Started> {
  const repo = new ModelRepository();
  for (const m of models) repo.add(m);
  const server = createModelServer({ models: repo, log: silentLogger, ...opts });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  t.after(async () => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, server, models: repo, agent };
}

export interface Reply {
  status: number;
  /** Lower-cased header names in wire order. */
  headerNames: string[];
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body's exact bytes (binary-extension answers). */
  bodyBytes: Buffer;
}

/** One HTTP request; `headers` are sent exactly as given (no default Content-Type). */
export function request(
  s: Pick<Started, 'port' | 'agent'>,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, method, path, headers, agent: s.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headerNames: res.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase()),
          headers: res.headers,
          body: bytes.toString('utf8'),
          bodyBytes: bytes,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** Echoes every input back as an output of the same name, datatype, shape and data (binary round trips). */
export function identityModel(name = 'identity'): Model & { calls: number } {
  const m = {
    name,
    calls: 0,
    metadata: () => ({ platform: '', inputs: [], outputs: [] }),
    predict(inputs: Tensor[]): Tensor[] {
      m.calls++;
      return inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: t.data }));
    },
  };
  return m;
}

/**
 * A binary-extension request body as Triton's and KServe's clients build it: the JSON header, then each
 * buffer; returns the body and the `Inference-Header-Content-Length` header to send with it.
 */
export function binaryBody(
  header: unknown,
  buffers: readonly Buffer[] = [],
): { body: Buffer; headers: Record<string, string> } {
  const json = Buffer.from(JSON.stringify(header));
  return {
    body: Buffer.concat([json, ...buffers]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) },
  };
}

/** Splits a binary-extension answer into its JSON header and the raw bytes after it. */
export function splitBinaryReply(r: Reply): { header: Record<string, unknown>; rest: Buffer } {
  const n = Number(r.headers['inference-header-content-length']);
  return { header: JSON.parse(r.bodyBytes.subarray(0, n).toString('utf8')), rest: r.bodyBytes.subarray(n) };
}

/** POST with `Content-Type: application/json`. */
export const postJson = (s: Pick<Started, 'port' | 'agent'>, path: string, body: string) =>
  request(s, 'POST', path, body, JSON_HEADERS);
