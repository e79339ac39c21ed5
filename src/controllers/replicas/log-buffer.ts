// Keeps the recent stdout/stderr lines of one InferenceService's replicas for `inferd logs`: a bounded ring
// in memory (for tail, since and follow) plus an append-only file, so the history survives a restart of inferd.
// Each line remembers when it arrived and which component wrote it (`--component`, `--since`); the file keeps
// the lines as they were written, so lines read back after a restart carry the time of their JSON `time` field
// (none: unknown) and no component.

import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';

/** Which part of a service wrote a line; undefined: the service itself (storage initializer, manager). */
export type LogComponent = 'predictor' | 'transformer' | 'explainer';

/** Where a replica writes its lines. */
export interface LogSink {
  append(line: string): void;
}

export interface LogLine {
  line: string;
  /** Epoch ms it arrived; NaN when unknown (read back from the file without a `time`). */
  time: number;
  component: LogComponent | undefined;
}

/** Which lines a reader wants. */
export interface LogFilter {
  /** Only this component's lines (predictor also gets the service's own: its storage initializer). */
  component?: LogComponent;
  /** Only lines that arrived at or after this epoch ms (kubectl's sinceSeconds/sinceTime). */
  sinceMs?: number;
}

/** Whether a line passes the filter. */
export function matches(l: LogLine, f: LogFilter): boolean {
  if (f.component !== undefined && l.component !== f.component && !(f.component === 'predictor' && !l.component)) {
    return false;
  }
  return f.sinceMs === undefined || l.time >= f.sinceMs;
}

function timeOf(line: string): number {
  if (!line.startsWith('{')) return Number.NaN;
  try {
    const t = (JSON.parse(line) as { time?: unknown }).time;
    return typeof t === 'string' ? Date.parse(t) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export class LogBuffer implements LogSink {
  private readonly lines: LogLine[] = [];
  private readonly listeners = new Set<(line: LogLine) => void>();
  private readonly file: WriteStream | undefined;

  constructor(
    private readonly filePath: string | undefined,
    private readonly maxLines = 2000,
    private readonly now: () => number = Date.now,
  ) {
    this.file = filePath ? createWriteStream(filePath, { flags: 'a' }) : undefined;
    // A restarted inferd shows the previous run's last lines first.
    if (filePath && existsSync(filePath)) {
      const old = readFileSync(filePath, 'utf8').split('\n').filter(Boolean);
      for (const line of old.slice(-maxLines)) this.lines.push({ line, time: timeOf(line), component: undefined });
    }
  }

  append(line: string, component?: LogComponent): void {
    const entry: LogLine = { line, time: this.now(), component };
    this.lines.push(entry);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
    this.file?.write(`${line}\n`);
    for (const l of this.listeners) l(entry);
  }

  /** A sink that tags what it appends with `component`. */
  sink(component: LogComponent): LogSink {
    return { append: (line) => this.append(line, component) };
  }

  /** The last `n` lines that pass the filter (all of them when n is undefined or negative). */
  tail(n?: number, filter: LogFilter = {}): string[] {
    const all = filter.component === undefined && filter.sinceMs === undefined;
    const picked = all ? this.lines : this.lines.filter((l) => matches(l, filter));
    const from = n === undefined || n < 0 ? 0 : Math.max(0, picked.length - n);
    return picked.slice(from).map((l) => l.line);
  }

  /** New lines that pass the filter, as they arrive; returns the stop function. */
  follow(listener: (line: string) => void, filter: LogFilter = {}): () => void {
    const l = (e: LogLine) => {
      if (filter.component === undefined || matches(e, { component: filter.component })) listener(e.line);
    };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  close(): void {
    this.listeners.clear();
    this.file?.end();
  }

  get path(): string | undefined {
    return this.filePath;
  }
}
