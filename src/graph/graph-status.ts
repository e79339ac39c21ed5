// Pure decisions of the InferenceGraph controller: which services a graph references, where each step goes
// (KServe's controller resolves `serviceName` to the service's predictor URL, GetPredictorEndpoint), and the
// graph's status — Ready only when every referenced InferenceService is Ready, the message naming the others.

import { setCondition } from '../api/conditions.js';
import type { InferenceGraph, InferenceGraphStatus, InferenceStep } from '../api/inference-graph.js';
import type { Condition, InferenceService } from '../api/types.js';

/** `{graph}.{ns}.{domain}`: the host a graph answers on (KServe: its Knative service's URL). */
export function graphHost(graph: InferenceGraph, domain: string): string {
  return `${graph.metadata.name}.${graph.metadata.namespace ?? 'default'}.${domain}`;
}

/** Every step of the graph with where it is: `nodes.{node}.steps[i]`, in node-name order. */
export function stepsOf(graph: InferenceGraph): { node: string; index: number; step: InferenceStep }[] {
  const out: { node: string; index: number; step: InferenceStep }[] = [];
  const nodes = graph.spec?.nodes ?? {};
  for (const node of Object.keys(nodes).sort()) {
    (nodes[node]?.steps ?? []).forEach((step, index) => {
      out.push({ node, index, step });
    });
  }
  return out;
}

/** The InferenceServices the graph names by `serviceName`, sorted, each once. */
export function referencedServices(graph: InferenceGraph): string[] {
  return [...new Set(stepsOf(graph).flatMap((s) => (s.step.serviceName ? [s.step.serviceName] : [])))].sort();
}

/** The protocol of the service's predictor (`protocolVersion` of `model` or a framework key); v1 by default. */
export function protocolOf(isvc: InferenceService | undefined): 'v1' | 'v2' {
  const predictor = (isvc?.spec?.predictor ?? {}) as unknown as Record<string, unknown>;
  for (const v of Object.values(predictor)) {
    if (v && typeof v === 'object' && (v as { protocolVersion?: unknown }).protocolVersion === 'v2') return 'v2';
  }
  return 'v1';
}

/** The path KServe's GetPredictorEndpoint gives a step: `/v1/models/{m}:predict` or `/v2/models/{m}/infer`. */
export function predictPath(protocol: 'v1' | 'v2', modelName: string): string {
  const name = encodeURIComponent(modelName);
  return protocol === 'v2' ? `/v2/models/${name}/infer` : `/v1/models/${name}:predict`;
}

export interface ServiceState {
  exists: boolean;
  ready: boolean;
  /** The Ready condition's reason/message when not ready. */
  why?: string;
}

export function serviceState(isvc: InferenceService | undefined): ServiceState {
  if (!isvc) return { exists: false, ready: false };
  const ready = isvc.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { exists: true, ready: true };
  const why = ready ? [ready.reason, ready.message].filter(Boolean).join(': ') : 'no status yet';
  return { exists: true, ready: false, why };
}

/** The graph's status for the services' states now (conditions keep their lastTransitionTime when unchanged). */
export function planGraphStatus(
  graph: InferenceGraph,
  services: ReadonlyMap<string, ServiceState>,
  domain: string,
  nowIso: string,
): InferenceGraphStatus {
  const missing: string[] = [];
  const notReady: string[] = [];
  for (const name of referencedServices(graph)) {
    const s = services.get(name) ?? { exists: false, ready: false };
    if (!s.exists) missing.push(name);
    else if (!s.ready) notReady.push(`${name} (${s.why ?? 'not ready'})`);
  }
  const old = graph.status?.conditions;
  let conditions: Condition[];
  if (missing.length === 0 && notReady.length === 0) {
    conditions = setCondition(old, { type: 'Ready', status: 'True' }, nowIso);
  } else {
    const parts: string[] = [];
    if (missing.length > 0)
      parts.push(
        `InferenceService ${missing.join(', ')} not found in namespace ${graph.metadata.namespace ?? 'default'}`,
      );
    if (notReady.length > 0) parts.push(`InferenceService ${notReady.join(', ')} not ready`);
    conditions = setCondition(
      old,
      {
        type: 'Ready',
        status: 'False',
        reason: missing.length > 0 ? 'ServiceNotFound' : 'ServiceNotReady',
        message: parts.join('; '),
      },
      nowIso,
    );
  }
  const ready = missing.length === 0 && notReady.length === 0;
  const status: InferenceGraphStatus = { conditions, observedGeneration: graph.metadata.generation };
  // KServe sets the URL from its Knative service, and clears it while that is not Ready.
  if (ready) status.url = `http://${graphHost(graph, domain)}`;
  return status;
}
