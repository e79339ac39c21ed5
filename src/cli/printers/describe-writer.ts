// The text layout of `describe`: `Key:<tab>value` lines indented two spaces per level, aligned by
// kubectl's describe tabwriter (padding 2), with raw blocks (YAML) and small tables in between.

import { formatCells, KUBECTL_DESCRIBE } from './table.js';

const indent = (level: number): string => '  '.repeat(level);

export class DescribeWriter {
  readonly #lines: string[][] = [];

  /** `Key:  value`; with no value, a section heading `Key:` whose fields follow one level deeper. */
  field(level: number, key: string, value?: unknown): void {
    const head = `${indent(level)}${key}:`;
    if (value === undefined) this.#lines.push([head]);
    else this.#lines.push([head, value === null || value === '' ? '' : String(value)]);
  }

  /** A `Key:` whose value is a list, one item per line in the value column (`Labels:`); `<none>` if empty. */
  list(level: number, key: string, items: readonly string[]): void {
    if (items.length === 0) {
      this.field(level, key, '<none>');
      return;
    }
    this.field(level, key, items[0]);
    for (const item of items.slice(1)) this.#lines.push(['', item]);
  }

  /** Lines printed as they are (after indenting), never aligned: YAML blocks, headings like `Data`. */
  raw(level: number, text: string): void {
    for (const line of text.replace(/\n$/, '').split('\n'))
      this.#lines.push([`${indent(level)}${line}`.replace(/\t/g, '  ')]);
  }

  /** A table whose first row is the header, followed by kubectl's `----` underline row. */
  table(level: number, rows: readonly (readonly string[])[]): void {
    const [header, ...body] = rows;
    if (!header) return; // no header, no table (not even the underline)
    const all = [header, header.map((h) => '-'.repeat(h.length)), ...body];
    for (const r of all) this.#lines.push([`${indent(level)}${r[0] ?? ''}`, ...r.slice(1)]);
  }

  blank(): void {
    this.#lines.push(['']);
  }

  toString(): string {
    return formatCells(this.#lines, KUBECTL_DESCRIBE)
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n');
  }
}
