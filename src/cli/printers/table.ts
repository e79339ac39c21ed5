// Column alignment the way Go's text/tabwriter does it, which is what kubectl's tables and `describe`
// output are made of. A line is a list of cells; the last cell of a line is never padded, and a column
// is aligned only across a run of consecutive lines that all have a cell in it:
//
//   NAME   READY   AGE      ← one block: NAME/READY columns aligned over all three lines
//   a      True    5s
//   bbbb   False   2m
//   Events:                ← a line with one cell ends every block above it
//
// Not a general tabwriter: no tab stops, no alignment flags, padding is always spaces.

export interface TableLayout {
  /** Smallest width of a column, padding included (kubectl tables: 6; describe: 0). */
  minWidth: number;
  /** Spaces after the widest cell of a column (kubectl tables: 3; describe: 2). */
  padding: number;
}

/** kubectl's table printer (`printers.GetNewTabWriter`). */
export const KUBECTL_TABLE: TableLayout = { minWidth: 6, padding: 3 };
/** kubectl's describe output (`tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)`). */
export const KUBECTL_DESCRIBE: TableLayout = { minWidth: 0, padding: 2 };

const widthOf = (s: string): number => [...s].length;

/**
 * Aligns lines of cells. `remembered` (kubectl's RememberWidths, for `get -w`) holds column widths from
 * earlier calls: columns never shrink, and it is updated in place.
 */
export function formatCells(lines: readonly (readonly string[])[], layout: TableLayout, remembered?: number[]): string {
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      // Indexes below are within bounds: i < to <= lines.length, j < line.length, and j < widths.length.
      const line = lines[i]!;
      let text = '';
      for (let j = 0; j < line.length; j++) {
        const cell = line[j]!;
        text += j < widths.length && j < line.length - 1 ? cell.padEnd(cell.length + widths[j]! - widthOf(cell)) : cell;
      }
      out.push(text);
    }
  };

  // Go's tabwriter `format`: find each block of lines that have a cell in `column`, size it, recurse right.
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    // i < line1 <= lines.length, and `column` is a cell of lines[i] (column < length - 1) where it is read.
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      writeLines(start, i);
      start = i;
      let width = layout.minWidth;
      for (; i < line1 && column < lines[i]!.length - 1; i++) {
        width = Math.max(width, widthOf(lines[i]![column]!) + layout.padding);
      }
      if (remembered) {
        width = Math.max(width, remembered[column] ?? 0);
        remembered[column] = width;
      }
      widths.push(width);
      format(start, i);
      widths.pop();
      start = i;
      // The line that ended the block has no cell here, so the loop's i++ may step over it (as Go does).
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out.map((l) => `${l}\n`).join('');
}

/** A kubectl table: header row plus data rows, aligned with 3 spaces of padding. */
export function formatTable(rows: readonly (readonly string[])[], remembered?: number[]): string {
  return formatCells(rows, KUBECTL_TABLE, remembered);
}
