// The payload logger (`spec.predictor.logger: {mode, url}`; KServe runs it in its agent sidecar): each
// inference request and/or 200 response is sent to the sink as a binary-mode CloudEvent — the payload as
// the HTTP body, attributes as `ce-*` headers, KServe's types `org.kubeflow.serving.inference.request` /
// `.response`, one `ce-id` for both (the request's `ce-id` header, else a new UUID).
//
// Never on the request path: `log*` only enqueues. A bounded queue (KServe's 100) feeds a few senders;
// a full queue drops the event and counts it; a failed send is retried with back-off, then counted.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { hostname } from 'node:os';
import type { Logger } from '../log.js';

export const CE_REQUEST_TYPE = 'org.kubeflow.serving.inference.request';
export const CE_RESPONSE_TYPE = 'org.kubeflow.serving.inference.response';

export type LoggerMode = 'all' | 'request' | 'response';

export interface PayloadLoggerOptions {
  url: string;
  mode: LoggerMode;
  /** `ce-inferenceservicename` */
  inferenceService: string;
  /** `ce-namespace` */
  namespace: string;
  /** `ce-component` (default `predictor`) and `ce-endpoint` (default `default`). */
  component?: string;
  endpoint?: string;
  /** `ce-source` (KServe: the pod; here the host name). */
  source?: string;
  log: Logger;
  /** Events waiting to be sent; more are dropped (counted). Default 100, KServe's queue size. */
  maxQueue?: number;
  /** Events in flight at once. Default 5, KServe's worker count. */
  concurrency?: number;
  /** Tries per event, the first included. Default 3. */
  attempts?: number;
  /** Back-off before the second try, doubled after each. Default 100 ms. */
  retryDelayMs?: number;
  /** Per-try timeout. Default 5 s. */
  timeoutMs?: number;
}

interface PayloadEvent {
  id: string;
  type: string;
  contentType: string;
  body: readonly (string | Buffer)[];
  time: string;
  attempt: number;
}

export interface PayloadLoggerStats {
  sent: number;
  dropped: number;
  failed: number;
  queued: number;
}

export class PayloadLogger {
  readonly #opts: Required<Omit<PayloadLoggerOptions, 'log'>> & { log: Logger };
  readonly #target: URL;
  readonly #agent: http.Agent;
  readonly #queue: PayloadEvent[] = [];
  #inFlight = 0;
  #closed = false;
  readonly stats: PayloadLoggerStats = { sent: 0, dropped: 0, failed: 0, queued: 0 };
  readonly #idle: (() => void)[] = [];

