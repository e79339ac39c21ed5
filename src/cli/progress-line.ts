// One live status line at the bottom of a terminal (`inferd serve` shows model downloads there). Other output
// (log records) is written above it: the line is cleared, the record printed, the line drawn again.
// Only for TTYs: serve.ts creates one when stderr is a terminal, and writes nothing of this kind otherwise.

export interface TerminalStream {
  write(text: string): unknown;
  /** Terminal width; lines are cut to fit so that `\r` can redraw them. */
  columns?: number;
}

const CLEAR = '\r\x1b[2K';

export class ProgressLine {
  readonly #out: TerminalStream;
  /** One entry per task in progress (e.g. `kserve-test/sklearn-iris`), drawn side by side. */
  readonly #tasks = new Map<string, string>();
  #drawn = false;

  constructor(out: TerminalStream) {
    this.#out = out;
  }

  /** Sets (or replaces) one task's text and redraws the line. */
  update(task: string, text: string): void {
    this.#tasks.set(task, text);
    this.#draw();
  }

  /** Ends one task: its line goes away, and `finalText` (when given) stays above as an ordinary line. */
  done(task: string, finalText?: string): void {
    if (!this.#tasks.delete(task) && finalText === undefined) return;
    this.#clear();
    if (finalText !== undefined) this.#out.write(`${this.#fit(finalText)}\n`);
    this.#draw();
  }

  /** Writes ordinary output (ending in a newline) above the progress line. */
  write(text: string): void {
    this.#clear();
    this.#out.write(text);
    this.#draw();
  }

  #clear(): void {
    if (!this.#drawn) return;
    this.#out.write(CLEAR);
    this.#drawn = false;
  }

  #draw(): void {
    if (this.#tasks.size === 0) {
      this.#clear();
      return;
    }
    const text = [...this.#tasks].map(([task, t]) => `${task}: ${t}`).join(' | ');
    this.#out.write(`${CLEAR}${this.#fit(text)}`);
    this.#drawn = true;
  }

  #fit(text: string): string {
    const width = this.#out.columns;
    if (!width || text.length < width) return text;
    return `${text.slice(0, Math.max(0, width - 2))}…`;
  }
}
