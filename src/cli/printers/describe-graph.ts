// `inferd describe ig`: an InferenceGraph's nodes, each step with the target it resolves to (a service's
// predict URL, as KServe's controller resolves serviceName) and that service's readiness, then the status.

import type { InferenceGraph } from '../../api/inference-graph.js';
import type { InferenceService } from '../../api/types.js';
import { predictPath, protocolOf, serviceState } from '../../graph/graph-status.js';
import type { DescribeWriter } from './describe-writer.js';

export function describeInferenceGraph(
  w: DescribeWriter,
  graph: InferenceGraph,
  services: ReadonlyMap<string, InferenceService>,
): void {
  const ns = graph.metadata.namespace ?? 'default';
  const nodes = graph.spec?.nodes ?? {};
  w.field(0, 'Nodes');
  const names = Object.keys(nodes).sort((a, b) => (a === 'root' ? -1 : b === 'root' ? 1 : a.localeCompare(b)));
  for (const name of names) {
    const node = nodes[name]!;
    w.field(1, `${name} (${node.routerType})`);
    const rows: string[][] = [['Step', 'Target', 'Resolves To', 'Ready', 'Options']];
    (node.steps ?? []).forEach((step, i) => {
      const label = step.name ? `${i} ${step.name}` : String(i);
      const options = [
        step.dependency ? `dependency=${step.dependency}` : '',
        step.data ? `data=${step.data}` : '',
        step.weight !== undefined ? `weight=${step.weight}` : '',
        step.condition ? `condition=${step.condition}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      if (step.serviceName) {
        const isvc = services.get(step.serviceName);
        const st = serviceState(isvc);
        const url = `http://${step.serviceName}.${ns}.svc.cluster.local${predictPath(protocolOf(isvc), step.serviceName)}`;
        const ready = !st.exists ? 'NotFound' : st.ready ? 'True' : `False (${st.why ?? ''})`;
        rows.push([label, `service ${step.serviceName}`, url, ready, options]);
      } else if (step.serviceUrl) rows.push([label, 'url', step.serviceUrl, '-', options]);
      else rows.push([label, `node ${step.nodeName ?? ''}`, '-', '-', options]);
    });
    w.table(2, rows);
  }
}
