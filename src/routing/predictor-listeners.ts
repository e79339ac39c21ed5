// Two-tier services (docs/containers.md): a transformer reaches its predictor through inferd, as KServe's
// transformer reaches `{name}-predictor.{ns}` through the cluster. Each such service gets a loopback port
// (its `--predictor_host`); a connection accepted there is handed to the gateway as if it had come to the
// gateway's own port, with its Host (:authority for gRPC) taken as the predictor's, so the predictor's
// revisions, canary split, scaling and hold-while-activating apply, over V1, V2 REST and gRPC alike.

import { createServer, type Server, type Socket } from 'node:net';

/** The routes feed of a predictor listener (gateway/route-feed.ts): SDK transformers route themselves with it. */
export const ROUTES_PATH = '/.inferd/v1/routes';
/** The env var inferd sets for a transformer/explainer it starts: the routes feed's URL on its predictor listener. */
export const ROUTE_FEED_ENV = 'INFERD_ROUTE_FEED';

/**
 * Listener port → the Host its connections stand for. Keyed by the connection's local port, not the socket
 * object: an HTTP/2 session exposes its socket only through a proxy. No other server of this process can
 * hold the same loopback port.
 */
const overrides = new Map<number, string>();

/** The Host a connection stands for (its predictor listener's), or undefined for an ordinary connection. */
export function hostOverrideOf(socket: unknown): string | undefined {
  if (overrides.size === 0 || !socket) return undefined;
  const s = socket as Partial<Pick<Socket, 'localPort' | 'localAddress'>>;
  if (s.localPort === undefined || s.localAddress !== '127.0.0.1') return undefined;
  return overrides.get(s.localPort);
}

export class PredictorListeners {
  private readonly servers = new Map<string, { server: Server; port: Promise<number> }>();

  /** `accept`: hands a socket to the gateway (its http server's 'connection'). */
  constructor(private readonly accept: (socket: Socket) => void) {}

  /** The loopback port for `key` whose connections route as `host`; opened on first call. */
  open(key: string, host: string): Promise<number> {
    const have = this.servers.get(key);
    if (have) return have.port;
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    const port = new Promise<number>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        const p = typeof a === 'object' && a ? a.port : 0;
        overrides.set(p, host);
        ok(p);
      });
    });
    this.servers.set(key, { server, port });
    return port;
  }

  /** The port of `key` if open. */
  has(key: string): boolean {
    return this.servers.has(key);
  }

  async close(key: string): Promise<void> {
    const s = this.servers.get(key);
    if (!s) return;
    this.servers.delete(key);
    const port = await s.port.catch(() => undefined);
    if (port !== undefined) overrides.delete(port);
    await new Promise((r) => s.server.close(r));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((k) => this.close(k)));
  }
}
