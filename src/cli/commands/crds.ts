// `inferd crds [-o yaml|json]`: prints the serving.kserve.io CustomResourceDefinitions inferd needs on a
// cluster (src/k8s/crds.ts), for `inferd crds | kubectl apply -f -`. Talks to no server.

import { generateCrds } from '../../k8s/crds.js';
import { type CommandContext, runCommand } from '../command.js';
import { type FlagSpecs, stringFlag, UsageError } from '../flags.js';
import type { CliIo } from '../io.js';
import { asList, toJson, toYaml } from '../printers/yaml.js';

export const CRDS_FLAGS = {} as const satisfies FlagSpecs;

async function crds(ctx: CommandContext): Promise<number> {
  const output = stringFlag(ctx.args.values, 'output') ?? 'yaml';
  const objects = generateCrds();
  if (output === 'json') {
    ctx.io.stdout.write(toJson(asList(objects)));
  } else if (output === 'yaml') {
    // One document per CRD, as kubectl apply -f and kustomize read them.
    ctx.io.stdout.write(objects.map((o) => `---\n${toYaml(o)}`).join(''));
  } else {
    throw new UsageError('crds', `--output: expected yaml or json, got ${JSON.stringify(output)}`);
  }
  return 0;
}

/** `inferd crds`; returns the exit code. */
export function runCrds(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand('crds', argv, io, CRDS_FLAGS, crds);
}
