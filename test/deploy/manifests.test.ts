// deploy/kustomize and deploy/helm (issue 19 items 4 and 5a): every Kubernetes object validates against the
// official OpenAPI schemas (kubernetes-models), the kustomizations build (kubectl kustomize when present),
// the objects fit together (selectors, ports, service accounts), RBAC is the contract's least-privilege list,
// and the Helm chart's templates hold the same objects (Helm is not installable here: text checks, see
// docs/kubernetes.md).

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { generateCrds } from '../../src/k8s/crds.js';
import { repoRoot } from '../helpers/paths.js';
import { validateK8sObject } from '../support/k8s-validate.js';

// biome-ignore lint/suspicious/noExplicitAny: manifests are walked by path; each step is asserted
type Obj = Record<string, any>;
const DEPLOY = join(repoRoot, 'deploy');
const BASE = join(DEPLOY, 'kustomize', 'base');
const EXAMPLES = join(DEPLOY, 'kustomize', 'examples');
const CHART = join(DEPLOY, 'helm', 'inferd');
const VERSION = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const IMAGE = `ghcr.io/inferd/inferd:${VERSION}`;

function docs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    const v = d.toJS() as Obj | null;
    return v ? [v] : [];
  });
}

/** The objects a kustomization lists (resources: files or directories with their own kustomization). */
function kustomize(dir: string): Obj[] {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[]; namespace?: string };
  return k.resources.flatMap((r) => {
    const path = join(dir, r);
    assert.ok(existsSync(path), `${relative(repoRoot, dir)}: resource ${r} exists`);
    const objs = existsSync(join(path, 'kustomization.yaml')) ? kustomize(path) : docs(path);
    return objs.map((o) =>
      k.namespace && o['metadata']?.['namespace'] !== undefined
        ? { ...o, metadata: { ...o['metadata'], namespace: k.namespace } }
        : o,
    );
  });
}

const yamlFiles = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));

const base = kustomize(BASE);
const find = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x['kind'] === kind && x['metadata']?.['name'] === name);
  assert.ok(o, `${kind} ${name} exists`);
  return o;
};

test('every object under deploy/kustomize validates against the official Kubernetes schemas', async (t) => {
  let n = 0;
  for (const file of yamlFiles(join(DEPLOY, 'kustomize'))) {
    if (file.endsWith('kustomization.yaml')) continue;
    for (const obj of docs(file)) {
      const where = `${relative(repoRoot, file)}: ${obj['kind']} ${obj['metadata']?.['name']}`;
      if (obj['apiVersion'] === 'gateway.networking.k8s.io/v1') continue; // checked below: no official schema
      assert.deepEqual(await validateK8sObject(obj), [], where);
      n++;
    }
  }
  t.diagnostic(`${n} objects validated`);
  assert.ok(n >= 20, `found the objects (${n})`);
});

test('the official-schema check rejects a broken Deployment (the check can fail)', async () => {
  const d = structuredClone(find(base, 'Deployment', 'inferd-gateway'));
  d['spec']['replicas'] = 'two';
  delete d['spec']['template']['spec']['containers'][0]['name'];
  const problems = await validateK8sObject(d);
  assert.ok(
    problems.some((p) => p.startsWith('/spec/replicas')),
    problems.join('; '),
  );
  assert.ok(
    problems.some((p) => p.includes('name')),
    problems.join('; '),
  );
  assert.deepEqual(await validateK8sObject({ apiVersion: 'example.com/v1', kind: 'Nope' }), [
    'example.com/v1/Nope: no official schema in kubernetes-models',
  ]);
});

test('kubectl kustomize builds the base and the examples into the same objects', (t) => {
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (kubectl.status !== 0) {
    if (process.env['CI'] === 'true') assert.fail('kubectl is not installed (.ci/run installs it)');
    t.skip('kubectl is not installed');
    return;
  }
  const build = (dir: string) =>
    parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map((d) => d.toJS() as Obj);
  const key = (o: Obj) => `${o['kind']}/${o['metadata']?.['namespace'] ?? ''}/${o['metadata']?.['name']}`;
  const built = build(BASE);
  assert.deepEqual(built.map(key).sort(), base.map(key).sort());
  for (const o of built) {
    if (o['kind'] !== 'CustomResourceDefinition' && o['kind'] !== 'Namespace' && !o['kind'].startsWith('Cluster')) {
      assert.equal(o['metadata']['namespace'], 'inferd-system', key(o));
    }
  }
  const examples = build(EXAMPLES);
  // The model-namespace NetworkPolicy keeps its own namespace (the base's namespace applies to the base only).
  assert.equal(find(examples, 'NetworkPolicy', 'inferd-model-servers')['metadata']['namespace'], 'kserve-test');
  assert.ok(find(examples, 'Ingress', 'inferd-gateway'));
});

