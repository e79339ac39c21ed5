// Serves an InferenceGraph on the gateway: `POST /` (KServe's router answers every path) to
// `{graph}.{ns}.{domain}`, `{graph}.{ns}.svc.cluster.local` or `/serving/{ns}/{graph}`. Reads the body, runs
// the graph (router.ts) with its steps going through StepClient, and writes the answer. Per-graph settings are
// annotations (docs/graphs.md): step timeout, propagated headers, the newer Sequence condition-miss status.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseGoDurationMs } from '../api/autoscaling-annotations.js';
import type { InferenceGraph } from '../api/inference-graph.js';
import { GRAPH_ANNOTATIONS } from '../api/inference-graph.validation.js';
import { replyError } from '../http/json-reply.js';
import type { Logger } from '../log.js';
import type { EndpointTable } from '../routing/endpoint-table.js';
import type { GraphController } from './controller.js';
import { predictPath } from './graph-status.js';
import type { GraphMetrics } from './metrics.js';
import { errorAnswer, type GraphAnswer, runGraph, type StepRef } from './router.js';
import type { StepClient, StepTarget } from './step-client.js';

/** Per-step timeout, a Go duration (`30s`, `2m`); default `inferd serve`'s (60 s). */
export const STEP_TIMEOUT_ANNOTATION = GRAPH_ANNOTATIONS.stepTimeout;
/** Comma-separated regular expressions of request headers passed to every step (KServe's router.headers.propagate). */
export const PROPAGATE_HEADERS_ANNOTATION = GRAPH_ANNOTATIONS.propagateHeaders;
/** `"200"`: a Sequence step whose condition does not match ends the graph with 200 (KServe ≥ 0.15); default 500 (0.12.1). */
export const CONDITION_MISS_ANNOTATION = GRAPH_ANNOTATIONS.conditionMissStatus;

export interface GraphHandlerOptions {
  controller: GraphController;
  endpoints: EndpointTable;
  client: StepClient;
  metrics: GraphMetrics;
  log: Logger;
  maxBodyBytes: number;
  /** Default per-step timeout (ms). */
  stepTimeoutMs: number;
  random?: () => number;
}

/** Go's http.CanonicalHeaderKey: `x-request-id` → `X-Request-Id`. */
export function canonicalHeader(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** The regexes of PROPAGATE_HEADERS_ANNOTATION; invalid ones are skipped as KServe's compilePatterns does. */
export function headerPatterns(text: string | undefined): RegExp[] {
  if (!text) return [];
  const out: RegExp[] = [];
  for (const p of text.split(',')) {
    try {
      out.push(new RegExp(p.trim()));
    } catch {
      // KServe logs and ignores a pattern that does not compile; validation names it at apply time.
    }
  }
  return out;
}

/** The request headers a step gets: those matching a pattern (canonical names), and always X-Request-Id. */
export function propagatedHeaders(req: IncomingMessage, patterns: readonly RegExp[]): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    // Without patterns only the request id travels: no canonical names to compute (the common case).
    if (patterns.length === 0 && lower !== 'x-request-id') continue;
    if (lower === 'host' || lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') {
      continue;
    }
    const name = canonicalHeader(lower);
    if (lower === 'x-request-id' || patterns.some((p) => p.test(name))) {
      out[name] = out[name] === undefined ? raw[i + 1]! : `${out[name]}, ${raw[i + 1]!}`;
    }
  }
  return out;
}

export class GraphHandler {
  /** Compiled propagate-header patterns by annotation text (graphs change rarely; bounded). */
  readonly #patterns = new Map<string, RegExp[]>();

  constructor(private readonly opts: GraphHandlerOptions) {}

  #patternsFor(text: string | undefined): RegExp[] {
    if (!text) return [];
    let p = this.#patterns.get(text);
    if (p === undefined) {
      if (this.#patterns.size >= 256) this.#patterns.clear();
      p = headerPatterns(text);
      this.#patterns.set(text, p);
    }
    return p;
  }

  /** Serves the request when `namespace/name` is a graph; false otherwise (the gateway answers 404). */
  handle(req: IncomingMessage, res: ServerResponse, namespace: string, name: string): boolean {
    const graph = this.opts.controller.get(namespace, name);
    if (!graph) return false;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.opts.maxBodyBytes) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooLarge) {
        replyError(res, 413, `request body is larger than ${this.opts.maxBodyBytes} bytes`);
        return;
      }
      void this.#run(graph, req, res, Buffer.concat(chunks));
    });
    return true;
  }

  async #run(graph: InferenceGraph, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const ns = graph.metadata.namespace ?? 'default';
    const name = graph.metadata.name;
    const annotations = graph.metadata.annotations ?? {};
    const cancel = new AbortController();
    // The client went away: every step still running is cancelled (its replica connection closed).
    const onClose = () => {
      if (!res.writableEnded) cancel.abort(new Error('client closed the connection'));
    };
    res.once('close', onClose);
    const timeout = graph.spec?.timeout;
    const signal = timeout ? AbortSignal.any([cancel.signal, AbortSignal.timeout(timeout * 1000)]) : cancel.signal;
    const stepTimeoutMs = stepTimeout(annotations[STEP_TIMEOUT_ANNOTATION], this.opts.stepTimeoutMs);
    const headers = propagatedHeaders(req, this.#patternsFor(annotations[PROPAGATE_HEADERS_ANNOTATION]));
    const log = this.opts.log;
    let answer: GraphAnswer;
    try {
      answer = await runGraph(
        {
          spec: graph.spec!,
          random: this.opts.random,
          sequenceConditionMissStatus: annotations[CONDITION_MISS_ANNOTATION] === '200' ? 200 : 500,
          call: (ref, input, s) => this.opts.client.call(this.#target(ns, ref), input, headers, s, stepTimeoutMs),
          stepDone: (ref, status, ms, error) => {
            const step = ref.step.name || String(ref.index);
            this.opts.metrics.step(ns, name, ref.node, step, status, ms);
            if (status === undefined || status >= 400) {
              log.warn('graph step failed', {
                graph: `${ns}/${name}`,
                node: ref.node,
                step,
                target: ref.step.serviceName ?? ref.step.serviceUrl,
                status,
                error,
                requestId: headers['X-Request-Id'],
              });
            }
          },
        },
        body,
        signal,
      );
    } catch (err) {
      answer = errorAnswer(500, err instanceof Error ? err.message : String(err));
    }
    res.off('close', onClose);
    if (res.destroyed || res.headersSent) return;
    const out: Record<string, string | number> = {
      'content-type': answer.contentType,
      'content-length': answer.body.length,
    };
    if (headers['X-Request-Id'] !== undefined) out['x-request-id'] = headers['X-Request-Id'];
    res.writeHead(answer.status, out);
    res.end(answer.body);
  }

  #target(namespace: string, ref: StepRef): StepTarget {
    const step = ref.step;
    if (step.serviceName) {
      const ep = this.opts.endpoints.get(namespace, step.serviceName);
      const protocol = this.opts.controller.protocol(namespace, step.serviceName);
      return {
        kind: 'service',
        namespace,
        name: step.serviceName,
        path: predictPath(protocol, ep?.modelName ?? step.serviceName),
      };
    }
    return this.opts.client.serviceForUrl(step.serviceUrl ?? '', namespace);
  }
}

function stepTimeout(text: string | undefined, fallbackMs: number): number {
  const ms = text ? parseGoDurationMs(text) : undefined;
  return ms !== undefined && ms > 0 ? ms : fallbackMs; // validation refuses a bad one at apply time
}
