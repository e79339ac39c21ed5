// KServe's InferenceGraph webhook (pkg/apis/serving/v1alpha1/inference_graph_validation.go) with its exact
// messages, each at a JSON path, plus what KServe leaves to the CRD schema (routerType and dependency enums,
// field types) and what it does not check at all but inferd refuses at apply time: a `nodeName` naming no node,
// and cycles through `nodeName` (KServe's router would recurse until the request times out).

import { parseGoDurationMs } from './autoscaling-annotations.js';
import { isArray, isInt, isObject, isOneOf, isString, type Out, present, unknownFields } from './checks.js';
import {
  type InferenceRouter,
  type InferenceStep,
  ROOT_NODE,
  ROUTER_TYPES,
  STEP_DEPENDENCIES,
} from './inference-graph.js';
import { child } from './json-path.js';
import type { Problem, Resource } from './types.js';

/** GraphNameFmt */
export const GRAPH_NAME_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const GRAPH_NAME = new RegExp(`^${GRAPH_NAME_FMT}$`);

const SPEC_FIELDS = [
  'nodes',
  'resources',
  'affinity',
  'timeout',
  'minReplicas',
  'maxReplicas',
  'scaleTarget',
  'scaleMetric',
  'tolerations',
  'nodeSelector',
  'serviceAccountName',
  'routerTimeouts',
];
const NODE_FIELDS = ['routerType', 'steps'];
const STEP_FIELDS = ['name', 'nodeName', 'serviceName', 'serviceUrl', 'data', 'weight', 'condition', 'dependency'];

/** The KServe messages, verbatim (the `%s`/`%d` filled as Go's fmt does). */
export const graphMessages = {
  invalidName: (name: string) =>
    `The InferenceGraph "${name}" is invalid: a InferenceGraph name must consist of lower case alphanumeric characters or '-', and must start with alphabetical character. (e.g. "my-name" or "abc-123", regex used for validation is '${GRAPH_NAME_FMT}')`,
  rootNotFound: () => "root node not found, InferenceGraph needs a node with name 'root' as the root node of the graph",
  weightNotProvided: (graph: string, node: string, service: string) =>
    `InferenceGraph[${graph}] Node[${node}] Route[${service}] missing the 'Weight'`,
  invalidWeight: (graph: string, node: string) =>
    `InferenceGraph[${graph}] Node[${node}] splitter node: the sum of traffic weights for all routing targets should be 100`,
  duplicateStep: (node: string, graph: string, step: string) =>
    `Node "${node}" of InferenceGraph "${graph}" contains more than one step with name "${step}"`,
  targetNotProvided: (i: number, step: string, node: string, graph: string) =>
    `Step ${i} ("${step}") in node "${node}" of InferenceGraph "${graph}" does not specify an inference target`,
  invalidTarget: (i: number, step: string, node: string, graph: string) =>
    `Step ${i} ("${step}") in node "${node}" of InferenceGraph "${graph}" specifies more than one of nodeName, serviceName, serviceUrl`,
};

/** Every problem with an InferenceGraph's name and spec (metadata's other rules are validateObjectMeta's). */
export function validateInferenceGraph(obj: Resource): Problem[] {
  const out: Out = [];
  const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : '';
  if (name !== '' && !GRAPH_NAME.test(name))
    out.push({ path: 'metadata.name', message: graphMessages.invalidName(name) });
  annotationProblems(obj.metadata?.annotations, out);
  if (!present(obj.spec)) {
    out.push({ path: 'spec', message: 'required' });
    return out;
  }
  if (!isObject(obj.spec, 'spec', out)) return out;
  const spec = obj.spec;
  unknownFields(spec, SPEC_FIELDS, 'spec', out);
  for (const f of ['minReplicas', 'maxReplicas', 'scaleTarget']) {
    if (present(spec[f])) isInt(spec[f], child('spec', f), out, { min: 0 });
  }
  if (present(spec['timeout'])) isInt(spec['timeout'], 'spec.timeout', out, { min: 1 });
  if (!present(spec['nodes'])) {
    out.push({ path: 'spec.nodes', message: `required: ${graphMessages.rootNotFound()}` });
    return out;
  }
  if (!isObject(spec['nodes'], 'spec.nodes', out)) return out;
  const nodes = spec['nodes'];
  if (!Object.hasOwn(nodes, ROOT_NODE)) out.push({ path: 'spec.nodes.root', message: graphMessages.rootNotFound() });

  // Sorted, so the problems come in the same order on every apply (Go's map order is random).
  for (const nodeName of Object.keys(nodes).sort()) {
    const nodePath = child('spec.nodes', nodeName);
    const node = nodes[nodeName];
    if (!isObject(node, nodePath, out)) continue;
    unknownFields(node, NODE_FIELDS, nodePath, out);
    const routerType = node['routerType'];
    if (!present(routerType)) out.push({ path: child(nodePath, 'routerType'), message: 'required' });
    else isOneOf(routerType, ROUTER_TYPES, child(nodePath, 'routerType'), out);
    const steps = node['steps'];
    if (!present(steps)) continue;
    if (!isArray(steps, child(nodePath, 'steps'), out)) continue;
    validateSteps(name, nodeName, nodePath, routerType, steps, Object.keys(nodes), out);
  }
  if (out.length === 0) out.push(...cycleProblems(nodes as Record<string, InferenceRouter>));
  return out;
}