  constructor(opts: PayloadLoggerOptions) {
    this.#opts = {
      component: 'predictor',
      endpoint: 'default',
      source: `http://${hostname()}/`,
      maxQueue: 100,
      concurrency: 5,
      attempts: 3,
      retryDelayMs: 100,
      timeoutMs: 5_000,
      ...opts,
    };
    this.#target = new URL(opts.url);
    const Agent = this.#target.protocol === 'https:' ? https.Agent : http.Agent;
    this.#agent = new Agent({ keepAlive: true, maxSockets: this.#opts.concurrency });
  }

  get logsRequests(): boolean {
    return this.#opts.mode !== 'response';
  }

  get logsResponses(): boolean {
    return this.#opts.mode !== 'request';
  }

  /** PayloadLogger.eventId, for callers that import this module's type only (model-server.ts: no https until used). */
  eventIdFor(ceIdHeader: string | string[] | undefined): string {
    return PayloadLogger.eventId(ceIdHeader);
  }

  /** The event id for a request: its own `ce-id` header, else a new UUID. */
  static eventId(ceIdHeader: string | string[] | undefined): string {
    return typeof ceIdHeader === 'string' && ceIdHeader ? ceIdHeader : randomUUID();
  }

  logRequest(id: string, contentType: string | undefined, body: Buffer): void {
    if (this.logsRequests) this.#enqueue(id, CE_REQUEST_TYPE, contentType ?? 'application/json', [body]);
  }

  /** Only 200 answers are logged, as KServe's agent does. */
  logResponse(id: string, status: number, contentType: string, body: readonly (string | Buffer)[]): void {
    if (status === 200 && this.logsResponses) this.#enqueue(id, CE_RESPONSE_TYPE, contentType, body);
  }

  #enqueue(id: string, type: string, contentType: string, body: readonly (string | Buffer)[]): void {
    if (this.#closed || this.#queue.length >= this.#opts.maxQueue) {
      this.stats.dropped++;
      return;
    }
    this.#queue.push({ id, type, contentType, body, time: new Date().toISOString(), attempt: 0 });
    this.stats.queued = this.#queue.length;
    this.#pump();
  }

  #pump(): void {
    while (this.#inFlight < this.#opts.concurrency && this.#queue.length > 0) {
      const ev = this.#queue.shift()!;
      this.stats.queued = this.#queue.length;
      this.#inFlight++;
      this.#send(ev).then(
        () => {
          this.stats.sent++;
          this.#done();
        },
        (err: Error) => {
          ev.attempt++;
          if (ev.attempt < this.#opts.attempts && !this.#closed) {
            const delay = this.#opts.retryDelayMs * 2 ** (ev.attempt - 1);
            setTimeout(() => {
              this.#inFlight--;
              this.#queue.unshift(ev);
              this.stats.queued = this.#queue.length;
              this.#pump();
            }, delay).unref();
            return;
          }
          this.stats.failed++;
          // One line per lost event (not per request): the sink is down, which an operator must see.
          this.#opts.log.warn('payload logger: event not delivered', {
            url: this.#opts.url,
            id: ev.id,
            type: ev.type,
            attempts: ev.attempt,
            error: err.message,
          });
          this.#done();
        },
      );
    }
  }

  #done(): void {
    this.#inFlight--;
    this.#pump();
    if (this.#inFlight === 0 && this.#queue.length === 0) for (const f of this.#idle.splice(0)) f();
  }

  #send(ev: PayloadEvent): Promise<void> {
    let length = 0;
    for (const b of ev.body) length += Buffer.byteLength(b);
    const o = this.#opts;
    const headers: http.OutgoingHttpHeaders = {
      'content-type': ev.contentType,
      'content-length': length,
      'ce-specversion': '1.0',
      'ce-id': ev.id,
      'ce-type': ev.type,
      'ce-source': o.source,
      'ce-time': ev.time,
      'ce-inferenceservicename': o.inferenceService,
      'ce-namespace': o.namespace,
      'ce-component': o.component,
      'ce-endpoint': o.endpoint,
      'ce-metadata': '{}',
    };
    const mod = this.#target.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        this.#target,
        { method: 'POST', headers, agent: this.#agent, timeout: o.timeoutMs },
        (res) => {
          res.resume();
          res.on('end', () => {
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve();
            else reject(new Error(`sink answered ${code}`));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
      req.on('error', reject);
      for (const b of ev.body) req.write(b);
      req.end();
    });
  }

  /** Resolves once nothing is queued or in flight (tests, graceful stop); at most `timeoutMs`. */
  drain(timeoutMs = 5_000): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops taking events (later ones are dropped), sends what is queued for up to `graceMs`. */
  async close(graceMs = 2_000): Promise<void> {
    this.#closed = true;
    await this.drain(graceMs);
    this.#agent.destroy();
  }

  /** Prometheus lines for /metrics. */
  renderMetrics(out: string[]): void {
    out.push('# HELP inferd_payload_logger_events_total Payload logger CloudEvents by outcome.');
    out.push('# TYPE inferd_payload_logger_events_total counter');
    out.push(`inferd_payload_logger_events_total{outcome="sent"} ${this.stats.sent}`);
    out.push(`inferd_payload_logger_events_total{outcome="dropped"} ${this.stats.dropped}`);
    out.push(`inferd_payload_logger_events_total{outcome="failed"} ${this.stats.failed}`);
    out.push('# HELP inferd_payload_logger_queue_length Payload logger events waiting to be sent.');
    out.push('# TYPE inferd_payload_logger_queue_length gauge');
    out.push(`inferd_payload_logger_queue_length ${this.stats.queued}`);
  }
}
