// How a graph step reaches its target inside inferd: a service of this inferd goes through the gateway's own
// traffic router (its routes: canary split, activator hold for a scaled-to-zero revision, containerConcurrency
// queue, outlier ejection, TrafficStats for the autoscaler) and then straight to the chosen replica over
// loopback — never back through the public port. A `serviceUrl` naming another host is called over HTTP(S).
// Each call has a timeout (KServe's router has none: kserve#3277) and the client's cancellation.

import http from 'node:http';
import https from 'node:https';
import { serviceCandidatesForHost } from '../gateway/host-router.js';
import { type Lease, notReadyMessage, type TrafficRouter } from '../gateway/traffic/router.js';
import type { EndpointTable } from '../routing/endpoint-table.js';
import type { StepAnswer } from './router.js';
import { StepFailure } from './router.js';

export interface StepClientOptions {
  endpoints: EndpointTable;
  traffic: TrafficRouter;
  domain: string;
  /** Largest step answer read (bytes); a larger one fails the step. Default 16 MiB. */
  maxAnswerBytes?: number;
  /**
   * Whether a graph may call another namespace's service by its URL. `inferd serve --auth` turns it off: the
   * graph's caller is authorised for the graph's namespace only, so such a step answers 403.
   */
  allowCrossNamespace?: boolean;
}

/** A step's target once resolved: a service (namespace/name + the path KServe would call) or a URL. */
export type StepTarget =
  | { kind: 'service'; namespace: string; name: string; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'refused'; status: number; message: string };

const jsonError = (message: string) => Buffer.from(JSON.stringify({ error: message }));

export class StepClient {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly #httpsAgent = new https.Agent({ keepAlive: true });

  readonly #maxBytes: number;

  constructor(private readonly opts: StepClientOptions) {
    this.#maxBytes = opts.maxAnswerBytes ?? 16 * 1024 * 1024;
  }

