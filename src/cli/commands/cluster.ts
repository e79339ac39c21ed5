// The cluster-mode commands (issue 19): `inferd operator`, `inferd gateway` (routes from the cluster's
// EndpointSlices), and `inferd storage-initializer SRC_URI DEST_DIR` (KServe's init-container contract).
// Each is a long-running process entry or a one-shot, like `serve` and `model-server`.

import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InferdError, messageOf } from '../../errors.js';
import { createLogger, type Logger } from '../../log.js';
import { packageVersion } from '../../package.js';
import type { CliIo } from '../io.js';

type Values = Record<string, string | boolean | undefined>;

function parse(
  argv: readonly string[],
  options: Record<string, { type: 'string' | 'boolean' }>,
  io: CliIo,
  cmd: string,
) {
  try {
    return parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean' } }, allowPositionals: true });
  } catch (err) {
    io.stderr.write(`error: ${messageOf(err)}\nSee 'inferd ${cmd} --help'.\n`);
    return undefined;
  }
}

const CLIENT_FLAGS = {
  kubeconfig: { type: 'string' },
  namespace: { type: 'string' },
  'controller-class': { type: 'string' },
  'claim-unannotated': { type: 'boolean' },
  domain: { type: 'string' },
  'log-level': { type: 'string' },
} as const;

async function clientFrom(v: Values) {
  const { KubeClient } = await import('../../operator/kube-client.js');
  const kubeconfig = typeof v['kubeconfig'] === 'string' ? v['kubeconfig'] : undefined;
  return KubeClient.fromKubeConfig({ kubeconfig, inCluster: kubeconfig === undefined });
}

function loggerFrom(v: Values): Logger {
  const level = v['log-level'];
  return createLogger({ level: level === 'debug' || level === 'warn' || level === 'error' ? level : 'info' });
}

