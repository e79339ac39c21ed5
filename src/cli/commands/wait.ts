// `inferd wait TYPE/NAME --for=condition=Ready|--for=delete [--timeout=30s]`: checks the object, then
// follows a watch on it until the condition holds; when the server cannot watch, polls with a bounded
// back-off (250 ms doubling to 2 s). Each object gets the full timeout, as in kubectl.

import { setTimeout as sleep } from 'node:timers/promises';
import type { KindInfo } from '../../api/types.js';
import { parseDurationMs } from '../../duration.js';
import { InferdError } from '../../errors.js';
import { isNotFound, StatusError } from '../api-status.js';
import { type CommandContext, runCommand } from '../command.js';
import { boolFlag, type FlagSpecs, stringFlag } from '../flags.js';
import type { CliIo } from '../io.js';
import { listObjects, type Obj } from '../resource-fetch.js';
import { notFoundMessage, objectName, parseTargets, resourcePath } from '../resource-ref.js';
import { isConditionMet, parseWaitFor, type WaitFor } from '../wait-condition.js';

export const WAIT_FLAGS = {
  for: { type: 'string', arg: 'CONDITION', help: 'condition=Ready (or condition=Ready=False), or delete' },
  timeout: {
    type: 'string',
    arg: 'DURATION',
    help: 'give up after this long (30s, 2m, 1h; default 30s; negative: a week)',
  },
  all: { type: 'boolean', help: 'wait for every object of TYPE in the namespace' },
} as const satisfies FlagSpecs;

const DEFAULT_TIMEOUT_MS = 30_000;
/** kubectl: a negative timeout means "a week". */
const FOREVER_MS = 7 * 24 * 3_600_000;
const POLL_MIN_MS = 250;
const POLL_MAX_MS = 2_000;

interface WaitTarget {
  kind: KindInfo;
  namespace: string | undefined;
  name: string;
}

const met = (obj: Obj | undefined, want: WaitFor): boolean =>
  want.kind === 'delete' ? obj === undefined : obj !== undefined && isConditionMet(obj, want);

/**
 * Resolves true when `want` holds before `signal` aborts, false on timeout. `once` (`--timeout=0`): look
 * once and do not wait.
 */
async function waitOne(
  ctx: CommandContext,
  t: WaitTarget,
  want: WaitFor,
  signal: AbortSignal,
  once: boolean,
): Promise<boolean> {
  const itemPath = resourcePath(t.kind, { namespace: t.namespace, name: t.name });
  const listPath = resourcePath(t.kind, { namespace: t.namespace });
  let canWatch = true;
  let pollMs = POLL_MIN_MS;
  try {
    while (!signal.aborted) {
      let obj: Obj | undefined;
      try {
        obj = await ctx.client.get<Obj>(itemPath, undefined, signal);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // kubectl fails at once when the object to wait on does not exist.
        if (want.kind !== 'delete') {
          throw new StatusError(404, { reason: 'NotFound', message: notFoundMessage(t.kind, t.name) });
        }
      }
      if (met(obj, want)) return true;
      if (once) return false;
      if (canWatch) {
        try {
          const query = { resourceVersion: obj?.metadata?.resourceVersion, fieldSelector: `metadata.name=${t.name}` };
          for await (const ev of ctx.client.watch<Obj>(listPath, query, signal)) {
            if (ev.type === 'ERROR') break; // e.g. 410 Gone: read the object again
            if (ev.object?.metadata?.name !== t.name) continue;
            if (met(ev.type === 'DELETED' ? undefined : ev.object, want)) return true;
          }
        } catch (err) {
          if (!(err instanceof StatusError)) throw err;
          canWatch = false; // this server cannot watch here: poll instead
        }
      }
      if (signal.aborted) break;
      // Either polling, or the watch ended early: pause before reading the object again.
      await sleep(pollMs, undefined, { signal });
      pollMs = Math.min(pollMs * 2, POLL_MAX_MS);
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  return false;
}

async function targetsOf(ctx: CommandContext): Promise<WaitTarget[]> {
  const targets = parseTargets(ctx.args.positionals);
  if (targets.length === 0) throw new InferdError('INVALID_INPUT', 'resource name may not be empty');
  const out: WaitTarget[] = [];
  for (const t of targets) {
    const namespace = t.kind.namespaced ? ctx.settings.namespace : undefined;
    if (t.names.length === 0) {
      if (!boolFlag(ctx.args.values, 'all')) {
        throw new InferdError('INVALID_INPUT', 'resource(s) were provided, but no name was specified');
      }
      const { items } = await listObjects(ctx.client, t.kind, { namespace });
      for (const o of items) out.push({ kind: t.kind, namespace, name: o.metadata?.name ?? '' });
    }
    for (const name of t.names) out.push({ kind: t.kind, namespace, name });
  }
  if (out.length === 0) throw new InferdError('INVALID_INPUT', 'no matching resources found');
  return out;
}

async function wait(ctx: CommandContext): Promise<number> {
  const want = parseWaitFor(stringFlag(ctx.args.values, 'for'));
  const timeoutText = stringFlag(ctx.args.values, 'timeout');
  let timeoutMs = timeoutText === undefined ? DEFAULT_TIMEOUT_MS : parseDurationMs(timeoutText);
  if (timeoutMs < 0) timeoutMs = FOREVER_MS;
  const targets = await targetsOf(ctx);
  for (const t of targets) {
    const once = timeoutMs === 0;
    const timeout = AbortSignal.timeout(once ? FOREVER_MS : timeoutMs);
    const signal = ctx.io.signal ? AbortSignal.any([timeout, ctx.io.signal]) : timeout;
    if (!(await waitOne(ctx, t, want, signal, once))) {
      if (ctx.io.signal?.aborted) return 1;
      ctx.io.stderr.write(`error: timed out waiting for the condition on ${t.kind.plural}/${t.name}\n`);
      return 1;
    }
    ctx.io.stdout.write(`${objectName(t.kind, t.name)} condition met\n`);
  }
  return 0;
}

/** `inferd wait …`; returns the exit code. */
export function runWait(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand('wait', argv, io, WAIT_FLAGS, wait);
}
