// The SDK's gRPC path for a transformer's calls straight to a predictor replica on loopback (client-side
// routing, predictor-routes.ts): the gateway↔replica link (http/grpc-link.ts) on the replica's gRPC port, one
// connection per port, many calls at once, no HTTP/2 in between. Only inferd's own model servers speak the
// link: a port that refuses it (a custom container's gRPC server) is remembered and its calls go through the
// gateway, as they do while a link connects.

import { GrpcLinkClient } from '../gateway/grpc-link-client.js';

export class DirectGrpc {
  readonly #links = new Map<number, GrpcLinkClient>();
  readonly #refused = new Set<number>();
  #closed = false;

  /** The ready link to `port`; undefined while it connects (it is being opened) or when the port refused it. */
  link(port: number): GrpcLinkClient | undefined {
    if (this.#closed) return undefined;
    const existing = this.#links.get(port);
    if (existing) return existing.ready ? existing : undefined;
    if (this.#refused.has(port)) return undefined;
    const link = new GrpcLinkClient(port, {
      closed: (refused) => {
        if (this.#links.get(port) === link) this.#links.delete(port);
        if (refused) this.#refused.add(port);
      },
    });
    this.#links.set(port, link);
    return undefined;
  }

  close(): void {
    this.#closed = true;
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
  }
}
