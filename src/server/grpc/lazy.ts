// The replica's V2 gRPC port without paying for gRPC until someone uses it. A plain `net` server binds the
// port at start (so `ready` can report it and the gateway can relay to it); the first connection loads the
// service and every connection is handed to it. The service is the node:http2 fast path (fast.ts) unless
// INFERD_GRPC_SERVER=grpc-js picks @grpc/grpc-js (service.ts: ~11 MiB RSS and ~100 ms of module loading,
// measured in docs/operations.md), whose connection injector (`Server.createConnectionInjector`, grpc-js
// ≥ 1.10) runs the same HTTP/2 server grpc-js would have bound itself. A replica nobody calls over gRPC
// loads neither.

import net from 'node:net';
import { InferdError, messageOf } from '../../errors.js';
import type { GrpcServerOptions } from './service.js';

export interface LazyGrpcServer {
  /** The bound port. */
  readonly port: number;
  /** True once grpc-js is loaded (first connection, or `load()`). */
  readonly loaded: boolean;
  /** Loads grpc-js and builds the service now (tests; a warm-up). */
  load(): Promise<void>;
  /** Stops accepting, lets in-flight calls finish for up to `graceMs`, then cancels the rest. */
  shutdown(graceMs?: number): Promise<void>;
  /** Closes the port and every session at once. */
  forceShutdown(): void;
}

interface Loaded {
  inject: (socket: net.Socket) => void;
  shutdown: (graceMs: number) => Promise<void>;
  forceShutdown: () => void;
}

/** Which implementation serves the port: the fast path, or grpc-js (INFERD_GRPC_SERVER=grpc-js). */
export type GrpcImplementation = 'fast' | 'grpc-js';

export function grpcImplementation(env: Readonly<Record<string, string | undefined>>): GrpcImplementation {
  return env.INFERD_GRPC_SERVER === 'grpc-js' ? 'grpc-js' : 'fast';
}

async function loadGrpcJs(opts: GrpcServerOptions): Promise<Loaded> {
  const [grpcJs, service] = await Promise.all([import('@grpc/grpc-js'), import('./service.js')]);
  const server = service.createGrpcServer(opts);
  const injector = server.createConnectionInjector(grpcJs.ServerCredentials.createInsecure());
  return {
    inject: (socket) => injector.injectConnection(socket),
    shutdown: (graceMs) => service.shutdownGrpcServer(server, graceMs),
    forceShutdown: () => server.forceShutdown(),
  };
}

async function loadFast(opts: GrpcServerOptions): Promise<Loaded> {
  const fast = await import('./fast.js');
  const s = fast.createFastGrpcServer(opts);
  return {
    inject: (socket) => s.accept(socket),
    shutdown: (graceMs) => s.shutdown(graceMs),
    forceShutdown: () => s.forceShutdown(),
  };
}

/** Binds `host:port` (0 picks a free port) and resolves once listening; gRPC itself loads on first use. */
export function listenLazyGrpc(
  opts: GrpcServerOptions,
  host: string,
  port: number,
  implementation: GrpcImplementation = 'fast',
): Promise<LazyGrpcServer> {
  let loading: Promise<Loaded> | undefined;
  let loaded: Loaded | undefined;
  let closed = false;
  const sockets = new Set<net.Socket>(); // accepted, waiting for grpc-js to load

  const load = (): Promise<Loaded> => {
    loading ??= (async () => {
      const started = performance.now();
      loaded = await (implementation === 'grpc-js' ? loadGrpcJs(opts) : loadFast(opts));
      opts.log.info('grpc loaded on first use', { implementation, ms: Math.round(performance.now() - started) });
      return loaded;
    })();
    return loading;
  };

  const netServer = net.createServer({ noDelay: true }, (socket) => {
    if (loaded) {
      loaded.inject(socket);
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    load().then(
      (l) => {
        sockets.delete(socket);
        if (closed || socket.destroyed) socket.destroy();
        else l.inject(socket);
      },
      (err) => {
        opts.log.error('grpc failed to load', { error: messageOf(err), stack: (err as Error)?.stack });
        socket.destroy();
      },
    );
  });

  return new Promise((resolve, reject) => {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    netServer.once('error', (err) =>
      reject(
        new InferdError('INTERNAL', `gRPC could not listen on ${address}: ${err.message}`, {
          reason: 'ListenFailed',
          cause: err,
        }),
      ),
    );
    netServer.listen(port, host, () => {
      netServer.removeAllListeners('error');
      netServer.on('error', (err) => opts.log.error('grpc listener error', { error: err.message }));
      const bound = (netServer.address() as net.AddressInfo).port;
      const stopAccepting = () => {
        closed = true;
        netServer.close();
        for (const s of sockets) s.destroy();
        sockets.clear();
      };
      resolve({
        port: bound,
        get loaded() {
          return loaded !== undefined;
        },
        load: async () => {
          await load();
        },
        shutdown: async (graceMs = 5_000) => {
          stopAccepting();
          if (loaded) await loaded.shutdown(graceMs);
        },
        forceShutdown: () => {
          stopAccepting();
          loaded?.forceShutdown();
        },
      });
    });
  });
}
