// `inferd delete TYPE NAME... | TYPE/NAME... | -f FILE | TYPE --all`: one DELETE per object, printing
// kubectl's `inferenceservice.serving.kserve.io "x" deleted`; a missing object is an error (exit 1)
// unless --ignore-not-found.

import type { KindInfo } from '../../api/types.js';
import { isInferdError } from '../../errors.js';
import { isNotFound } from '../api-status.js';
import { type CommandContext, formatError, runCommand } from '../command.js';
import { kindOrThrow, namespaceOf } from '../document-target.js';
import { boolFlag, type FlagSpecs, listFlag } from '../flags.js';
import type { CliIo } from '../io.js';
import { readManifests } from '../manifest-sources.js';
import { listObjects } from '../resource-fetch.js';
import { notFoundMessage, parseTargets, resourcePath, singularName } from '../resource-ref.js';

export const DELETE_FLAGS = {
  filename: {
    type: 'string',
    short: 'f',
    multiple: true,
    arg: 'PATH',
    help: 'delete what the manifests name (repeatable; - for stdin)',
  },
  all: { type: 'boolean', help: 'delete every object of TYPE in the namespace' },
  'ignore-not-found': { type: 'boolean', help: 'treat "not found" as success' },
} as const satisfies FlagSpecs;

interface Victim {
  kind: KindInfo;
  namespace: string | undefined;
  name: string;
}

async function victimsOf(ctx: CommandContext): Promise<{ victims: Victim[]; failed: boolean } | undefined> {
  const values = ctx.args.values;
  const files = listFlag(values, 'filename');
  const ns = (kind: KindInfo) => (kind.namespaced ? ctx.settings.namespace : undefined);
  if (files.length > 0) {
    const { docs, errors } = await readManifests(files, ctx.io);
    for (const e of errors) ctx.io.stderr.write(`error: ${e}\n`);
    const victims: Victim[] = [];
    let failed = errors.length > 0;
    for (const md of docs) {
      try {
        const kind = kindOrThrow(md, ctx.settings.namespace);
        victims.push({ kind, namespace: namespaceOf(ctx, kind, md.doc), name: md.doc.metadata.name });
      } catch (err) {
        ctx.io.stderr.write(`${formatError(err)}\n`);
        failed = true;
      }
    }
    return { victims, failed };
  }
  const targets = parseTargets(ctx.args.positionals);
  if (targets.length === 0) return undefined;
  const victims: Victim[] = [];
  for (const t of targets) {
    if (t.names.length > 0) {
      for (const name of t.names) victims.push({ kind: t.kind, namespace: ns(t.kind), name });
    } else if (boolFlag(values, 'all')) {
      const { items } = await listObjects(ctx.client, t.kind, { namespace: ns(t.kind) });
      for (const o of items) victims.push({ kind: t.kind, namespace: ns(t.kind), name: o.metadata?.name ?? '' });
    } else {
      ctx.io.stderr.write(
        `error: resource(s) were provided, but no name was specified\nSee 'inferd delete --help' for usage.\n`,
      );
      return { victims: [], failed: true };
    }
  }
  return { victims, failed: false };
}

async function del(ctx: CommandContext): Promise<number> {
  const found = await victimsOf(ctx);
  if (!found) {
    ctx.io.stderr.write(
      "error: You must provide one or more resources by argument or filename.\nSee 'inferd delete --help' for usage.\n",
    );
    return 1;
  }
  let failed = found.failed;
  const ignoreNotFound = boolFlag(ctx.args.values, 'ignore-not-found');
  if (found.victims.length === 0 && !failed && boolFlag(ctx.args.values, 'all')) {
    ctx.io.stderr.write('No resources found\n');
  }
  for (const v of found.victims) {
    try {
      await ctx.client.request('DELETE', resourcePath(v.kind, { namespace: v.namespace, name: v.name }));
      ctx.io.stdout.write(`${singularName(v.kind)} "${v.name}" deleted\n`);
    } catch (err) {
      if (isNotFound(err)) {
        if (ignoreNotFound) continue;
        ctx.io.stderr.write(`Error from server (NotFound): ${notFoundMessage(v.kind, v.name)}\n`);
      } else {
        ctx.io.stderr.write(`${formatError(err)}\n`);
        if (isInferdError(err) && err.code === 'UPSTREAM_UNAVAILABLE') return 1;
      }
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

/** `inferd delete …`; returns the exit code. */
export function runDelete(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand('delete', argv, io, DELETE_FLAGS, del);
}