function validateSteps(
  graph: string,
  nodeName: string,
  nodePath: string,
  routerType: unknown,
  steps: unknown[],
  nodeNames: readonly string[],
  out: Out,
): void {
  const seen = new Set<string>();
  let weight = 0;
  let weightsOk = true;
  steps.forEach((raw, i) => {
    const path = child(child(nodePath, 'steps'), i);
    if (!isObject(raw, path, out)) {
      weightsOk = false;
      return;
    }
    unknownFields(raw, STEP_FIELDS, path, out);
    for (const f of ['name', 'nodeName', 'serviceName', 'serviceUrl', 'data', 'condition']) {
      if (present(raw[f])) isString(raw[f], child(path, f), out);
    }
    if (present(raw['dependency'])) isOneOf(raw['dependency'], STEP_DEPENDENCIES, child(path, 'dependency'), out);
    const step = raw as InferenceStep;
    const stepName = typeof step.name === 'string' ? step.name : '';
    if (stepName !== '') {
      if (seen.has(stepName))
        out.push({ path: child(path, 'name'), message: graphMessages.duplicateStep(nodeName, graph, stepName) });
      seen.add(stepName);
    }
    const targets = (['nodeName', 'serviceName', 'serviceUrl'] as const).filter(
      (f) => step[f] !== undefined && step[f] !== '',
    );
    if (targets.length === 0)
      out.push({ path, message: graphMessages.targetNotProvided(i, stepName, nodeName, graph) });
    else if (targets.length > 1) out.push({ path, message: graphMessages.invalidTarget(i, stepName, nodeName, graph) });
    if (typeof step.nodeName === 'string' && step.nodeName !== '' && !nodeNames.includes(step.nodeName)) {
      out.push({
        path: child(path, 'nodeName'),
        message: `node "${step.nodeName}" is not defined in spec.nodes (defined: ${nodeNames.map((n) => JSON.stringify(n)).join(', ')})`,
      });
    }
    if (typeof step.serviceUrl === 'string' && step.serviceUrl !== '' && !/^https?:\/\//.test(step.serviceUrl)) {
      out.push({
        path: child(path, 'serviceUrl'),
        message: `must be an http:// or https:// URL, got "${step.serviceUrl}"`,
      });
    }
    if (typeof step.data === 'string' && step.data !== '' && step.data !== '$request' && step.data !== '$response') {
      out.push({ path: child(path, 'data'), message: `must be "$request" or "$response", got "${step.data}"` });
    }
    if (routerType === 'Splitter') {
      if (step.weight === undefined) {
        out.push({
          path: child(path, 'weight'),
          message: graphMessages.weightNotProvided(graph, nodeName, step.serviceName ?? ''),
        });
        weightsOk = false;
      } else if (isInt(step.weight, child(path, 'weight'), out, { min: 0, max: 100 })) weight += step.weight;
      else weightsOk = false;
    } else if (present(step.weight)) isInt(step.weight, child(path, 'weight'), out, { min: 0, max: 100 });
  });
  if (routerType === 'Splitter' && weightsOk && weight !== 100) {
    out.push({
      path: child(nodePath, 'steps'),
      message: `${graphMessages.invalidWeight(graph, nodeName)} (got ${weight})`,
    });
  }
}

/** inferd's graph annotations (docs/graphs.md). */
export const GRAPH_ANNOTATIONS = {
  stepTimeout: 'serving.inferd.dev/step-timeout',
  propagateHeaders: 'serving.inferd.dev/propagate-headers',
  conditionMissStatus: 'serving.inferd.dev/sequence-condition-miss-status',
} as const;

function annotationProblems(annotations: Record<string, string> | undefined, out: Out): void {
  if (!annotations || typeof annotations !== 'object') return;
  const at = (key: string) => child('metadata.annotations', key);
  const timeout = annotations[GRAPH_ANNOTATIONS.stepTimeout];
  if (typeof timeout === 'string') {
    const ms = parseGoDurationMs(timeout);
    if (ms === undefined || ms <= 0)
      out.push({
        path: at(GRAPH_ANNOTATIONS.stepTimeout),
        message: `must be a positive duration such as "30s" or "2m", got "${timeout}"`,
      });
  }
  const patterns = annotations[GRAPH_ANNOTATIONS.propagateHeaders];
  if (typeof patterns === 'string') {
    for (const p of patterns.split(',')) {
      try {
        new RegExp(p.trim());
      } catch (err) {
        out.push({
          path: at(GRAPH_ANNOTATIONS.propagateHeaders),
          message: `failed to compile pattern ${JSON.stringify(p.trim())}: ${(err as Error).message}`,
        });
      }
    }
  }
  const miss = annotations[GRAPH_ANNOTATIONS.conditionMissStatus];
  if (typeof miss === 'string' && miss !== '200' && miss !== '500') {
    out.push({
      path: at(GRAPH_ANNOTATIONS.conditionMissStatus),
      message: `must be "500" (KServe 0.12.1) or "200" (KServe 0.15+), got "${miss}"`,
    });
  }
}

/**
 * A cycle through `nodeName` steps, reported once at the node where it closes, with its path
 * (`root → a → b → a`). Nodes the root cannot reach are checked too: they may be reached after an update.
 */
export function cycleProblems(nodes: Record<string, InferenceRouter>): Problem[] {
  const out: Problem[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    (nodes[node]?.steps ?? []).forEach((step, i) => {
      const next = step.nodeName;
      if (!next || !Object.hasOwn(nodes, next)) return;
      if (state.get(next) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        out.push({
          path: child(child(child('spec.nodes', node), 'steps'), i) + '.nodeName',
          message: `cycle through nodeName: ${cycle.join(' → ')}; a graph must not call a node it is part of`,
        });
      } else if (state.get(next) !== 'done') visit(next);
    });
    stack.pop();
    state.set(node, 'done');
  };
  const order = [ROOT_NODE, ...Object.keys(nodes).sort()].filter((n) => Object.hasOwn(nodes, n));
  for (const n of order) if (!state.has(n)) visit(n);
  return out;
}