  /**
   * The service a `serviceUrl` names when its host is one of this inferd's (`{name}.{ns}.{domain}`,
   * cluster-local); `fromNamespace` is the graph's (another namespace's service may be refused, see options).
   */
  serviceForUrl(url: string, fromNamespace?: string): StepTarget {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return { kind: 'url', url };
    }
    for (const c of serviceCandidatesForHost(u.host, this.opts.domain)) {
      if (c.tag === undefined && this.opts.endpoints.get(c.namespace, c.name)) {
        if (this.opts.allowCrossNamespace === false && fromNamespace !== undefined && c.namespace !== fromNamespace) {
          return {
            kind: 'refused',
            status: 403,
            message: `a graph in namespace ${fromNamespace} may not call InferenceService ${c.name} of namespace ${c.namespace} (inferd serve --auth)`,
          };
        }
        return { kind: 'service', namespace: c.namespace, name: c.name, path: `${u.pathname}${u.search}` };
      }
    }
    return { kind: 'url', url };
  }

  /** POSTs `body`; a service that is missing or not ready answers as the gateway would (404/503 JSON naming it). */
  async call(
    target: StepTarget,
    body: Buffer,
    headers: Record<string, string>,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<StepAnswer> {
    if (target.kind === 'refused') return { status: target.status, body: jsonError(target.message) };
    // One controller per call, aborted by the step's own timer or by the graph's signal (cheaper than
    // AbortSignal.any + AbortSignal.timeout on this per-step path).
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort(new Error('step timeout'));
    }, timeoutMs);
    const onOuter = () => ctl.abort(signal.reason);
    if (signal.aborted) onOuter();
    else signal.addEventListener('abort', onOuter, { once: true });
    try {
      return await this.#call(target, body, headers, signal, ctl.signal, () => timedOut, timeoutMs);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onOuter);
    }
  }

  async #call(
    target: Exclude<StepTarget, { kind: 'refused' }>,
    body: Buffer,
    headers: Record<string, string>,
    signal: AbortSignal,
    both: AbortSignal,
    timedOut: () => boolean,
    timeoutMs: number,
  ): Promise<StepAnswer> {
    const url = describeUrl(target);
    const failure = (err: unknown): StepFailure => {
      if (timedOut()) return new StepFailure(`Post "${url}": step timed out after ${timeoutMs} ms`, 504, true);
      if (signal.aborted) {
        // The graph's own deadline (spec.timeout) is a timeout too; anything else is the client going away.
        const reason = signal.reason as { name?: string } | undefined;
        if (reason?.name === 'TimeoutError') {
          return new StepFailure(`Post "${url}": the graph's timeout (spec.timeout) passed`, 504, true);
        }
        return new StepFailure(`Post "${url}": context canceled`, 499, true);
      }
      return new StepFailure(`Post "${url}": ${err instanceof Error ? err.message : String(err)}`);
    };
    if (target.kind === 'url') {
      const u = new URL(target.url);
      const agent = u.protocol === 'https:' ? this.#httpsAgent : this.#agent;
      try {
        return await post(
          u.protocol === 'https:' ? https : http,
          { hostname: u.hostname, port: u.port || undefined, path: `${u.pathname}${u.search}`, agent },
          body,
          headers,
          both,
          this.#maxBytes,
        );
      } catch (err) {
        throw failure(err);
      }
    }
    const ep = this.opts.endpoints.get(target.namespace, target.name);
    if (!ep) {
      return {
        status: 404,
        body: jsonError(`InferenceService ${target.name} does not exist in namespace ${target.namespace}`),
      };
    }
    const traffic = this.opts.traffic;
    const route = traffic.choose(ep, undefined);
    if (route === undefined) return { status: 503, body: jsonError(notReadyMessage(ep, undefined)) };
    let lease = traffic.take(route);
    if (lease === undefined) {
      const held = await new Promise<Lease | StepAnswer>((resolve, reject) => {
        const onAbort = () => {
          cancel();
          reject(failure(both.reason));
        };
        const cancel = traffic.wait(ep, route, undefined, {
          grant(l) {
            both.removeEventListener('abort', onAbort);
            if (both.aborted) {
              traffic.done(l, undefined);
              return;
            }
            resolve(l);
          },
          refuse(status, message) {
            both.removeEventListener('abort', onAbort);
            resolve({ status, body: jsonError(message) });
          },
        });
        if (both.aborted) onAbort();
        else both.addEventListener('abort', onAbort, { once: true });
      });
      if ('body' in held) return held;
      lease = held;
    }
    let status: number | undefined;
    try {
      const answer = await post(
        http,
        {
          hostname: '127.0.0.1',
          port: lease.replica.port,
          path: target.path,
          agent: this.#agent,
          headers: { host: `${target.name}.${target.namespace}.${this.opts.domain}` },
        },
        body,
        headers,
        both,
        this.#maxBytes,
      );
      status = answer.status;
      return answer;
    } catch (err) {
      status = timedOut() ? 504 : undefined;
      throw failure(err);
    } finally {
      traffic.done(lease, status);
    }
  }

  close(): void {
    this.#agent.destroy();
    this.#httpsAgent.destroy();
  }
}

function describeUrl(t: Exclude<StepTarget, { kind: 'refused' }>): string {
  return t.kind === 'url' ? t.url : `http://${t.name}.${t.namespace}.svc.cluster.local${t.path}`;
}

interface Where {
  hostname: string;
  port: number | string | undefined;
  path: string;
  agent: http.Agent;
  headers?: Record<string, string>;
}

function post(
  mod: typeof http | typeof https,
  where: Where,
  body: Buffer,
  headers: Record<string, string>,
  signal: AbortSignal,
  maxBytes: number,
): Promise<StepAnswer> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string | number> = { ...where.headers, ...headers, 'content-length': body.length };
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
    const req = mod.request(
      {
        method: 'POST',
        hostname: where.hostname,
        port: where.port,
        path: where.path,
        agent: where.agent,
        headers: h,
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= maxBytes) chunks.push(c);
          else if (!res.destroyed) {
            reject(new Error(`the answer is larger than ${maxBytes} bytes`));
            res.destroy();
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 500, body: Buffer.concat(chunks) }));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('the connection closed before the answer ended')));
      },
    );
    req.setNoDelay(true);
    req.on('error', reject);
    req.end(body);
  });
}
