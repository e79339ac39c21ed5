// What the transport under the transformer hop costs on this machine (issue 15): one loopback round trip of an
// iris-size V1 request between two processes, over TCP and over a Unix-domain socket, answered by node:http
// (writeHead + end, as the model server answers) or by a bare `net` server (hand-parsed head, one write). The
// client is a raw socket with one write per request, like the SDK's direct client. Sequential requests, the
// four cases interleaved, median per case and round. The differences say what a Unix socket between
// transformer and replica, or a hand-written HTTP server, could take off each leg of the hop.
//
//   npx tsc -b && node dist/bench/hop-loopback.js [--requests 3000] [--rounds 3]

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BODY = JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] });
const ANSWER = '{"predictions":[1]}';
const CASES = ['http-tcp', 'http-unix', 'net-tcp', 'net-unix'] as const;
type Case = (typeof CASES)[number];
type Address = { host: string; port: number } | { path: string };

function httpServer(): net.Server {
  const s = http.createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.sendDate = false;
      res.writeHead(200, [
        'date',
        new Date().toUTCString(),
        'server',
        'inferd',
        'content-length',
        String(ANSWER.length),
        'content-type',
        'application/json',
      ]);
      res.end(ANSWER);
    });
  });
  s.keepAliveTimeout = 65_000;
  return s;
}

/** Only for this measurement: trusts its one client (no limits, no Transfer-Encoding). */
function netServer(): net.Server {
  return net.createServer({ noDelay: true }, (socket) => {
    let buf = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.slice(end + 4 + length);
        socket.write(
          `HTTP/1.1 200 OK\r\ndate: ${new Date().toUTCString()}\r\nserver: inferd\r\ncontent-length: ${ANSWER.length}\r\ncontent-type: application/json\r\n\r\n${ANSWER}`,
        );
      }
    });
  });
}

/** The server side, in its own process: listens and sends its address to the parent. */
function serve(kind: Case, dir: string): void {
  const server = kind.startsWith('http') ? httpServer() : netServer();
  const done = () => {
    const a = server.address();
    process.send?.(typeof a === 'string' ? { path: a } : { host: '127.0.0.1', port: (a as AddressInfo).port });
  };
  if (kind.endsWith('tcp')) server.listen(0, '127.0.0.1', done);
  else server.listen(join(dir, `${kind}.sock`), done);
  process.on('disconnect', () => process.exit(0));
}

function client(addr: Address): Promise<{ once(): Promise<number>; close(): void }> {
  const socket = net.connect(addr as net.NetConnectOpts);
  if ('port' in addr) socket.setNoDelay(true);
  socket.setEncoding('latin1');
  const request = `POST /v1/models/iris:predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`;
  let buf = '';
  let answered: (() => void) | undefined;
  socket.on('data', (chunk: string) => {
    buf += chunk;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const length = Number(/content-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
    if (buf.length < end + 4 + length) return;
    buf = '';
    const a = answered;
    answered = undefined;
    a?.();
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        once: () =>
          new Promise<number>((r) => {
            const t0 = performance.now();
            answered = () => r(performance.now() - t0);
            socket.write(request, 'latin1');
          }),
        close: () => socket.destroy(),
      }),
    );
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { requests: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '3' } },
  });
  const dir = mkdtempSync(join(tmpdir(), 'inferd-loopback-'));
  const self = fileURLToPath(import.meta.url);
  const children = CASES.map((kind) => fork(self, ['--serve', kind, dir], { stdio: 'inherit' }));
  try {
    const clients = await Promise.all(
      children.map(async (child) => client(await new Promise<Address>((r) => child.once('message', r)))),
    );
    for (let i = 0; i < 300; i++) for (const c of clients) await c.once();
    const rounds: Record<Case, number>[] = [];
    for (let r = 0; r < Number(values.rounds); r++) {
      const load = loadavg()[0]!;
      const times = CASES.map(() => [] as number[]);
      for (let i = 0; i < Number(values.requests); i++) {
        for (let k = 0; k < CASES.length; k++) {
          const j = (i + k) % CASES.length;
          times[j]!.push(await clients[j]!.once());
        }
      }
      const m = Object.fromEntries(CASES.map((c, j) => [c, Math.round(median(times[j]!) * 1000) / 1000])) as Record<
        Case,
        number
      >;
      rounds.push(m);
      process.stderr.write(`round ${r} (load ${load.toFixed(1)}): ${JSON.stringify(m)}\n`);
    }
    const med = Object.fromEntries(CASES.map((c) => [c, median(rounds.map((m) => m[c]))])) as Record<Case, number>;
    const ms = (x: number) => Math.round(x * 1000) / 1000;
    process.stdout.write(
      `${JSON.stringify({
        case: 'hop_loopback_ms',
        median_of_rounds: med,
        unix_vs_tcp_ms: { http: ms(med['http-unix'] - med['http-tcp']), net: ms(med['net-unix'] - med['net-tcp']) },
        net_vs_http_ms: { tcp: ms(med['net-tcp'] - med['http-tcp']), unix: ms(med['net-unix'] - med['http-unix']) },
      })}\n`,
    );
    for (const c of clients) c.close();
  } finally {
    for (const child of children) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') serve(process.argv[3] as Case, process.argv[4] as string);
else
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
