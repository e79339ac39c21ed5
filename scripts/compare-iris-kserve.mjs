#!/usr/bin/env node
// Iris through three servers of the same SVC (probability=True): inferd's native runtime, inferd's Python fallback,
// and KServe 0.12.1's own sklearnserver (../shared/peers/run-kserve-sklearn.sh), for predict and predict_proba.
// Also compares the V1 response bytes of `inferd model-server` with KServe's.
//
//   npm run build && node scripts/compare-iris-kserve.mjs [--peer PATH] [--model DIR]
//
// Prints one JSON report and exits 0 when the classes are identical through all three, the fallback's
// probabilities equal KServe's bit for bit (both are scikit-learn), and the native ones are within 1e-9 relative.
// Every process it starts (KServe in its own process group, the model server, the Python worker) is stopped.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    peer: { type: 'string', default: resolve(root, '..', 'shared', 'peers', 'run-kserve-sklearn.sh') },
    model: { type: 'string', default: join(root, 'test', 'fixtures', 'sklearn', 'models', 'svc_proba_iris') },
    'ready-timeout-s': { type: 'string', default: '300' },
  },
});
const PEER = values.peer;
const MODEL_DIR = values.model;
const READY_TIMEOUT_MS = Number(values['ready-timeout-s']) * 1000;
if (!existsSync(PEER)) {
  process.stderr.write(`KServe peer script not found at ${PEER} (--peer PATH)\n`);
  process.exit(2);
}

const { sklearnRuntime } = await import(join(root, 'dist', 'src', 'runtimes', 'sklearn', 'index.js'));
const { withPythonFallback } = await import(join(root, 'dist', 'src', 'runtimes', 'python', 'index.js'));

const iris = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'sklearn', 'data', 'iris.json'), 'utf8')).X;
const input = { name: 'input-0', datatype: 'FP64', shape: [iris.length, 4], data: Float64Array.from(iris.flat()) };

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitReady(url, child, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before ready (${url})`);
    try {
      if ((await fetch(`${url}/v2/health/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not ready within ${deadlineMs} ms: ${url}`);
}

/** Starts a server in its own process group; resolves with its URL and a stop() that ends the group. */
async function startServer(command, args, env, label) {
  const port = await freePort();
  const grpcPort = await freePort();
  const child = spawn(command, [...args(port, grpcPort)], {
    detached: true, // setsid: its own process group, stopped as a whole
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let log = '';
  child.stdout.on('data', (d) => {
    log = (log + d).slice(-4000);
  });
  child.stderr.on('data', (d) => {
    log = (log + d).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 10_000);
    await once(child, 'exit');
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, child, READY_TIMEOUT_MS);
  } catch (err) {
    await stop();
    throw new Error(`${label}: ${err.message}\n${log}`);
  }
  return { url, stop };
}

async function v1(url, name) {
  const res = await fetch(`${url}/v1/models/${name}:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: iris }),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body}`);
  return body;
}

const values_ = (tensor) => Array.from(tensor.data);

async function main() {
  const report = { model: MODEL_DIR, rows: iris.length };
  const native = await sklearnRuntime.load({ name: 'svc', modelDir: MODEL_DIR });
  const fallback = await withPythonFallback(sklearnRuntime, { preferPython: true }).load({
    name: 'svc',
    modelDir: MODEL_DIR,
  });
  const started = [];
  try {
    report.python = fallback.info.worker;
    const proba = { parameters: { predict_proba: true } };
    const nat = { predict: values_(native.predict([input])[0]), proba: values_(native.predict([input], proba)[0]) };
    const fb = {
      predict: values_((await fallback.predict([input]))[0]),
      proba: values_((await fallback.predict([input], proba))[0]),
    };
    const kserve = {};
    const inferdBytes = {};
    for (const mode of ['predict', 'proba']) {
      const env = { MODEL_NAME: 'svc', PREDICT_PROBA: mode === 'proba' ? 'true' : 'false' };
      const peer = await startServer(
        'bash',
        (p, g) => [PEER, MODEL_DIR, String(p), String(g)],
        env,
        `KServe (${mode})`,
      );
      started.push(peer);
      const body = await v1(peer.url, 'svc');
      await peer.stop();
      kserve[mode] = { body, values: JSON.parse(body).predictions.flat() };
      const ours = await startServer(
        process.execPath,
        (p, g) => [
          join(root, 'dist', 'src', 'cli', 'main.js'),
          'model-server',
          '--model_name',
          'svc',
          '--model_dir',
          MODEL_DIR,
          '--http_port',
          String(p),
          '--grpc_port',
          String(g),
          '--http_host',
          '127.0.0.1',
        ],
        { PREDICT_PROBA: env.PREDICT_PROBA },
        `inferd model-server (${mode})`,
      );
      started.push(ours);
      inferdBytes[mode] = await v1(ours.url, 'svc');
      await ours.stop();
    }
    const equal = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
    let worst = 0;
    nat.proba.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - fb.proba[i]) / Math.abs(fb.proba[i]));
    });
    report.predict = {
      nativeEqualsFallback: equal(nat.predict, fb.predict),
      fallbackEqualsKServe: equal(fb.predict, kserve.predict.values),
      v1BytesInferdEqualsKServe: inferdBytes.predict === kserve.predict.body,
      kserveBody: kserve.predict.body.length > 120 ? `${kserve.predict.body.slice(0, 120)}...` : kserve.predict.body,
    };
    report.predictProba = {
      fallbackEqualsKServeBitForBit: equal(fb.proba, kserve.proba.values),
      nativeEqualsKServeBitForBit: equal(nat.proba, kserve.proba.values),
      nativeValuesDifferingFromKServe: nat.proba.filter((v, i) => v !== kserve.proba.values[i]).length,
      values: nat.proba.length,
      nativeMaxRelativeDifference: worst,
      v1BytesInferdEqualsKServe: inferdBytes.proba === kserve.proba.body,
    };
    report.ok =
      report.predict.nativeEqualsFallback &&
      report.predict.fallbackEqualsKServe &&
      report.predictProba.fallbackEqualsKServeBitForBit &&
      worst <= 1e-9;
  } finally {
    for (const s of started) await s.stop();
    await fallback.unload();
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}

await main();
