// Where each InferenceService can be reached right now: the controllers write it, the gateway reads it
// (the local-mode stand-in for Kubernetes Endpoints). Also answers "wait until this service is ready",
// which the gateway uses to hold requests for a replica that is (re)starting.

import { EventEmitter } from 'node:events';

export interface ServiceEndpoint {
  namespace: string;
  name: string;
  /** The model name the replica serves (KServe: the InferenceService name). */
  modelName: string;
  /** Loopback port of the serving replica; undefined when none is ready. */
  port: number | undefined;
  /** Loopback V2 gRPC port of the same replica (the gateway's h2c proxy); undefined when it has none. */
  grpcPort?: number;
  revision: string | undefined;
  /** True while a replica is being started or restarted: worth holding requests for. */
  starting: boolean;
  reason?: string;
  message?: string;
}

export class EndpointTable extends EventEmitter {
  private readonly byKey = new Map<string, ServiceEndpoint>();

  constructor() {
    super();
    this.setMaxListeners(0); // one listener per held request
  }

  set(ep: ServiceEndpoint): void {
    this.byKey.set(`${ep.namespace}/${ep.name}`, ep);
    this.emit('change', ep);
  }

  delete(namespace: string, name: string): void {
    this.byKey.delete(`${namespace}/${name}`);
    this.emit('change', { namespace, name });
  }

  get(namespace: string, name: string): ServiceEndpoint | undefined {
    return this.byKey.get(`${namespace}/${name}`);
  }

  /** Services whose model is `modelName`, across namespaces (path routing). */
  byModelName(modelName: string): ServiceEndpoint[] {
    const out: ServiceEndpoint[] = [];
    for (const ep of this.byKey.values()) if (ep.modelName === modelName) out.push(ep);
    return out;
  }

  all(): ServiceEndpoint[] {
    return [...this.byKey.values()];
  }

  /** Resolves with the endpoint once it has a port, or with its last state when it stops starting or on timeout. */
  waitReady(namespace: string, name: string, timeoutMs: number): Promise<ServiceEndpoint | undefined> {
    const key = `${namespace}/${name}`;
    const now = this.byKey.get(key);
    if (!now || now.port !== undefined || !now.starting) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('change', onChange);
        resolve(this.byKey.get(key));
      };
      const onChange = (ep: { namespace: string; name: string }) => {
        if (`${ep.namespace}/${ep.name}` !== key) return;
        const cur = this.byKey.get(key);
        if (!cur || cur.port !== undefined || !cur.starting) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('change', onChange);
    });
  }
}
