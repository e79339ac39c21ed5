// `inferd version [--client]`: the CLI's version (package.json) and, unless --client, the server's
// (`GET /version`, `{"version": …}` or Kubernetes' `{"gitVersion": …}`).

import { readFileSync } from 'node:fs';
import { isNotFound } from '../api-status.js';
import { type CommandContext, runCommand } from '../command.js';
import { boolFlag, type FlagSpecs } from '../flags.js';
import type { CliIo } from '../io.js';

export const VERSION_FLAGS = {
  client: { type: 'boolean', help: 'print only the client version; do not contact the server' },
} as const satisfies FlagSpecs;

/** The package version; dist/src/cli/commands/version.js is four levels below package.json. */
export function clientVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return `v${pkg.version ?? '0.0.0'}`;
  } catch {
    return 'unknown'; // running from an unusual layout: the version is informational only
  }
}

async function version(ctx: CommandContext): Promise<number> {
  ctx.io.stdout.write(`Client Version: ${clientVersion()}\n`);
  if (boolFlag(ctx.args.values, 'client')) return 0;
  try {
    const v = await ctx.client.get<{ version?: string; gitVersion?: string }>('/version');
    ctx.io.stdout.write(`Server Version: ${v?.gitVersion ?? v?.version ?? 'unknown'}\n`);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    ctx.io.stdout.write('Server Version: unknown\n');
  }
  return 0;
}

/** `inferd version`; returns the exit code. */
export function runVersion(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand('version', argv, io, VERSION_FLAGS, version);
}
