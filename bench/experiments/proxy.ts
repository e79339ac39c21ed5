// A stand-in for inferd's gateway proxy (src/gateway/proxy.ts) with the transport and body handling as
// switches, to measure what each costs:
//   node dist/bench/experiments/proxy.js (tcp PORT | uds PATH) (pipe | buffer | raw)
// pipe: http.request + pipe() both ways (what src/gateway/proxy.ts does); buffer: http.request, bodies
// buffered and sent with end(body); raw: no http.request — a pool of keep-alive net.Sockets, the request
// head and body written in one go, the answer framed by its content-length with a minimal parser.
// inferd: src/gateway/proxy.ts's ReplicaProxy as it is (TCP only). coalesce: raw, plus the requests that
// arrive in one event-loop turn written together as one pipelined write on one upstream socket (a
// measurement of what fewer syscalls would buy; no failure handling, not what inferd does).
// inferd-nodirect: inferd with the direct-write shortcut off (writeHead + end for every answer).
// undici: undici's Pool (connections 256, pipelining 1) through its lowest-level `dispatch` API, the request
// body buffered as inferd buffers it, the answer's head filtered of hop-by-hop fields and the whole answer
// sent with writeHead + end (TCP only): what adopting undici for the gateway's replica client would cost.
// Prints {"port":N}. Not part of inferd; used by proxy-transport.ts.

import http from 'node:http';
import net from 'node:net';
import { Pool } from 'undici';
import { ReplicaProxy } from '../../src/gateway/proxy.js';

const [transport, target, mode] = process.argv.slice(2);
if (
  (transport !== 'tcp' && transport !== 'uds') ||
  !target ||
  !['pipe', 'buffer', 'raw', 'inferd', 'inferd-nodirect', 'coalesce', 'undici'].includes(mode ?? '')
) {
  process.stderr.write(
    'usage: proxy.js (tcp PORT | uds PATH) (pipe | buffer | raw | inferd | inferd-nodirect | coalesce | undici)\n',
  );
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, keepAliveMsecs: 10_000 });
const where = transport === 'tcp' ? { host: '127.0.0.1', port: Number(target) } : { socketPath: target };
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

// --- raw mode: one keep-alive socket per in-flight request, reused from an idle stack.
interface Pending {
  res: http.ServerResponse;
}
class RawConn {
  readonly sock: net.Socket;
  pending: Pending | undefined;
  private buf: Buffer | undefined;
  constructor(private readonly idle: RawConn[]) {
    this.sock = transport === 'tcp' ? net.connect(Number(target), '127.0.0.1') : net.connect(target!);
    if (transport === 'tcp') this.sock.setNoDelay(true);
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', () => this.fail());
    this.sock.on('close', () => this.fail());
  }
  private fail(): void {
    const i = this.idle.indexOf(this);
    if (i >= 0) this.idle.splice(i, 1);
    const p = this.pending;
    this.pending = undefined;
    if (p && !p.res.headersSent) p.res.writeHead(502).end();
  }
  private onData(d: Buffer): void {
    const buf = this.buf ? Buffer.concat([this.buf, d]) : d;
    const headEnd = buf.indexOf('\r\n\r\n');
    if (headEnd < 0) {
      this.buf = buf;
      return;
    }
    const head = buf.toString('latin1', 0, headEnd);
    const lines = head.split('\r\n');
    const status = Number(lines[0]!.slice(9, 12));
    const out: string[] = [];
    let length = 0;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const c = line.indexOf(':');
      const name = line.slice(0, c).toLowerCase();
      const value = line.slice(c + 1).trim();
      if (name === 'content-length') length = Number(value);
      if (!HOP.has(name)) out.push(name, value);
    }
    const total = headEnd + 4 + length;
    if (buf.length < total) {
      this.buf = buf;
      return;
    }
    this.buf = undefined;
    const p = this.pending!;
    this.pending = undefined;
    this.idle.push(this);
    p.res.writeHead(status, out);
    p.res.end(buf.subarray(headEnd + 4, total));
  }
}
const idle: RawConn[] = [];
function rawForward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i]!.toLowerCase())) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  head += '\r\n';
  const conn = idle.pop() ?? new RawConn(idle);
  conn.pending = { res };
  conn.sock.cork();
  conn.sock.write(head, 'latin1');
  conn.sock.write(body);
  conn.sock.uncork();
}

