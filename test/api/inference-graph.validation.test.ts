// InferenceGraph admission: KServe's webhook messages at JSON paths, enums, unknown nodes and cycles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admit } from '../../src/api/admission.js';
import { withBuiltinRuntimes } from '../../src/api/serving-runtimes.js';
import type { Resource } from '../../src/api/types.js';
import { InferdError } from '../../src/errors.js';

const ctx = { runtimes: withBuiltinRuntimes([]), servedFormats: ['sklearn'] };

function graph(name: string, nodes: unknown, extra: Record<string, unknown> = {}): Resource {
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'InferenceGraph',
    metadata: { name },
    spec: { nodes, ...extra },
  };
}

function problems(obj: Resource): { path: string; message: string }[] {
  try {
    admit(obj, 'CREATE', undefined, ctx);
  } catch (err) {
    assert.ok(err instanceof InferdError);
    assert.equal(err.code, 'INVALID_MANIFEST');
    return (err.details as { causes: { path: string; message: string }[] }).causes;
  }
  return [];
}

test('a valid Sequence graph is admitted and defaulted into the default namespace', () => {
  const out = admit(
    graph('model-chainer', {
      root: { routerType: 'Sequence', steps: [{ serviceName: 'a' }, { serviceName: 'b', data: '$response' }] },
    }),
    'CREATE',
    undefined,
    ctx,
  );
  assert.equal(out.metadata.namespace, 'default');
});

test('rejects a graph without a root node at spec.nodes.root with KServe message', () => {
  const p = problems(graph('g', { other: { routerType: 'Sequence', steps: [{ serviceName: 'a' }] } }));
  assert.deepEqual(p, [
    {
      path: 'spec.nodes.root',
      message: "root node not found, InferenceGraph needs a node with name 'root' as the root node of the graph",
    },
  ]);
});

test('rejects a bad graph name at metadata.name with KServe message only', () => {
  const p = problems(graph('1-bad', { root: { routerType: 'Sequence', steps: [{ serviceName: 'a' }] } }));
  assert.equal(p.length, 1);
  assert.equal(p[0]!.path, 'metadata.name');
  assert.equal(
    p[0]!.message,
    `The InferenceGraph "1-bad" is invalid: a InferenceGraph name must consist of lower case alphanumeric characters or '-', and must start with alphabetical character. (e.g. "my-name" or "abc-123", regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
  );
});

test('rejects a step with no target, and one with two, at the step path', () => {
  const p = problems(
    graph('g', {
      root: {
        routerType: 'Sequence',
        steps: [{ name: 's0' }, { name: 's1', serviceName: 'a', serviceUrl: 'http://x/' }],
      },
    }),
  );
  assert.deepEqual(p, [
    {
      path: 'spec.nodes.root.steps[0]',
      message: 'Step 0 ("s0") in node "root" of InferenceGraph "g" does not specify an inference target',
    },
    {
      path: 'spec.nodes.root.steps[1]',
      message:
        'Step 1 ("s1") in node "root" of InferenceGraph "g" specifies more than one of nodeName, serviceName, serviceUrl',
    },
  ]);
});

test('rejects Splitter weights that are missing or do not add up to 100', () => {
  const missing = problems(graph('g', { root: { routerType: 'Splitter', steps: [{ serviceName: 'a' }] } }));
  assert.deepEqual(missing, [
    { path: 'spec.nodes.root.steps[0].weight', message: "InferenceGraph[g] Node[root] Route[a] missing the 'Weight'" },
  ]);
  const sum = problems(
    graph('g', {
      root: {
        routerType: 'Splitter',
        steps: [
          { serviceName: 'a', weight: 30 },
          { serviceName: 'b', weight: 60 },
        ],
      },
    }),
  );
  assert.equal(sum[0]!.path, 'spec.nodes.root.steps');
  assert.match(
    sum[0]!.message,
    /^InferenceGraph\[g\] Node\[root\] splitter node: the sum of traffic weights for all routing targets should be 100/,
  );
});

test('rejects duplicate step names, unknown routerType and dependency', () => {
  const p = problems(
    graph('g', {
      root: {
        routerType: 'Sequense',
        steps: [
          { name: 'x', serviceName: 'a', dependency: 'Strong' },
          { name: 'x', serviceName: 'b' },
        ],
      },
    }),
  );
  const paths = p.map((x) => x.path);
  assert.deepEqual(paths, [
    'spec.nodes.root.routerType',
    'spec.nodes.root.steps[0].dependency',
    'spec.nodes.root.steps[1].name',
  ]);
  assert.equal(p[2]!.message, 'Node "root" of InferenceGraph "g" contains more than one step with name "x"');
  assert.match(p[0]!.message, /did you mean "Sequence"/);
});

test('rejects a nodeName naming no node', () => {
  const p = problems(graph('g', { root: { routerType: 'Sequence', steps: [{ nodeName: 'nope' }] } }));
  assert.equal(p[0]!.path, 'spec.nodes.root.steps[0].nodeName');
  assert.match(p[0]!.message, /node "nope" is not defined in spec.nodes/);
});

test('rejects a cycle through nodeName at apply time with the path of the cycle', () => {
  const p = problems(
    graph('g', {
      root: { routerType: 'Sequence', steps: [{ serviceName: 'a' }, { nodeName: 'n1' }] },
      n1: { routerType: 'Switch', steps: [{ nodeName: 'n2', condition: 'x' }] },
      n2: { routerType: 'Ensemble', steps: [{ serviceName: 'b' }, { nodeName: 'n1' }] },
    }),
  );
  assert.deepEqual(p, [
    {
      path: 'spec.nodes.n2.steps[1].nodeName',
      message: 'cycle through nodeName: n1 → n2 → n1; a graph must not call a node it is part of',
    },
  ]);
  const self = problems(graph('g', { root: { routerType: 'Sequence', steps: [{ nodeName: 'root' }] } }));
  assert.equal(self[0]!.message, 'cycle through nodeName: root → root; a graph must not call a node it is part of');
});

test('rejects bad graph annotations: step timeout and propagate-header patterns', () => {
  const g = graph('g', { root: { routerType: 'Sequence', steps: [{ serviceName: 'a' }] } });
  g.metadata.annotations = {
    'serving.inferd.dev/step-timeout': 'soon',
    'serving.inferd.dev/propagate-headers': 'X-[a',
  };
  const paths = problems(g).map((x) => x.path);
  assert.deepEqual(paths, [
    'metadata.annotations["serving.inferd.dev/step-timeout"]',
    'metadata.annotations["serving.inferd.dev/propagate-headers"]',
  ]);
});
