// `inferd apply -f FILE|DIR|-`: create each document, or replace it when it exists (GET, then PUT with the
// stored resourceVersion). Prints kubectl's `<kind.group>/<name> created|configured|unchanged`; a failing
// document is reported the kubectl way and the others still go through (exit 1 at the end).
//
// "unchanged" is decided on the server's form: the server may default a manifest (old-style predictor →
// `predictor.model`), so a manifest that differs from the stored object only by defaulting is unchanged
// when the object that the PUT returns has the same content as the one stored before.

import type { KindInfo } from '../../api/types.js';
import { isInferdError } from '../../errors.js';
import { isNotFound, StatusError } from '../api-status.js';
import { type CommandContext, formatError, runCommand } from '../command.js';
import { kindOrThrow, namespaceOf } from '../document-target.js';
import { boolFlag, type FlagSpecs, listFlag, stringFlag } from '../flags.js';
import type { CliIo } from '../io.js';
import { type ManifestDocument, readManifests } from '../manifest-sources.js';
import { sameAppliedContent } from '../object-diff.js';
import { formatStructured, parseOutput } from '../printers/output.js';
import type { Obj } from '../resource-fetch.js';
import { objectName, resourcePath } from '../resource-ref.js';

export const APPLY_FLAGS = {
  filename: {
    type: 'string',
    short: 'f',
    multiple: true,
    arg: 'PATH',
    help: 'a file, a directory (its .yaml/.yml/.json files) or - for stdin; repeatable',
  },
  'show-secrets': { type: 'boolean', help: 'print Secret values in the output instead of ***' },
} as const satisfies FlagSpecs;

export type ApplyResult = 'created' | 'configured' | 'unchanged';

/** Optimistic-concurrency retries when someone else writes the object between our GET and PUT. */
const MAX_ATTEMPTS = 3;

/** kubectl prints only the Status message; add the field causes when the message leaves them out. */
function withCauses(err: unknown): unknown {
  if (!(err instanceof StatusError)) return err;
  const causes = (err.status.details?.causes ?? []).filter(
    (c) => c.message && !err.message.includes(c.message) && !(c.field && err.message.includes(c.field)),
  );
  if (causes.length === 0) return err;
  const extra = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  return new StatusError(err.httpCode, { ...err.status, message: `${err.message}: [${extra}]` });
}

async function applyOne(
  ctx: CommandContext,
  md: ManifestDocument,
): Promise<{ result: ApplyResult; obj: Obj; kind: KindInfo }> {
  const kind = kindOrThrow(md, ctx.settings.namespace);
  const namespace = namespaceOf(ctx, kind, md.doc);
  const name = md.doc.metadata.name;
  const { status: _ignored, ...rest } = md.doc;
  const desired: Obj = { ...rest, metadata: { ...md.doc.metadata, namespace } };
  if (!namespace) delete desired.metadata!.namespace;
  const itemPath = resourcePath(kind, { namespace, name });
  let lastConflict: unknown;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    let existing: Obj | undefined;
    try {
      existing = await ctx.client.get<Obj>(itemPath);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const op = existing ? 'updating' : 'creating';
    try {
      if (!existing) {
        const created = await ctx.client.request<Obj>('POST', resourcePath(kind, { namespace }), { body: desired });
        return { result: 'created', obj: created ?? desired, kind };
      }
      if (sameAppliedContent(desired, existing)) return { result: 'unchanged', obj: existing, kind };
      const body = {
        ...desired,
        metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion },
      };
      const updated = (await ctx.client.request<Obj>('PUT', itemPath, { body })) ?? body;
      const result = sameAppliedContent(updated, existing) ? 'unchanged' : 'configured';
      return { result, obj: updated, kind };
    } catch (err) {
      const retry = err instanceof StatusError && (err.reason === 'Conflict' || err.reason === 'AlreadyExists');
      if (retry && attempt < MAX_ATTEMPTS - 1) {
        lastConflict = err;
        continue;
      }
      if (err instanceof StatusError) {
        const e = withCauses(err) as StatusError;
        throw new StatusError(e.httpCode, { ...e.status, message: `error when ${op} "${md.source}": ${e.message}` });
      }
      throw err;
    }
  }
  throw lastConflict;
}

async function apply(ctx: CommandContext): Promise<number> {
  const paths = listFlag(ctx.args.values, 'filename');
  if (paths.length === 0) {
    ctx.io.stderr.write("error: must specify one of -f and -k\nSee 'inferd apply --help' for usage.\n");
    return 1;
  }
  if (ctx.args.positionals.length > 0) {
    ctx.io.stderr.write(
      `error: unexpected args: [${ctx.args.positionals.join(' ')}]\nSee 'inferd apply --help' for usage.\n`,
    );
    return 1;
  }
  const format = parseOutput(stringFlag(ctx.args.values, 'output'));
  const { docs, errors } = await readManifests(paths, ctx.io);
  let failed = errors.length > 0;
  for (const e of errors) ctx.io.stderr.write(`error: ${e}\n`);
  if (docs.length === 0 && !failed) {
    ctx.io.stderr.write('error: no objects passed to apply\n');
    return 1;
  }
  const applied: Obj[] = [];
  for (const md of docs) {
    try {
      const { result, obj, kind } = await applyOne(ctx, md);
      if (format.kind === 'table') ctx.io.stdout.write(`${objectName(kind, md.doc.metadata.name)} ${result}\n`);
      else applied.push({ apiVersion: kind.apiVersion, kind: kind.kind, ...obj });
    } catch (err) {
      failed = true;
      ctx.io.stderr.write(`${formatError(err)}\n`);
      // The server is not there: every other document would fail the same way.
      if (isInferdError(err) && err.code === 'UPSTREAM_UNAVAILABLE') return 1;
    }
  }
  if (format.kind !== 'table' && applied.length > 0) {
    const showSecrets = boolFlag(ctx.args.values, 'show-secrets');
    ctx.io.stdout.write(formatStructured(applied, format, { single: applied.length === 1, showSecrets }));
  }
  return failed ? 1 : 0;
}

/** `inferd apply -f …`; returns the exit code. */
export function runApply(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand('apply', argv, io, APPLY_FLAGS, apply);
}