test("deploy/'s CRDs are `inferd crds` output (kustomize base and Helm chart)", () => {
  const expected = JSON.parse(JSON.stringify(generateCrds())) as Obj[];
  const hint =
    'regenerate: node dist/src/cli/main.js crds > deploy/kustomize/base/crds.yaml (and deploy/helm/inferd/crds/)';
  assert.deepEqual(docs(join(BASE, 'crds.yaml')), expected, hint);
  assert.deepEqual(docs(join(CHART, 'crds', 'crds.yaml')), expected, hint);
});

/** The contract's RBAC list (docs/kubernetes.md, "RBAC"): group → resource → verbs. */
const ALL_BUT_DELETECOLLECTION = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const READ = ['get', 'list', 'watch'];
const OPERATOR_RULES: Record<string, string[]> = {
  'serving.kserve.io/inferenceservices': ['get', 'list', 'patch', 'update', 'watch'],
  'serving.kserve.io/inferenceservices/status': ['get', 'list', 'patch', 'update', 'watch'],
  'serving.kserve.io/inferenceservices/finalizers': ['get', 'list', 'patch', 'update', 'watch'],
  'serving.kserve.io/servingruntimes': ['get', 'list', 'patch', 'update', 'watch'],
  'serving.kserve.io/clusterservingruntimes': ['get', 'list', 'patch', 'update', 'watch'],
  'serving.kserve.io/inferencegraphs': ['get', 'list', 'patch', 'update', 'watch'],
  'serving.kserve.io/inferencegraphs/status': ['get', 'list', 'patch', 'update', 'watch'],
  'serving.kserve.io/trainedmodels': ['get', 'list', 'patch', 'update', 'watch'],
  'apps/deployments': ALL_BUT_DELETECOLLECTION,
  'apps/deployments/scale': ALL_BUT_DELETECOLLECTION,
  '/services': ALL_BUT_DELETECOLLECTION,
  '/endpoints': READ,
  '/events': ['create', 'patch'],
  '/secrets': READ,
  '/serviceaccounts': READ,
  'discovery.k8s.io/endpointslices': READ,
  'autoscaling/horizontalpodautoscalers': ALL_BUT_DELETECOLLECTION,
};

/** A role's rules flattened to group/resource → sorted verbs. */
function grants(role: Obj): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const rule of role['rules'] as Obj[]) {
    for (const g of rule['apiGroups'] as string[]) {
      for (const r of rule['resources'] as string[]) {
        out[`${g}/${r}`] = [...new Set([...(out[`${g}/${r}`] ?? []), ...(rule['verbs'] as string[])])].sort();
      }
    }
  }
  return out;
}

test("RBAC is least privilege: the operator gets the contract's list, the Lease only in its namespace, the gateway reads", () => {
  const roles = base.filter((o) => o['kind'] === 'ClusterRole' || o['kind'] === 'Role');
  for (const role of roles) {
    for (const rule of role['rules'] as Obj[]) {
      for (const field of ['apiGroups', 'resources', 'verbs']) {
        assert.ok(!(rule[field] as string[]).includes('*'), `${role['metadata']['name']}: no wildcard ${field}`);
      }
      assert.ok(!(rule['verbs'] as string[]).includes('deletecollection'));
      assert.equal(rule['nonResourceURLs'], undefined);
    }
  }
  assert.deepEqual(grants(find(base, 'ClusterRole', 'inferd-operator')), OPERATOR_RULES);
  const lease = find(base, 'Role', 'inferd-operator-leader-election');
  assert.equal(lease['metadata']['namespace'], 'inferd-system');
  assert.deepEqual(grants(lease), { 'coordination.k8s.io/leases': ['create', 'get', 'update'] });
  const gateway = grants(find(base, 'ClusterRole', 'inferd-gateway'));
  for (const [resource, verbs] of Object.entries(gateway)) assert.deepEqual(verbs, READ, `gateway ${resource}`);
  // Each binding names an existing role and ServiceAccount.
  for (const b of base.filter((o) => o['kind'] === 'ClusterRoleBinding' || o['kind'] === 'RoleBinding')) {
    find(base, b['roleRef']['kind'], b['roleRef']['name']);
    for (const s of b['subjects'] as Obj[]) {
      assert.equal(find(base, 'ServiceAccount', s['name'])['metadata']['namespace'], s['namespace']);
    }
  }
});

