// The InferenceGraph controller: keeps every stored graph's status following the InferenceServices it names
// (Ready only when all of them are, re-planned on every change of either kind), records KServe's
// InferenceGraphReady / InferenceGraphNotReady events on transitions, and hands the graph router what it
// serves now (get()). A graph needs no process of its own: the gateway runs it (graph-handler.ts).

import type { InferenceGraph } from '../api/inference-graph.js';
import type { InferenceService, Resource } from '../api/types.js';
import { type Clock, isoSeconds, systemClock } from '../controllers/clock.js';
import type { Logger } from '../log.js';
import type { Store, Watch } from '../store/store.js';
import { planGraphStatus, protocolOf, referencedServices, type ServiceState, serviceState } from './graph-status.js';

export interface GraphControllerOptions {
  store: Store;
  domain: string;
  log: Logger;
  clock?: Clock;
  recordEvent?: (graph: Resource, type: 'Normal' | 'Warning', reason: string, message: string) => void;
  /** A graph was changed or deleted (its metric series are forgotten). */
  onGraphChange?: (namespace: string, name: string) => void;
}

export class GraphController {
  readonly #graphs = new Map<string, InferenceGraph>();
  readonly #protocols = new Map<string, 'v1' | 'v2'>();
  #watches: Watch[] = [];
  readonly #clock: Clock;

  constructor(private readonly opts: GraphControllerOptions) {
    this.#clock = opts.clock ?? systemClock;
  }

  start(): void {
    this.#watches.push(
      this.opts.store.watch({ kind: 'InferenceGraph' }, (ev) => {
        const m = ev.object.metadata;
        const key = `${m.namespace}/${m.name}`;
        const before = this.#graphs.get(key);
        if (ev.type === 'DELETED') this.#graphs.delete(key);
        else this.#graphs.set(key, ev.object as InferenceGraph);
        if (ev.type === 'DELETED' || before?.metadata.generation !== m.generation) {
          this.opts.onGraphChange?.(m.namespace ?? 'default', m.name);
        }
        if (ev.type !== 'DELETED') this.reconcile(ev.object as InferenceGraph);
      }),
      this.opts.store.watch({ kind: 'InferenceService' }, (ev) => {
        const m = ev.object.metadata;
        const key = `${m.namespace}/${m.name}`;
        if (ev.type === 'DELETED') this.#protocols.delete(key);
        else this.#protocols.set(key, protocolOf(ev.object as InferenceService));
        for (const g of this.#graphs.values()) {
          if (g.metadata.namespace === m.namespace && referencedServices(g).includes(m.name)) this.reconcile(g);
        }
      }),
    );
  }

  stop(): void {
    for (const w of this.#watches) w.close();
    this.#watches = [];
  }

  /** The stored graph `namespace/name`, or undefined. */
  get(namespace: string, name: string): InferenceGraph | undefined {
    return this.#graphs.get(`${namespace}/${name}`);
  }

  /** The predictor protocol of a service (v1 when unknown). */
  protocol(namespace: string, name: string): 'v1' | 'v2' {
    return this.#protocols.get(`${namespace}/${name}`) ?? 'v1';
  }

  /** Re-plans one graph's status from the store and writes it when it changed. */
  reconcile(given: InferenceGraph): void {
    const ns = given.metadata.namespace ?? 'default';
    const graph = this.opts.store.get<InferenceGraph>({
      kind: 'InferenceGraph',
      namespace: ns,
      name: given.metadata.name,
    });
    if (!graph) return;
    const services = new Map<string, ServiceState>();
    for (const name of referencedServices(graph)) {
      services.set(
        name,
        serviceState(this.opts.store.get<InferenceService>({ kind: 'InferenceService', namespace: ns, name })),
      );
    }
    const status = planGraphStatus(graph, services, this.opts.domain, isoSeconds(this.#clock.now()));
    if (JSON.stringify(status) === JSON.stringify(graph.status ?? {})) return;
    const wasReady = graph.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const isReady = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    try {
      this.opts.store.updateStatus({ ...graph, status });
    } catch (err) {
      // A concurrent write: the watch event it made re-plans this graph.
      this.opts.log.debug('graph status not written', { graph: `${ns}/${graph.metadata.name}`, error: String(err) });
      return;
    }
    if (wasReady && !isReady) {
      this.opts.recordEvent?.(
        graph,
        'Warning',
        'InferenceGraphNotReady',
        `InferenceGraph [${graph.metadata.name}] is no longer Ready`,
      );
    } else if (!wasReady && isReady) {
      this.opts.recordEvent?.(
        graph,
        'Normal',
        'InferenceGraphReady',
        `InferenceGraph [${graph.metadata.name}] is Ready`,
      );
    }
  }
}
