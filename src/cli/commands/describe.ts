// `inferd describe TYPE NAME...`: reads each object and the events about it (the events API filtered by
// involvedObject, on the server when it can and always again here) and prints printers/describe.ts's text.

import { eventTime } from '../../api/printing.js';
import type { InferenceService, KindInfo } from '../../api/types.js';
import { kindByName } from '../../api/types.js';
import { isNotFound, StatusError } from '../api-status.js';
import { type CommandContext, runCommand } from '../command.js';
import { boolFlag, type FlagSpecs } from '../flags.js';
import type { CliIo } from '../io.js';
import { describeObject } from '../printers/describe.js';
import { getObject, listObjects, type Obj } from '../resource-fetch.js';
import { notFoundMessage, parseTargets } from '../resource-ref.js';

export const DESCRIBE_FLAGS = {
  'show-secrets': { type: 'boolean', help: 'print Secret values instead of their sizes' },
} as const satisfies FlagSpecs;

/** Events about one object, oldest first; none when the server has no events API. */
export async function eventsFor(ctx: CommandContext, kind: KindInfo, obj: Obj): Promise<Obj[]> {
  const eventKind = kindByName('Event');
  if (!eventKind || kind.kind === 'Event') return [];
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace ?? 'default';
  try {
    const { items } = await listObjects(ctx.client, eventKind, {
      namespace,
      fieldSelector: `involvedObject.name=${name}`,
    });
    return items
      .filter((e) => {
        const io = e.involvedObject as { kind?: string; uid?: string } | undefined;
        const uid = obj.metadata?.uid;
        return (!io?.kind || io.kind === kind.kind) && (!io?.uid || !uid || io.uid === uid);
      })
      .sort((a, b) => (eventTime(a) ?? '').localeCompare(eventTime(b) ?? ''));
  } catch (err) {
    // Events are extra: a server without them (or refusing the selector) still gets a describe.
    if (err instanceof StatusError) return [];
    throw err;
  }
}

async function servicesOf(ctx: CommandContext, namespace: string): Promise<Map<string, InferenceService>> {
  const kind = kindByName('InferenceService')!;
  const { items } = await listObjects(ctx.client, kind, { namespace });
  return new Map(items.map((o) => [o.metadata?.name ?? '', o as unknown as InferenceService]));
}

async function describe(ctx: CommandContext): Promise<number> {
  const targets = parseTargets(ctx.args.positionals);
  if (targets.length === 0) {
    ctx.io.stderr.write(
      "error: You must specify the type of resource to describe. See 'inferd describe --help' for usage.\n",
    );
    return 1;
  }
  const showSecrets = boolFlag(ctx.args.values, 'show-secrets');
  let failed = false;
  let first = true;
  for (const { kind, names } of targets) {
    let objs: Obj[] = [];
    if (names.length === 0) {
      const ns = kind.namespaced && !boolFlag(ctx.args.values, 'all-namespaces') ? ctx.settings.namespace : undefined;
      objs = (await listObjects(ctx.client, kind, { namespace: ns })).items;
    }
    for (const name of names) {
      try {
        objs.push(await getObject(ctx.client, kind, ctx.settings.namespace, name));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        ctx.io.stderr.write(`Error from server (NotFound): ${notFoundMessage(kind, name)}\n`);
        failed = true;
      }
    }
    for (const obj of objs) {
      const evs = await eventsFor(ctx, kind, obj);
      // A graph's steps show the services they name and whether those are ready.
      const services =
        kind.kind === 'InferenceGraph' ? await servicesOf(ctx, obj.metadata?.namespace ?? 'default') : undefined;
      // kubectl separates several objects with a blank line.
      if (!first) ctx.io.stdout.write('\n\n');
      first = false;
      ctx.io.stdout.write(describeObject(obj, evs, { nowMs: ctx.now(), showSecrets, services }));
    }
  }
  return failed ? 1 : 0;
}

/** `inferd describe …`; returns the exit code. */
export function runDescribe(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand('describe', argv, io, DESCRIBE_FLAGS, describe);
}
