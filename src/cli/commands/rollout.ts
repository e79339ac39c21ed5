// `inferd rollout undo isvc/NAME` (or `isvc NAME`): KServe's rollback — sets the predictor's
// canaryTrafficPercent to 0 with a merge patch, so all traffic goes back to the previously rolled-out
// revision while the latest one keeps running (docs/revisions.md). Prints what it did, from the status.

import type { InferenceService } from '../../api/types.js';
import { kindByAlias } from '../../api/types.js';
import { isNotFound } from '../api-status.js';
import { type CommandContext, runCommand } from '../command.js';
import type { FlagSpecs } from '../flags.js';
import type { CliIo } from '../io.js';
import { notFoundMessage, resourcePath } from '../resource-ref.js';

export const ROLLOUT_FLAGS = {} as const satisfies FlagSpecs;

const USAGE = "See 'inferd rollout --help' for usage.";

/** `isvc/NAME` or `isvc NAME` → NAME; undefined for anything else. */
function targetName(args: readonly string[]): string | { error: string } {
  const [a, b, ...rest] = args;
  if (a === undefined) return { error: `error: required resource not specified (isvc/NAME)\n${USAGE}` };
  let type: string;
  let name: string | undefined;
  if (a.includes('/') && b === undefined) [type, name] = a.split('/', 2) as [string, string];
  else [type, name] = [a, b];
  if (rest.length > 0 || !name) return { error: `error: expected one InferenceService: isvc/NAME\n${USAGE}` };
  if (kindByAlias(type)?.kind !== 'InferenceService') {
    return { error: `error: rollout undo works on InferenceServices (isvc/NAME), not "${type}"\n${USAGE}` };
  }
  return name;
}

async function rollout(ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = ctx.args.positionals;
  if (sub !== 'undo') {
    ctx.io.stderr.write(
      `error: ${sub === undefined ? 'a subcommand is required' : `unknown subcommand "${sub}"`}: inferd rollout undo isvc/NAME\n${USAGE}\n`,
    );
    return 1;
  }
  const name = targetName(rest);
  if (typeof name !== 'string') {
    ctx.io.stderr.write(`${name.error}\n`);
    return 1;
  }
  const kind = kindByAlias('isvc')!; // the KINDS table has it
  const path = resourcePath(kind, { namespace: ctx.settings.namespace, name });
  let updated: InferenceService;
  try {
    const before = await ctx.client.request<InferenceService>('GET', path);
    const p = before.status?.components?.predictor;
    if (!p?.latestRolledoutRevision) {
      ctx.io.stderr.write(
        `error: inferenceservice "${name}" has no rolled-out revision to go back to yet (status.components.predictor.latestRolledoutRevision)\n`,
      );
      return 1;
    }
    updated = await ctx.client.request<InferenceService>('PATCH', path, {
      body: { spec: { predictor: { canaryTrafficPercent: 0 } } },
      contentType: 'application/merge-patch+json',
    });
  } catch (err) {
    if (isNotFound(err)) {
      ctx.io.stderr.write(`Error from server (NotFound): ${notFoundMessage(kind, name)}\n`);
      return 1;
    }
    throw err;
  }
  const p = updated.status?.components?.predictor;
  const to =
    p?.latestRolledoutRevision === p?.latestCreatedRevision ? p?.previousRolledoutRevision : p?.latestRolledoutRevision;
  ctx.io.stdout.write(
    `inferenceservice.serving.kserve.io/${name} rolled back: canaryTrafficPercent set to 0; ` +
      `traffic goes to ${to ?? 'the previously rolled-out revision'}, ` +
      `latest revision ${p?.latestCreatedRevision ?? ''} keeps running with 0%\n` +
      `(promote again by removing spec.predictor.canaryTrafficPercent)\n`,
  );
  return 0;
}

/** `inferd rollout undo …`; returns the exit code. */
export function runRollout(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand('rollout', argv, io, ROLLOUT_FLAGS, rollout);
}
