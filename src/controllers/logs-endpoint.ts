// `GET /apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices/{name}/log[?tailLines=N&follow=true]`:
// the stdout/stderr lines of a service's replicas as text/plain (what `inferd logs` reads). Follow streams new
// lines until the client disconnects.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReplicaManager } from './replicas/replica-manager.js';

const PREFIX = '/apis/serving.kserve.io/v1beta1/namespaces/';

export function createLogsEndpoint(replicas: ReplicaManager, serviceExists: (ns: string, name: string) => boolean) {
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
      const buf = replicas.logsFor(`${ns}/${name}`);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      const lines = buf.tail(Number.isFinite(tail) ? tail : undefined);
      if (lines.length) res.write(`${lines.join('\n')}\n`);
      if (!follow) {
        res.end();
        return true;
      }
      const stop = buf.follow((line) => res.write(`${line}\n`));
      res.on('close', stop);
      return true;
    },
  };
}
