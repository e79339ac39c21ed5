// `-o FORMAT`: which printer a command uses, and the structured printers (yaml, json, name, jsonpath)
// shared by get, get -w and apply. Tables live in columns.ts/table.ts.

import { kindByName } from '../../api/types.js';
import { InferdError } from '../../errors.js';
import { objectName } from '../resource-ref.js';
import { renderJsonPath } from './jsonpath.js';
import { maskSecrets } from './mask.js';
import { asList, toJson, toYaml } from './yaml.js';

export type OutputFormat =
  | { kind: 'table'; wide: boolean }
  | { kind: 'yaml' }
  | { kind: 'json' }
  | { kind: 'name' }
  | { kind: 'jsonpath'; template: string };

/** Parses `-o`; undefined means the default table. */
export function parseOutput(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return { kind: 'table', wide: false };
  if (value === 'wide') return { kind: 'table', wide: true };
  if (value === 'yaml' || value === 'json' || value === 'name') return { kind: value };
  const m = /^jsonpath=(.*)$/s.exec(value);
  if (m) return { kind: 'jsonpath', template: m[1]! }; // group 1 always takes part in a match
  throw new InferdError(
    'INVALID_INPUT',
    `unable to match a printer suitable for the output format "${value}", allowed formats are: json,jsonpath,name,wide,yaml`,
  );
}

/** `inferenceservice.serving.kserve.io/x` for any object with apiVersion/kind. */
export function nameOf(obj: Record<string, unknown>): string {
  const kind = kindByName(String(obj.kind));
  const name = (obj.metadata as { name?: string } | undefined)?.name ?? '';
  return kind ? objectName(kind, name) : `${String(obj.kind).toLowerCase()}/${name}`;
}

export interface StructuredOptions {
  /** One object asked for by name: print it bare, not wrapped in a List. */
  single: boolean;
  showSecrets: boolean;
}

/** Prints objects with a non-table format. Returns the text (empty for no objects with `name`). */
export function formatStructured(
  objs: readonly Record<string, unknown>[],
  format: Exclude<OutputFormat, { kind: 'table' }>,
  opts: StructuredOptions,
): string {
  const shown = opts.showSecrets ? objs : objs.map(maskSecrets);
  if (format.kind === 'name') return shown.map((o) => `${nameOf(o)}\n`).join('');
  const data = opts.single && shown.length === 1 ? shown[0] : asList(shown);
  if (format.kind === 'yaml') return toYaml(data);
  if (format.kind === 'json') return toJson(data);
  return renderJsonPath(format.template, data);
}
