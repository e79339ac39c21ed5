// `inferd logs NAME [-f] [--tail N] [--since 10m] [-c|--component transformer]`: the stdout/stderr lines of an InferenceService's replicas, streamed
// from the control API's `/log` subresource as they arrive.

import { kindByName } from '../../api/types.js';
import { parseDurationMs } from '../../duration.js';
import { InferdError } from '../../errors.js';
import { type CommandContext, runCommand } from '../command.js';
import { boolFlag, type FlagSpecs, stringFlag } from '../flags.js';
import type { CliIo } from '../io.js';
import { resolveKind, resourcePath } from '../resource-ref.js';

export const LOGS_FLAGS = {
  follow: { type: 'boolean', short: 'f', help: 'keep streaming new lines' },
  tail: { type: 'string', arg: 'N', help: 'only the last N lines (default: all)' },
  container: { type: 'string', short: 'c', arg: 'NAME', help: 'predictor (default), transformer or explainer' },
  // The issue's and docs' spelling: a component, since inferd runs one process per component, not a pod.
  component: { type: 'string', arg: 'NAME', help: 'the same as --container' },
  since: {
    type: 'string',
    arg: 'D',
    help: 'only lines newer than a relative duration like 5s, 2m or 3h (kubectl --since)',
  },
} as const satisfies FlagSpecs;

/** `NAME` or `isvc/NAME`; logs exist only for InferenceServices. */
function serviceName(positionals: readonly string[]): string {
  const [arg] = positionals;
  if (positionals.length !== 1 || arg === undefined) {
    throw new InferdError('INVALID_INPUT', 'expected exactly one InferenceService name: inferd logs NAME');
  }
  const slash = arg.indexOf('/');
  if (slash < 0) return arg;
  const kind = resolveKind(arg.slice(0, slash));
  if (kind.kind !== 'InferenceService') {
    throw new InferdError('INVALID_INPUT', `logs are served for InferenceServices only, not ${kind.plural}`);
  }
  return arg.slice(slash + 1);
}

async function logs(ctx: CommandContext): Promise<number> {
  const name = serviceName(ctx.args.positionals);
  const tail = stringFlag(ctx.args.values, 'tail');
  if (tail !== undefined && !/^-?\d+$/.test(tail)) {
    throw new InferdError('INVALID_INPUT', `invalid argument "${tail}" for "--tail" flag: not a number`);
  }
  const since = stringFlag(ctx.args.values, 'since');
  let sinceSeconds: number | undefined;
  if (since !== undefined) {
    const ms = parseDurationMs(since);
    // kubectl rounds up to whole seconds and refuses what is not positive.
    if (!(ms > 0)) throw new InferdError('INVALID_INPUT', '--since must be greater than 0');
    sinceSeconds = Math.ceil(ms / 1000);
  }
  const kind = kindByName('InferenceService')!;
  const path = resourcePath(kind, { namespace: ctx.settings.namespace, name, subresource: 'log' });
  const query = {
    // kubectl's --tail=-1 means everything.
    tailLines: tail !== undefined && Number(tail) >= 0 ? Number(tail) : undefined,
    follow: boolFlag(ctx.args.values, 'follow') ? 'true' : undefined,
    container: stringFlag(ctx.args.values, 'component') ?? stringFlag(ctx.args.values, 'container'),
    sinceSeconds,
  };
  for await (const chunk of ctx.client.text(path, query, ctx.io.signal)) ctx.io.stdout.write(chunk);
  return 0;
}

/** `inferd logs …`; returns the exit code. */
export function runLogs(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand('logs', argv, io, LOGS_FLAGS, logs);
}