test('Deployments run the image as uid 65532, restricted, with resources; the gateway has probes and a Service', () => {
  for (const name of ['inferd-operator', 'inferd-gateway']) {
    const d = find(base, 'Deployment', name);
    const pod = d['spec']['template']['spec'];
    assert.deepEqual(
      d['spec']['selector']['matchLabels'],
      pick(d['spec']['template']['metadata']['labels'], d['spec']['selector']['matchLabels']),
    );
    find(base, 'ServiceAccount', pod['serviceAccountName']);
    assert.deepEqual(pod['securityContext'], {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.ok(d['spec']['replicas'] >= 2, `${name}: two replicas, so a PDB can let a drain through`);
    for (const c of pod['containers'] as Obj[]) {
      assert.equal(c['image'], IMAGE, `${name}: the image of this version`);
      assert.deepEqual(c['securityContext'], {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      assert.ok(c['resources']['requests']['cpu'] && c['resources']['requests']['memory'], `${name}: requests`);
      assert.ok(c['resources']['limits']['memory'], `${name}: a memory limit`);
      // A read-only root still needs a writable /tmp.
      assert.ok((c['volumeMounts'] as Obj[]).some((m) => m['mountPath'] === '/tmp'));
      assert.equal(c['args'][0], name.replace('inferd-', ''), 'the subcommand is the first arg (ENTRYPOINT is inferd)');
    }
    const pdb = find(base, 'PodDisruptionBudget', name);
    assert.deepEqual(pdb['spec']['selector']['matchLabels'], d['spec']['selector']['matchLabels']);
  }
  const gw = find(base, 'Deployment', 'inferd-gateway')['spec']['template'];
  const c = gw['spec']['containers'][0];
  const portNames = (c['ports'] as Obj[]).map((p) => p['name']);
  for (const probe of ['readinessProbe', 'livenessProbe']) {
    assert.ok(portNames.includes(c[probe]['httpGet']['port']), `${probe} on a declared port`);
  }
  assert.equal(c['readinessProbe']['httpGet']['path'], '/readyz');
  assert.equal(c['livenessProbe']['httpGet']['path'], '/healthz');
  assert.equal(c['args'][c['args'].indexOf('--port') + 1], String(c['ports'][0]['containerPort']));
  const svc = find(base, 'Service', 'inferd-gateway');
  assert.deepEqual(svc['spec']['selector'], pick(gw['metadata']['labels'], svc['spec']['selector']));
  assert.ok(portNames.includes(svc['spec']['ports'][0]['targetPort']));
});

test('the Ingress and HTTPRoute examples send traffic to the gateway Service', () => {
  const svc = find(base, 'Service', 'inferd-gateway');
  const ingress = docs(join(EXAMPLES, 'ingress.yaml'))[0]!;
  const backend = ingress['spec']['rules'][0]['http']['paths'][0]['backend']['service'];
  assert.equal(backend['name'], svc['metadata']['name']);
  assert.equal(backend['port']['name'], svc['spec']['ports'][0]['name']);
  // No official schema for Gateway API kinds in kubernetes-models: the fields that matter, by hand.
  const route = docs(join(EXAMPLES, 'httproute.yaml'))[0]!;
  assert.equal(route['apiVersion'], 'gateway.networking.k8s.io/v1');
  assert.equal(route['kind'], 'HTTPRoute');
  assert.ok((route['spec']['parentRefs'] as Obj[]).every((p) => typeof p['name'] === 'string'));
  const ref = route['spec']['rules'][0]['backendRefs'][0];
  assert.deepEqual([ref['name'], ref['port']], [svc['metadata']['name'], svc['spec']['ports'][0]['port']]);
  assert.equal(route['metadata']['namespace'], svc['metadata']['namespace'], 'a backendRef in its own namespace');
});

/** `labels` restricted to the keys of `like` (a selector must be a subset of the pod's labels). */
function pick(labels: Obj, like: Obj): Obj {
  return Object.fromEntries(Object.keys(like).map((k) => [k, labels[k]]));
}

// ---- Helm: no helm binary here (docs/kubernetes.md), so the chart is checked as text ----

const templates = readdirSync(join(CHART, 'templates')).filter((f) => f.endsWith('.yaml'));
const templateText = (f: string) => readFileSync(join(CHART, 'templates', f), 'utf8');
const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Obj;

test('the chart is versioned with the package and its image default is the same image', () => {
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Obj;
  assert.equal(chart['apiVersion'], 'v2');
  assert.equal(chart['appVersion'], VERSION);
  assert.equal(`${values['image']['repository']}:${values['image']['tag'] || chart['appVersion']}`, IMAGE);
});

test('every .Values path a template reads is defined in values.yaml', () => {
  const files = [...templates, '_helpers.tpl', 'NOTES.txt'];
  for (const f of files) {
    for (const m of templateText(f).matchAll(/\.Values((?:\.\w+)+)/g)) {
      let node: unknown = values;
      for (const key of m[1]!.slice(1).split('.')) {
        assert.ok(node && typeof node === 'object' && key in node, `${f}: .Values${m[1]} is in values.yaml`);
        node = (node as Obj)[key];
      }
    }
  }
});

test('template actions are balanced: every if/range/with/define has its end', () => {
  for (const f of [...templates, '_helpers.tpl']) {
    const text = templateText(f);
    const opens = text.match(/\{\{-?\s*(if|range|with|define)\b/g)?.length ?? 0;
    const ends = text.match(/\{\{-?\s*end\s*-?\}\}/g)?.length ?? 0;
    assert.equal(opens, ends, `${f}: ${opens} blocks, ${ends} ends`);
    assert.equal(text.match(/\{\{/g)?.length ?? 0, text.match(/\}\}/g)?.length ?? 0, `${f}: {{ and }} pair up`);
  }
});

/** A template's documents with the lines that hold template actions removed: the static YAML around them. */
function staticDocs(f: string): Obj[] {
  const text = templateText(f)
    .split('\n')
    .filter((l) => !l.includes('{{'))
    .join('\n');
  return parseAllDocuments(text).flatMap((d) => {
    const v = d.toJS() as Obj | null;
    return v?.['kind'] ? [v] : [];
  });
}

test('the chart renders the kinds of the base, with the same RBAC rules, probes and security settings', () => {
  const chartObjs = templates.flatMap(staticDocs);
  const key = (o: Obj) => `${o['kind']}/${o['metadata']?.['name'] ?? ''}`;
  const baseKeys = base.filter((o) => !['CustomResourceDefinition', 'Namespace'].includes(o['kind'])).map(key);
  // pdb.yaml loops over the components: its names come from the range, not the text.
  const chartKeys = new Set(chartObjs.map(key));
  for (const k of baseKeys) {
    const [kind] = k.split('/');
    assert.ok(
      chartKeys.has(k) || (kind === 'PodDisruptionBudget' && chartKeys.has('PodDisruptionBudget/')),
      `chart has ${k}`,
    );
  }
  for (const kind of ['ClusterRole', 'Role']) {
    for (const role of base.filter((o) => o['kind'] === kind)) {
      assert.deepEqual(find(chartObjs, kind, role['metadata']['name'])['rules'], role['rules'], `${kind} rules`);
    }
  }
  for (const name of ['inferd-operator', 'inferd-gateway']) {
    const baseContainer = find(base, 'Deployment', name)['spec']['template']['spec']['containers'][0];
    const chartContainer = find(chartObjs, 'Deployment', name)['spec']['template']['spec']['containers'][0];
    assert.deepEqual(chartContainer['readinessProbe'], baseContainer['readinessProbe'], `${name} readiness`);
    assert.deepEqual(chartContainer['livenessProbe'], baseContainer['livenessProbe'], `${name} liveness`);
    const component = name.replace('inferd-', '');
    assert.deepEqual(values[component]['resources'], baseContainer['resources'], `${name} resources`);
    assert.deepEqual(values['containerSecurityContext'], baseContainer['securityContext']);
    assert.deepEqual(
      values['podSecurityContext'],
      find(base, 'Deployment', name)['spec']['template']['spec']['securityContext'],
    );
    assert.match(templateText(`${component}.yaml`), /securityContext:\n\s+\{\{- toYaml \.Values\.podSecurityContext/);
  }
  // Optional objects are off unless asked for; the PDB is on.
  assert.deepEqual(
    [values['ingress']['enabled'], values['httpRoute']['enabled'], values['networkPolicy']['enabled']],
    [false, false, false],
  );
  assert.equal(values['podDisruptionBudget']['enabled'], true);
});
