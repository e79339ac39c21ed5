// Per replica port a bounded pool of keep-alive sockets and a queue of requests waiting for one.
//
//   dispatch(ex) ──► idle socket? ──yes──► conn.start(ex)
//                      │no
//                      ▼
//                 open < maxSocketsPerPort? ──yes──► new Conn ──► conn.start(ex)
//                      │no
//                      ▼
//                 queued < maxQueuedPerPort? ──no──► 503
//                      │yes
//                      ▼
//   waiters: [ done | done | ex | ex | ex ]   nextWaiter() skips exchanges already done (client gone);
//                      ▲head                 the consumed prefix is spliced off once it is > 1024 and
//                                            more than half of the array (amortised O(1) shift).
//
//   release(conn) ──► reusable? ──no──► destroy ──► closedConn: its slot goes to the next waiter
//                      │yes
//                      ▼
//                 next waiter? ──yes──► conn.start(next)
//                      │no
//                      ▼
//                 idle.length < maxIdlePerPort? ──yes──► idle.push(conn)   (else destroy)
//
// Idle sockets are swept every idleTimeoutMs/2: one idle since the previous sweep is closed, so each idle
// socket lives between T/2 and T unused.

import { Conn } from './connection.js';
import type { Exchange } from './exchange.js';
import type { ProxyCounters, ProxyStats, ReplicaProxyOptions, Required_ } from './options.js';
import type { BodyWatcher } from './request-body.js';

export class Pool {
  readonly idle: Conn[] = [];
  readonly all = new Set<Conn>();
  readonly waiters: Exchange[] = [];
  private head = 0;
  open = 0;
  constructor(readonly port: number) {}

  queued(): number {
    return this.waiters.length - this.head;
  }

  nextWaiter(): Exchange | undefined {
    while (this.head < this.waiters.length) {
      const ex = this.waiters[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters.splice(0, this.head);
        this.head = 0;
      }
      if (!ex.done) return ex;
    }
    this.waiters.length = 0;
    this.head = 0;
    return undefined;
  }
}

/** The pools of all replica ports, and what their sockets and exchanges share (options, counters, bodies). */
export class ReplicaPools {
  private readonly pools = new Map<number, Pool>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly options: Required_<ReplicaProxyOptions>,
    readonly counters: ProxyCounters,
    readonly bodies: BodyWatcher,
    /** Whole small answers go through direct-write.ts (the option, and the self-check passed). */
    readonly directWrite: boolean,
  ) {}

  /** Finds a socket for `ex`: an idle one, a new one, or a place in the queue. */
  dispatch(ex: Exchange): void {
    if (this.closed) {
      ex.fail(new Error('the gateway is shutting down'), false);
      return;
    }
    let pool = this.pools.get(ex.port);
    if (!pool) {
      pool = new Pool(ex.port);
      this.pools.set(ex.port, pool);
      this.startSweeper();
    }
    const idle = pool.idle.pop();
    if (idle) {
      idle.start(ex);
      return;
    }
    if (pool.open < this.options.maxSocketsPerPort) {
      this.connect(pool).start(ex);
      return;
    }
    if (pool.queued() >= this.options.maxQueuedPerPort) {
      ex.reply(503, `too many requests waiting for the model server on port ${ex.port}`);
      return;
    }
    pool.waiters.push(ex);
  }

  /** A socket finished an exchange and may be reused. */
  release(conn: Conn): void {
    const pool = conn.pool;
    if (this.closed || !conn.reusable()) {
      conn.sock.destroy();
      return;
    }
    const next = pool.nextWaiter();
    if (next) {
      conn.start(next);
      return;
    }
    if (pool.idle.length >= this.options.maxIdlePerPort) {
      conn.sock.destroy();
      return;
    }
    pool.idle.push(conn);
  }

  /** A socket closed: its slot may go to a waiting request. */
  closedConn(conn: Conn): void {
    const pool = conn.pool;
    pool.open--;
    pool.all.delete(conn);
    const i = pool.idle.indexOf(conn);
    if (i >= 0) pool.idle.splice(i, 1);
    if (this.closed) return;
    const next = pool.nextWaiter();
    if (next) this.connect(pool).start(next);
    else if (pool.open === 0 && this.pools.get(pool.port) === pool) this.pools.delete(pool.port);
  }

  /** Closes the idle sockets to `port` (a replica that moved to another port or stopped). */
  dropIdle(port: number): void {
    const pool = this.pools.get(port);
    if (!pool) return;
    for (const c of pool.idle.splice(0)) c.sock.destroy();
  }

  ports(): ProxyStats['ports'] {
    const ports: ProxyStats['ports'] = {};
    for (const [port, p] of this.pools) ports[port] = { open: p.open, idle: p.idle.length, queued: p.queued() };
    return ports;
  }

  close(): void {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const pool of this.pools.values()) {
      for (const ex of pool.waiters) ex.fail(new Error('the gateway is shutting down'), false);
      pool.waiters.length = 0;
      for (const c of [...pool.all]) c.sock.destroy();
    }
    this.pools.clear();
  }

  private connect(pool: Pool): Conn {
    this.counters.connects++;
    pool.open++;
    const conn = new Conn(this, pool);
    pool.all.add(conn);
    return conn;
  }

  /** Closes sockets idle since the previous sweep: each idle socket lives between T/2 and T unused. */
  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(
      () => {
        for (const pool of this.pools.values()) {
          for (const c of [...pool.idle]) {
            if (c.sweepMark === c.served) c.sock.destroy();
            else c.sweepMark = c.served;
          }
        }
        if (this.pools.size === 0 && this.sweeper) {
          clearInterval(this.sweeper);
          this.sweeper = undefined;
        }
      },
      Math.max(1, Math.floor(this.options.idleTimeoutMs / 2)),
    );
    this.sweeper.unref();
  }
}