// --- coalesce mode: FIFO of answers per socket; one write per socket per event-loop turn.
class PipeConn {
  readonly sock: net.Socket;
  readonly queue: http.ServerResponse[] = [];
  private buf: Buffer | undefined;
  constructor() {
    this.sock = transport === 'tcp' ? net.connect(Number(target), '127.0.0.1') : net.connect(target!);
    if (transport === 'tcp') this.sock.setNoDelay(true);
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', () => {});
    this.sock.on('close', () => {
      for (const r of this.queue.splice(0)) if (!r.headersSent) r.writeHead(502).end();
    });
  }
  private onData(d: Buffer): void {
    let buf = this.buf ? Buffer.concat([this.buf, d]) : d;
    this.buf = undefined;
    for (;;) {
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd < 0) break;
      const lines = buf.toString('latin1', 0, headEnd).split('\r\n');
      const status = Number(lines[0]!.slice(9, 12));
      const out: string[] = [];
      let length = 0;
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i]!;
        const c = line.indexOf(':');
        const name = line.slice(0, c).toLowerCase();
        const value = line.slice(c + 1).trim();
        if (name === 'content-length') length = Number(value);
        if (!HOP.has(name)) out.push(name, value);
      }
      const total = headEnd + 4 + length;
      if (buf.length < total) break;
      const res = this.queue.shift()!;
      res.writeHead(status, out);
      res.end(buf.toString('latin1', headEnd + 4, total), 'latin1');
      buf = buf.subarray(total);
      if (this.queue.length === 0) free.push(this);
    }
    if (buf.length > 0) this.buf = buf;
  }
}
const free: PipeConn[] = [];
let batch: string[] = [];
let batchRes: http.ServerResponse[] = [];
let batchScheduled = false;
function flushBatch(): void {
  batchScheduled = false;
  for (let i = 0; i < batch.length; i += 16) {
    const conn = free.pop() ?? new PipeConn();
    conn.sock.write(batch.slice(i, i + 16).join(''), 'latin1');
    for (const r of batchRes.slice(i, i + 16)) conn.queue.push(r);
  }
  batch = [];
  batchRes = [];
}
function coalesceForward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i]!.toLowerCase())) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  batch.push(`${head}\r\n${body.toString('latin1')}`);
  batchRes.push(res);
  if (!batchScheduled) {
    batchScheduled = true;
    setImmediate(flushBatch);
  }
}

// --- undici mode: Pool.dispatch with a minimal handler that buffers the answer.
const undiciPool =
  mode === 'undici' ? new Pool(`http://127.0.0.1:${target}`, { connections: 256, pipelining: 1 }) : undefined;
function undiciForward(pool: Pool, req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const headers: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
  let status = 502;
  const out: string[] = [];
  const parts: Buffer[] = [];
  pool.dispatch(
    { path: req.url ?? '/', method: (req.method ?? 'GET') as 'GET', headers, body },
    {
      onConnect: () => {},
      onError: () => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      },
      onHeaders: (statusCode: number, rawHeaders: Buffer[]) => {
        status = statusCode;
        for (let i = 0; i < rawHeaders.length; i += 2) {
          const name = rawHeaders[i]!.toString('latin1');
          if (!HOP.has(name.toLowerCase())) out.push(name, rawHeaders[i + 1]!.toString('latin1'));
        }
        return true;
      },
      onData: (chunk: Buffer) => {
        parts.push(chunk);
        return true;
      },
      onComplete: () => {
        res.writeHead(status, out);
        res.end(parts.length === 1 ? parts[0] : Buffer.concat(parts));
      },
    },
  );
}

const inferd =
  mode === 'inferd' || mode === 'inferd-nodirect' ? new ReplicaProxy({ directWrite: mode === 'inferd' }) : undefined;
const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
  if (inferd) {
    inferd.forward(req, res, Number(target), req.url ?? '/');
    return;
  }
  if (undiciPool) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => undiciForward(undiciPool, req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    return;
  }
  if (mode === 'raw' || mode === 'coalesce') {
    const forward = mode === 'raw' ? rawForward : coalesceForward;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    return;
  }
  const headers: http.OutgoingHttpHeaders = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP.has(name)) headers[name] = raw[i + 1];
  }
  const upstream = http.request(
    { ...where, method: req.method, path: req.url, headers, agent, setHost: false },
    (up) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
      if (mode === 'pipe') {
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
        return;
      }
      // buffer: one res.end(body) → headers and body leave in one write
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        res.writeHead(up.statusCode ?? 502, out);
        res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      });
    },
  );
  if (transport === 'tcp') upstream.on('socket', (s) => s.setNoDelay(true));
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  if (mode === 'pipe') {
    req.pipe(upstream);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => upstream.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(
    `${JSON.stringify({ msg: 'proxy listening', port: typeof a === 'object' && a ? a.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => process.exit(0));
