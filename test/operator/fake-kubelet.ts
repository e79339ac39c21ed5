// Plays kubelet (and the ReplicaSet and EndpointSlice controllers) for the operator's tests: for each
// Deployment it runs the pods as real processes — the init container's `inferd storage-initializer` first,
// as a pod would, then the `inferd model-server` container, both from the Deployment's own args — on free
// loopback ports instead of pod IPs; marks the Deployment available; and publishes one EndpointSlice per
// ready pod for every Service whose selector matches it (owned by the Service, so deleting it cleans up).

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource, Secret } from '../../src/api/types.js';
import { silentLogger } from '../../src/log.js';
import { Informer } from '../../src/operator/informer.js';
import type { KubeClient } from '../../src/operator/kube-client.js';
import { cliEntry } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
}
interface DeploymentSpec {
  replicas?: number;
  template: {
    metadata: { labels: Record<string, string> };
    spec: { initContainers?: Container[]; containers: Container[] };
  };
}

interface Pod {
  name: string;
  deployment: string;
  namespace: string;
  templateKey: string;
  labels: Record<string, string>;
  proc?: ChildProcess;
  dir: string;
  httpPort: number;
  grpcPort: number;
  ready: boolean;
  stopped: boolean;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export class FakeKubelet {
  readonly #client: KubeClient;
  readonly #deployments: Informer;
  readonly #services: Informer;
  readonly pods = new Map<string, Pod>();
  /** Pods started so far, stopped ones included (what a test can count after a scale-down). */
  podsStarted = 0;
  #chain: Promise<void> = Promise.resolve();
  #seq = 0;
  #closed = false;
  /** Init-container failures, for tests of a model that cannot be fetched. */
  readonly failures: string[] = [];

  constructor(client: KubeClient) {
    this.#client = client;
    const onChange = () => this.#schedule();
    this.#deployments = new Informer({ client, kind: 'Deployment', log: silentLogger, onChange });
    this.#services = new Informer({ client, kind: 'Service', log: silentLogger, onChange });
  }

  async start(): Promise<void> {
    this.#deployments.start();
    this.#services.start();
    await Promise.all([this.#deployments.synced, this.#services.synced]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#deployments.stop();
    this.#services.stop();
    await this.#chain.catch(() => {});
    await Promise.all([...this.pods.values()].map((p) => this.#kill(p)));
  }

  /** Serialised: one sync pass at a time, each after the last. */
  #schedule(): void {
    this.#chain = this.#chain.then(() => (this.#closed ? undefined : this.#sync())).catch(() => {});
  }

  async #sync(): Promise<void> {
    const live = new Map(this.#deployments.items().map((d) => [`${d.metadata.namespace}/${d.metadata.name}`, d]));
    // Pods of deleted Deployments, or of an old template, or beyond the replica count, stop.
    for (const pod of [...this.pods.values()]) {
      const d = live.get(`${pod.namespace}/${pod.deployment}`);
      if (!d || templateKey(d) !== pod.templateKey) await this.#kill(pod);
    }
    for (const d of live.values()) {
      const spec = d.spec as DeploymentSpec;
      const want = spec.replicas ?? 1;
      const mine = [...this.pods.values()].filter(
        (p) => p.namespace === d.metadata.namespace && p.deployment === d.metadata.name,
      );
      for (const extra of mine.slice(want)) await this.#kill(extra);
      for (let i = mine.length; i < want; i++) await this.#startPod(d);
      await this.#reportStatus(d);
    }
    await this.#publishSlices();
  }

  async #startPod(d: Resource): Promise<void> {
    const spec = d.spec as DeploymentSpec;
    const ns = d.metadata.namespace as string;
    const pod: Pod = {
      name: `${d.metadata.name}-${++this.#seq}`,
      deployment: d.metadata.name,
      namespace: ns,
      templateKey: templateKey(d),
      labels: spec.template.metadata.labels,
      dir: mkdtempSync(join(tmpdir(), 'inferd-pod-')),
      httpPort: await freePort(),
      grpcPort: await freePort(),
      ready: false,
      stopped: false,
    };
    this.pods.set(`${ns}/${pod.name}`, pod);
    this.podsStarted++;
    const models = join(pod.dir, 'models');
    const subst = (args: string[]) =>
      args.map((a, i) => {
        if (args[i - 1] === '--http_port') return String(pod.httpPort);
        if (args[i - 1] === '--grpc_port') return String(pod.grpcPort);
        return a.split('/mnt/models').join(models);
      });
    for (const c of spec.template.spec.initContainers ?? []) {
      const env = await this.#envOf(ns, c);
      const child = spawn(process.execPath, [cliEntry, ...subst(c.args ?? [])], {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) {
        this.failures.push(`${pod.name}: ${c.name} exited ${code}: ${stderr.trim().split('\n').pop()}`);
        return;
      }
    }
    const main = spec.template.spec.containers[0]!;
    const env = await this.#envOf(ns, main);
    pod.proc = spawn(process.execPath, [cliEntry, ...subst(main.args ?? []), '--http_host', '127.0.0.1'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'ignore', process.env['INFERD_TEST_LOG'] ? 'inherit' : 'ignore'],
    });
    pod.proc.once('exit', () => {
      pod.ready = false;
    });
    // The readiness probe: /v2/health/ready every 50 ms for at most 30 s.
    const deadline = Date.now() + 30_000;
    const proc = pod.proc;
    while (!pod.stopped && proc.exitCode === null && proc.signalCode === null && Date.now() < deadline) {
      if (await probe(pod.httpPort)) {
        pod.ready = true;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async #envOf(ns: string, c: Container): Promise<NodeJS.ProcessEnv> {
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'] };
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) {
        const s = await this.#client.find<Secret>('Secret', ns, ref.name);
        const v = s?.data?.[ref.key];
        if (v !== undefined) env[e.name] = Buffer.from(v, 'base64').toString('utf8');
      }
    }
    return env;
  }

  async #kill(pod: Pod): Promise<void> {
    pod.stopped = true;
    this.pods.delete(`${pod.namespace}/${pod.name}`);
    // As Kubernetes does: the pod leaves its Services' endpoints before it is stopped.
    if (pod.ready && !this.#closed) {
      pod.ready = false;
      await this.#publishSlices().catch(() => {}); // the API may be gone already (test teardown)
    }
    const p = pod.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = once(p, 'exit');
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(pod.dir, { recursive: true, force: true });
  }

  async #reportStatus(d: Resource): Promise<void> {
    const mine = [...this.pods.values()].filter(
      (p) => p.namespace === d.metadata.namespace && p.deployment === d.metadata.name,
    );
    const ready = mine.filter((p) => p.ready).length;
    const want = (d.spec as DeploymentSpec).replicas ?? 1;
    const status = {
      observedGeneration: d.metadata.generation,
      replicas: mine.length,
      readyReplicas: ready,
      availableReplicas: ready,
      updatedReplicas: mine.length,
      conditions: [
        {
          type: 'Available',
          status: ready >= want ? 'True' : 'False',
          reason: ready >= want ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        },
      ],
    };
    if (JSON.stringify(d.status ?? {}) === JSON.stringify(status)) return;
    try {
      await this.#client.mergePatch('Deployment', d.metadata.namespace, d.metadata.name, { status }, 'status');
    } catch {
      // deleted meanwhile: the next pass sees it gone
    }
  }

  /** One EndpointSlice per ready pod and matching Service (each pod has its own port here). */
  async #publishSlices(): Promise<void> {
    const wanted = new Map<string, Resource>();
    for (const svc of this.#services.items()) {
      const selector = (svc.spec as { selector?: Record<string, string> }).selector ?? {};
      for (const pod of this.pods.values()) {
        if (pod.namespace !== svc.metadata.namespace || !pod.ready) continue;
        if (!Object.entries(selector).every(([k, v]) => pod.labels[k] === v)) continue;
        const name = `${svc.metadata.name}-${pod.name.split('-').pop()}`;
        wanted.set(`${pod.namespace}/${name}`, {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            name,
            namespace: pod.namespace,
            labels: { 'kubernetes.io/service-name': svc.metadata.name },
            ownerReferences: [
              {
                apiVersion: 'v1',
                kind: 'Service',
                name: svc.metadata.name,
                uid: svc.metadata.uid ?? '',
                controller: true,
              },
            ],
          },
          addressType: 'IPv4',
          endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
          ports: [
            { name: 'http1', port: pod.httpPort, protocol: 'TCP' },
            { name: 'grpc', port: pod.grpcPort, protocol: 'TCP' },
          ],
        });
      }
    }
    const existing = (await this.#client.list<Resource>('EndpointSlice')).items;
    for (const s of existing) {
      if (!wanted.has(`${s.metadata.namespace}/${s.metadata.name}`)) {
        await this.#client.delete('EndpointSlice', s.metadata.namespace, s.metadata.name).catch(() => {});
      }
    }
    for (const [key, s] of wanted) {
      if (existing.some((e) => `${e.metadata.namespace}/${e.metadata.name}` === key)) continue;
      await this.#client.create(s).catch(() => {});
    }
  }
}

/** Pods are replaced when the pod template changes (a new ReplicaSet in Kubernetes). */
function templateKey(d: Resource): string {
  return JSON.stringify((d.spec as DeploymentSpec).template);
}

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = net.connect(port, '127.0.0.1');
    req.once('error', () => resolve(false));
    req.once('connect', () => {
      req.end('GET /v2/health/ready HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      let buf = '';
      req.on('data', (b: Buffer) => {
        buf += b.toString();
      });
      req.once('close', () => resolve(buf.startsWith('HTTP/1.1 200')));
    });
    req.setTimeout(1000, () => req.destroy());
  });
}
