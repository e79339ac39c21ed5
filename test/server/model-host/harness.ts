// One model host started in-process for a test (the real main thread, real or fake workers), what it told
// inferd serve, and bounded waits on those messages. Stopped by the test's own `after`.

import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { silentLogger } from '../../../src/log.js';
import type { FromHost } from '../../../src/replica-protocol.js';
import { type RunningModelHost, startModelHost } from '../../../src/server/model-host/host.js';
import { parseReplicaArgs } from '../../../src/server/replica-args.js';
import { distDir } from '../../helpers/paths.js';

/** The test worker: echoes, or hangs / crashes / fails / allocates on request (fake-worker.ts). */
export const FAKE_WORKER = join(distDir, 'test', 'server', 'model-host', 'fake-worker.js');
/** The real model worker. */
export const REAL_WORKER = join(distDir, 'src', 'server', 'model-host', 'worker.js');

export interface TestHost {
  host: RunningModelHost;
  /** Every message the host sent to inferd serve, in order. */
  sent: FromHost[];
  /** The HTTP port the model is served on: its worker's own (from `model-ready`), else the host's (TrainedModels). */
  portOf(name: string): number;
  /** POSTs a V2 infer of [1, 2] (FP64) with `parameters` to the model. */
  infer(name: string, parameters?: object): Promise<Response>;
  /** Resolves with the first message `ok` accepts, waiting on the host's messages (bounded). */
  waitFor(ok: (m: FromHost) => boolean, timeoutMs?: number): Promise<FromHost>;
}

export async function startTestHost(
  t: TestContext,
  opts: { worker?: string; grpc?: boolean; args?: string[]; heartbeatMs?: number; hangTimeoutMs?: number } = {},
): Promise<TestHost> {
  const sent: FromHost[] = [];
  const waiters = new Set<() => void>();
  const host = await startModelHost(
    parseReplicaArgs([
      '--model_name=h',
      '--model_dir=-',
      '--http_port=0',
      ...(opts.grpc ? ['--grpc_port=0'] : ['--enable_grpc=false']),
      ...(opts.args ?? []),
    ]),
    {
      env: {},
      log: silentLogger,
      notify: async (m) => {
        sent.push(m as FromHost);
        for (const w of waiters) w();
      },
      workerEntry: opts.worker ?? FAKE_WORKER,
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.hangTimeoutMs ? { hangTimeoutMs: opts.hangTimeoutMs } : {}),
    },
  );
  t.after(() => host.close(1_000));
  const portOf = (name: string) => {
    const ready = sent.findLast((m) => m.type === 'model-ready' && m.modelName === name);
    return ready?.type === 'model-ready' && ready.port !== undefined ? ready.port : host.port;
  };
  return {
    host,
    sent,
    portOf,
    infer: (name, parameters) =>
      fetch(`http://127.0.0.1:${portOf(name)}/v2/models/${name}/infer`, {
        method: 'POST',
        body: JSON.stringify({
          inputs: [{ name: 'x', shape: [2], datatype: 'FP64', data: [1, 2] }],
          ...(parameters ? { parameters } : {}),
        }),
      }),
    waitFor: (ok, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = sent.find(ok);
          if (!m) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such host message within ${timeoutMs} ms; sent: ${JSON.stringify(sent)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
