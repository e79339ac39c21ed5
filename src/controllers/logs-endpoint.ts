// `GET /apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices/{name}/log[?tailLines=N&follow=true
// &container=transformer&sinceSeconds=600|sinceTime=RFC3339]`:
// the stdout/stderr lines of a service's replicas as text/plain (what `inferd logs` reads). Follow streams new
// lines until the client disconnects.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogComponent, LogFilter } from './replicas/log-buffer.js';
import type { ReplicaManager } from './replicas/replica-manager.js';

const PREFIX = '/apis/serving.kserve.io/v1beta1/namespaces/';

const COMPONENTS: readonly LogComponent[] = ['predictor', 'transformer', 'explainer'];

/**
 * The query's filter as Kubernetes' PodLogOptions reads it: `container` (a component), `sinceSeconds` (a
 * positive integer) or `sinceTime` (RFC 3339), not both; a string says what is wrong (400).
 */
export function logFilterOf(q: URLSearchParams, nowMs: number): LogFilter | string {
  const filter: LogFilter = {};
  const container = q.get('container');
  if (container !== null && container !== '') {
    if (!COMPONENTS.includes(container as LogComponent)) {
      return `container ${container} is not valid for an InferenceService: expected predictor, transformer or explainer`;
    }
    filter.component = container as LogComponent;
  }
  const seconds = q.get('sinceSeconds');
  const time = q.get('sinceTime');
  if (seconds !== null && time !== null) return 'at most one of sinceTime or sinceSeconds may be specified';
  if (seconds !== null) {
    if (!/^\d+$/.test(seconds) || Number(seconds) < 1) return `sinceSeconds: must be greater than 0, got '${seconds}'`;
    filter.sinceMs = nowMs - Number(seconds) * 1000;
  }
  if (time !== null) {
    const t = Date.parse(time);
    if (!Number.isFinite(t)) return `sinceTime: expected an RFC 3339 time, got '${time}'`;
    filter.sinceMs = t;
  }
  return filter;
}

export function createLogsEndpoint(
  replicas: ReplicaManager,
  serviceExists: (ns: string, name: string) => boolean,
  now: () => number = Date.now,
) {
  return {
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      const url = new URL(req.url ?? '/', 'http://x');
      if (!url.pathname.startsWith(PREFIX) || !url.pathname.endsWith('/log')) return false;
      const parts = url.pathname.slice(PREFIX.length).split('/');
      // {ns}/inferenceservices/{name}/log
      if (parts.length !== 4 || parts[1] !== 'inferenceservices') return false;
      const [ns, , name] = parts as [string, string, string];
      if (req.method !== 'GET') {
        res.writeHead(405, { 'content-type': 'application/json', allow: 'GET' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            reason: 'MethodNotAllowed',
            code: 405,
          }),
        );
        return true;
      }
      if (!serviceExists(ns, name)) {
        const message = `inferenceservices.serving.kserve.io "${name}" not found`;
        const body = JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message,
          reason: 'NotFound',
          details: { name, group: 'serving.kserve.io', kind: 'inferenceservices' },
          code: 404,
        });
        res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return true;
      }
      const tailParam = url.searchParams.get('tailLines');
      const tail = tailParam === null ? undefined : Number(tailParam);
      const follow = url.searchParams.get('follow') === 'true' || url.searchParams.get('follow') === '1';
      const filter = logFilterOf(url.searchParams, now());
      if (typeof filter === 'string') {
        const body = JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: filter,
          reason: 'BadRequest',
          code: 400,
        });
        res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return true;
      }
      const buf = replicas.logsFor(`${ns}/${name}`);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      const lines = buf.tail(Number.isFinite(tail) ? tail : undefined, filter);
      if (lines.length) res.write(`${lines.join('\n')}\n`);
      if (!follow) {
        res.end();
        return true;
      }
      const stop = buf.follow((line) => res.write(`${line}\n`), filter);
      res.on('close', stop);
      return true;
    },
  };
}
