// `inferd kubeconfig [--write FILE] [--name NAME]`: prints a kubeconfig context for the inferd server the
// client settings name (--server, INFERD_SERVER, ~/.inferd/config), or merges it into FILE and makes it
// current, so `kubectl` and KServe's SDK talk to inferd with no other setup.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { readYamlFile } from '../client-config.js';
import { type CommandContext, runCommand } from '../command.js';
import { type FlagSpecs, stringFlag } from '../flags.js';
import type { CliIo } from '../io.js';
import { type Kubeconfig, kubeconfigFor, mergeKubeconfig } from '../kubeconfig.js';

export const KUBECONFIG_FLAGS = {
  write: { type: 'string', arg: 'FILE', help: 'merge the context into FILE (e.g. ~/.kube/config) and make it current' },
  name: { type: 'string', arg: 'NAME', help: 'the cluster, user and context name (default "inferd")' },
} as const satisfies FlagSpecs;

function readExisting(path: string): Partial<Kubeconfig> | undefined {
  return (readYamlFile(path, ' as a kubeconfig') as Partial<Kubeconfig> | null | undefined) ?? undefined;
}

async function kubeconfig(ctx: CommandContext): Promise<number> {
  const { settings } = ctx;
  const entry = {
    name: stringFlag(ctx.args.values, 'name') ?? 'inferd',
    server: settings.server,
    namespace: settings.namespaceExplicit ? settings.namespace : undefined,
    token: settings.token,
    ca: settings.server.startsWith('https:') ? settings.ca : undefined,
  };
  if (settings.server.startsWith('https:') && !settings.ca) {
    // Without it kubectl trusts only the system's CAs: right for a public certificate, not a self-signed one.
    ctx.io.stderr.write(
      'note: no --ca-file given for an https server: the kubeconfig has no certificate-authority-data\n',
    );
  }
  const path = stringFlag(ctx.args.values, 'write');
  if (!path) {
    ctx.io.stdout.write(stringify(kubeconfigFor(entry)));
    return 0;
  }
  const merged = mergeKubeconfig(readExisting(path), entry);
  mkdirSync(dirname(path), { recursive: true });
  // 0600 as kubectl writes it: a context may carry a token.
  writeFileSync(path, stringify(merged), { mode: 0o600 });
  chmodSync(path, 0o600); // `mode` applies only when the file is created
  ctx.io.stdout.write(`wrote context "${entry.name}" (server ${entry.server}) to ${path} and made it current\n`);
  return 0;
}

/** `inferd kubeconfig`; returns the exit code. */
export function runKubeconfig(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand('kubeconfig', argv, io, KUBECONFIG_FLAGS, kubeconfig);
}
