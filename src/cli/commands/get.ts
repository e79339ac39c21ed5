// `inferd get TYPE [NAME...]`: kubectl's get — tables per kind (columns.ts), -o yaml|json|name|jsonpath,
// -A across namespaces, -l selectors, and -w to keep printing rows as the objects change.

import { eventTime } from '../../api/printing.js';
import { isNotFound } from '../api-status.js';
import { type CommandContext, runCommand } from '../command.js';
import { boolFlag, type FlagSpecs, stringFlag } from '../flags.js';
import type { CliIo } from '../io.js';
import { tableRows } from '../printers/columns.js';
import { formatStructured, type OutputFormat, parseOutput } from '../printers/output.js';
import { formatTable } from '../printers/table.js';
import { getObject, listNamespace, listObjects, type Obj } from '../resource-fetch.js';
import { notFoundMessage, parseTargets, type Target } from '../resource-ref.js';
import { watchTarget } from './get-watch.js';

export const GET_FLAGS = {
  selector: { type: 'string', short: 'l', arg: 'SELECTOR', help: 'label selector, e.g. app=iris' },
  'field-selector': { type: 'string', arg: 'SEL', help: 'field selector, passed to the server' },
  watch: { type: 'boolean', short: 'w', help: 'after listing, watch for changes' },
  'show-secrets': { type: 'boolean', help: 'print Secret values instead of ***' },
  'no-headers': { type: 'boolean', help: 'omit the header row' },
} as const satisfies FlagSpecs;

interface Fetched {
  target: Target;
  items: Obj[];
  resourceVersion?: string;
}

const byEventTime = (a: Obj, b: Obj): number => (eventTime(a) ?? '').localeCompare(eventTime(b) ?? '');

async function fetchTarget(
  ctx: CommandContext,
  target: Target,
  watch: boolean,
): Promise<{ fetched: Fetched; failed: boolean }> {
  const { kind, names } = target;
  const values = ctx.args.values;
  // A watch starts at a list's resourceVersion, so named objects are read through a list then.
  if (names.length === 0 || watch) {
    const list = await listObjects(ctx.client, kind, {
      namespace: listNamespace(kind, ctx.settings.namespace, boolFlag(values, 'all-namespaces')),
      labelSelector: stringFlag(values, 'selector'),
      fieldSelector: stringFlag(values, 'field-selector'),
    });
    if (kind.kind === 'Event') list.items.sort(byEventTime);
    if (names.length === 0) return { fetched: { target, ...list }, failed: false };
    const missing = names.filter((n) => !list.items.some((o) => o.metadata?.name === n));
    for (const name of missing) ctx.io.stderr.write(`Error from server (NotFound): ${notFoundMessage(kind, name)}\n`);
    const items = list.items.filter((o) => names.includes(o.metadata?.name ?? ''));
    return { fetched: { target, items, resourceVersion: list.resourceVersion }, failed: missing.length > 0 };
  }
  const items: Obj[] = [];
  let failed = false;
  for (const name of names) {
    try {
      items.push(await getObject(ctx.client, kind, ctx.settings.namespace, name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      ctx.io.stderr.write(`Error from server (NotFound): ${notFoundMessage(kind, name)}\n`);
      failed = true;
    }
  }
  return { fetched: { target, items }, failed };
}

function printTables(
  ctx: CommandContext,
  all: Fetched[],
  format: Extract<OutputFormat, { kind: 'table' }>,
  widths: number[] | undefined,
): void {
  const withNamespace = boolFlag(ctx.args.values, 'all-namespaces');
  const noHeaders = boolFlag(ctx.args.values, 'no-headers');
  const nonEmpty = all.filter((f) => f.items.length > 0);
  const multiKind = all.length > 1;
  nonEmpty.forEach((f, i) => {
    // kubectl prefixes names with their kind when one command prints several kinds.
    const items = multiKind
      ? f.items.map((o) => ({
          ...o,
          metadata: { ...o.metadata, name: `${f.target.kind.singular}/${o.metadata?.name}` },
        }))
      : f.items;
    const rows = tableRows(f.target.kind, items, { wide: format.wide, withNamespace, nowMs: ctx.now() });
    if (i > 0) ctx.io.stdout.write('\n');
    ctx.io.stdout.write(formatTable(noHeaders ? rows.slice(1) : rows, widths));
  });
}

const askedForNames = (targets: readonly Target[]): boolean => targets.some((t) => t.names.length > 0);

function noResourcesMessage(ctx: CommandContext, all: Fetched[]): string {
  const namespaced = all.some((f) => f.target.kind.namespaced);
  return namespaced && !boolFlag(ctx.args.values, 'all-namespaces')
    ? `No resources found in ${ctx.settings.namespace} namespace.`
    : 'No resources found';
}

async function get(ctx: CommandContext): Promise<number> {
  const targets = parseTargets(ctx.args.positionals);
  if (targets.length === 0) {
    ctx.io.stderr.write(
      'error: You must specify the type of resource to get. Use "inferd get --help" for the supported types.\n',
    );
    return 1;
  }
  const format = parseOutput(stringFlag(ctx.args.values, 'output'));
  const watch = boolFlag(ctx.args.values, 'watch');
  if (watch && targets.length > 1) {
    ctx.io.stderr.write('error: you may only specify a single resource type when watching\n');
    return 1;
  }
  const all: Fetched[] = [];
  let failed = false;
  for (const t of targets) {
    const r = await fetchTarget(ctx, t, watch);
    all.push(r.fetched);
    failed ||= r.failed;
  }
  const objs = all.flatMap((f) => f.items);
  const showSecrets = boolFlag(ctx.args.values, 'show-secrets');
  const human = format.kind === 'table' || format.kind === 'name';
  const widths: number[] = [];
  if (format.kind === 'table') printTables(ctx, all, format, watch ? widths : undefined);
  else if (objs.length > 0 || (!human && !watch && !askedForNames(targets))) {
    // kubectl prints an empty List for `-o yaml` of an empty list, and nothing for a missing named object.
    const single = targets.length === 1 && targets[0]?.names.length === 1;
    ctx.io.stdout.write(formatStructured(objs, format, { single, showSecrets }));
  }
  if (objs.length === 0 && human && !askedForNames(targets) && !watch) {
    ctx.io.stderr.write(`${noResourcesMessage(ctx, all)}\n`);
  }
  // Watching takes exactly one target (checked above), so `watched` is there whenever `watch` is set.
  const [watched] = all;
  if (!watch || failed || !watched) return failed ? 1 : 0;
  return watchTarget(ctx, watched.target, {
    format,
    resourceVersion: watched.resourceVersion,
    headerPrinted: format.kind === 'table' && objs.length > 0 && !boolFlag(ctx.args.values, 'no-headers'),
    showSecrets,
    widths,
  });
}

/** `inferd get …`; returns the exit code. */
export function runGet(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand('get', argv, io, GET_FLAGS, get);
}
