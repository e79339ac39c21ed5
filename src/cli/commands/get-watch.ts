// `inferd get -w`: after the first listing, follow the watch stream from the list's resourceVersion and
// print each changed object as one more row (widths never shrink, as kubectl's RememberWidths), or as
// one more YAML document / JSON object / name.

import type { WatchEvent } from '../api-client.js';
import { type KubeStatus, StatusError } from '../api-status.js';
import type { CommandContext } from '../command.js';
import { reportError } from '../command.js';
import { boolFlag, stringFlag } from '../flags.js';
import { columnsFor, dataRow, headerRow } from '../printers/columns.js';
import { formatStructured, type OutputFormat } from '../printers/output.js';
import { formatTable } from '../printers/table.js';
import { listNamespace, type Obj, withTypeMeta } from '../resource-fetch.js';
import { resourcePath, type Target } from '../resource-ref.js';
import { fieldMatcher, labelMatcher } from '../selectors.js';

export interface GetWatchOptions {
  format: OutputFormat;
  resourceVersion?: string;
  headerPrinted: boolean;
  showSecrets: boolean;
  /** Column widths of the table already printed; updated as rows arrive. */
  widths: number[];
}

/** Streams changes to `target` until the server ends the watch or io.signal aborts; returns the exit code. */
export async function watchTarget(ctx: CommandContext, target: Target, opts: GetWatchOptions): Promise<number> {
  const { kind, names } = target;
  const values = ctx.args.values;
  const labelSelector = stringFlag(values, 'selector');
  const fieldSelector = stringFlag(values, 'field-selector');
  const matchLabels = labelMatcher(labelSelector);
  const matchFields = fieldMatcher(fieldSelector);
  const columns = columnsFor(kind, {
    wide: opts.format.kind === 'table' && opts.format.wide,
    withNamespace: boolFlag(values, 'all-namespaces'),
  });
  let headerPrinted = opts.headerPrinted || boolFlag(values, 'no-headers');
  const path = resourcePath(kind, {
    namespace: listNamespace(kind, ctx.settings.namespace, boolFlag(values, 'all-namespaces')),
  });
  const query = { resourceVersion: opts.resourceVersion, labelSelector, fieldSelector };
  const stream = ctx.client.watch<Obj>(path, query, ctx.io.signal);
  for await (const ev of stream as AsyncIterable<WatchEvent<Obj>>) {
    if (ev.type === 'BOOKMARK') continue;
    if (ev.type === 'ERROR')
      return reportError(ctx.io, new StatusError(Number(ev.object.code) || 500, ev.object as KubeStatus));
    const obj = withTypeMeta(kind, ev.object);
    const name = obj.metadata?.name ?? '';
    if (names.length > 0 && !names.includes(name)) continue;
    if (!matchLabels(obj.metadata?.labels) || !matchFields(obj)) continue;
    if (opts.format.kind === 'table') {
      const rows = [dataRow(columns, obj, ctx.now())];
      if (!headerPrinted) rows.unshift(headerRow(columns));
      headerPrinted = true;
      ctx.io.stdout.write(formatTable(rows, opts.widths));
    } else {
      const text = formatStructured([obj], opts.format, { single: true, showSecrets: opts.showSecrets });
      ctx.io.stdout.write(opts.format.kind === 'yaml' ? `---\n${text}` : text);
    }
  }
  return 0;
}