function untilSignal(log: Logger, stop: () => Promise<void> | void): Promise<number> {
  return new Promise((resolve) => {
    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      log.info('shutting down', { signal });
      Promise.resolve(stop()).then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}

export const OPERATOR_USAGE = `inferd operator [--kubeconfig FILE] [--image IMAGE] [--controller-class inferd] [--claim-unannotated]
                [--namespace NS] [--domain example.com] [--leader-elect=false] [--lease-namespace NS] [--resync-seconds 300]
`;

export async function runOperator(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse(
    argv,
    {
      ...CLIENT_FLAGS,
      image: { type: 'string' },
      'leader-elect': { type: 'string' },
      'lease-namespace': { type: 'string' },
      'resync-seconds': { type: 'string' },
    },
    io,
    'operator',
  );
  if (!parsed) return 2;
  const v = parsed.values as Values;
  if (v['help']) {
    io.stdout.write(
      `Reconcile InferenceServices on Kubernetes into Deployments, Services and HPAs (docs/operator.md)\n\nUsage:\n  ${OPERATOR_USAGE}`,
    );
    return 0;
  }
  const resync = Number(v['resync-seconds'] ?? 300);
  if (!Number.isFinite(resync) || resync <= 0) {
    io.stderr.write(`error: --resync-seconds: expected a positive number, got '${v['resync-seconds']}'\n`);
    return 2;
  }
  const log = loggerFrom(v);
  const { Operator } = await import('../../operator/operator.js');
  let op: InstanceType<typeof Operator>;
  try {
    const client = await clientFrom(v);
    const leaderElect = v['leader-elect'] !== 'false';
    op = new Operator({
      client,
      log,
      image: (v['image'] as string | undefined) ?? `ghcr.io/inferd/inferd:${packageVersion()}`,
      controllerClass: v['controller-class'] as string | undefined,
      claimUnannotated: v['claim-unannotated'] === true,
      namespace: v['namespace'] as string | undefined,
      domain: v['domain'] as string | undefined,
      resyncMs: resync * 1000,
      ...(leaderElect
        ? {
            leaderElection: {
              namespace: (v['lease-namespace'] as string | undefined) ?? io.env['POD_NAMESPACE'] ?? 'inferd-system',
              identity: io.env['HOSTNAME'],
            },
          }
        : {}),
    });
    await op.start();
  } catch (err) {
    io.stderr.write(`error: ${messageOf(err)}\n`);
    return 1;
  }
  log.info('operator started', { version: packageVersion() });
  return untilSignal(log, () => op.stop());
}

export const GATEWAY_USAGE = `inferd gateway [--kubeconfig FILE] [--port 8080] [--host 0.0.0.0] [--domain example.com] [--namespace NS]
               [--controller-class inferd] [--claim-unannotated] [--hold-timeout-seconds 60] [--autoscale=false]
               [--auth] [--oidc-issuer URL --oidc-audience AUD [--oidc-groups-claim groups] [--oidc-username-claim sub]]
`;

export async function runGateway(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse(
    argv,
    {
      ...CLIENT_FLAGS,
      port: { type: 'string' },
      host: { type: 'string' },
      'hold-timeout-seconds': { type: 'string' },
      autoscale: { type: 'string' },
      auth: { type: 'boolean' },
      'oidc-issuer': { type: 'string' },
      'oidc-audience': { type: 'string' },
      'oidc-groups-claim': { type: 'string' },
      'oidc-username-claim': { type: 'string' },
    },
    io,
    'gateway',
  );
  if (!parsed) return 2;
  const v = parsed.values as Values;
  if (v['help']) {
    io.stdout.write(
      `Route inference traffic on Kubernetes, from EndpointSlices and InferenceService status (docs/operator.md)\n\nUsage:\n  ${GATEWAY_USAGE}`,
    );
    return 0;
  }
  const port = Number(v['port'] ?? 8080);
  const hold = Number(v['hold-timeout-seconds'] ?? 60);
  if (!Number.isFinite(hold) || hold <= 0) {
    io.stderr.write(`error: --hold-timeout-seconds: expected a positive number, got '${v['hold-timeout-seconds']}'\n`);
    return 2;
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr.write(`error: --port: expected 0-65535, got '${v['port']}'\n`);
    return 2;
  }
  const issuer = v['oidc-issuer'] as string | undefined;
  const audience = v['oidc-audience'] as string | undefined;
  if ((issuer === undefined) !== (audience === undefined)) {
    io.stderr.write('error: --oidc-issuer and --oidc-audience go together\n');
    return 2;
  }
  const oidc =
    issuer && audience
      ? {
          issuer,
          audience,
          groupsClaim: v['oidc-groups-claim'] as string | undefined,
          usernameClaim: v['oidc-username-claim'] as string | undefined,
        }
      : undefined;
  const log = loggerFrom(v);
  try {
    const { startClusterGateway } = await import('../../operator/cluster-gateway.js');
    const gw = await startClusterGateway({
      client: await clientFrom(v),
      log,
      port,
      host: (v['host'] as string | undefined) ?? '0.0.0.0',
      domain: (v['domain'] as string | undefined) ?? 'example.com',
      namespace: v['namespace'] as string | undefined,
      controllerClass: v['controller-class'] as string | undefined,
      claimUnannotated: v['claim-unannotated'] === true,
      holdTimeoutMs: hold * 1000,
      autoscale: v['autoscale'] !== 'false',
      ...(v['auth'] === true || oidc ? { auth: { required: v['auth'] === true, oidc } } : {}),
    });
    io.stdout.write(`inferd gateway listening on http://${gw.host}:${gw.port}\n`);
    return untilSignal(log, () => gw.close());
  } catch (err) {
    io.stderr.write(`error: ${messageOf(err)}\n`);
    return 1;
  }
}

/**
 * KServe's storage-initializer: `SRC_URI DEST_DIR`, credentials from env (AWS_*, S3_*, GOOGLE_APPLICATION_CREDENTIALS,
 * as the operator sets them from the service account's secrets). Exit 0 with the model in DEST_DIR, else 1.
 */
export async function runStorageInitializer(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse(argv, { 'log-level': { type: 'string' } }, io, 'storage-initializer');
  if (!parsed) return 2;
  if (parsed.values['help']) {
    io.stdout.write(
      "Download a model to a directory, as KServe's storage initializer\n\nUsage:\n  inferd storage-initializer SRC_URI DEST_DIR\n",
    );
    return 0;
  }
  const [src, dest] = parsed.positionals;
  if (!src || !dest || parsed.positionals.length > 2) {
    io.stderr.write("error: expected SRC_URI DEST_DIR\nSee 'inferd storage-initializer --help'.\n");
    return 2;
  }
  const log = loggerFrom(parsed.values as Values);
  const { initializeModel } = await import('../../storage/initializer.js');
  const { resolveStorageCredentials } = await import('../../storage/credentials.js');
  const cacheDir = mkdtempSync(join(tmpdir(), 'inferd-storage-'));
  try {
    const credentials = resolveStorageCredentials(() => undefined, { namespace: '', env: io.env, log });
    const result = await initializeModel({ storageUri: src, cacheDir, credentials, log });
    mkdirSync(dest, { recursive: true });
    cpSync(result.modelDir, dest, { recursive: true, dereference: true });
    log.info('model ready', { dest });
    return 0;
  } catch (err) {
    const reason = err instanceof InferdError ? ` (${err.details.reason ?? err.code})` : '';
    io.stderr.write(`error: ${messageOf(err)}${reason}\n`);
    return 1;
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
