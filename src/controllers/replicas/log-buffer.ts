// Keeps the recent stdout/stderr lines of one InferenceService's replicas for `inferd logs`: a bounded ring
// in memory (for tail and follow) plus an append-only file, so the history survives a restart of inferd.

import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';

export class LogBuffer {
  private readonly lines: string[] = [];
  private readonly listeners = new Set<(line: string) => void>();
  private readonly file: WriteStream | undefined;

  constructor(
    private readonly filePath: string | undefined,
    private readonly maxLines = 2000,
  ) {
    this.file = filePath ? createWriteStream(filePath, { flags: 'a' }) : undefined;
    // A restarted inferd shows the previous run's last lines first.
    if (filePath && existsSync(filePath)) {
      const old = readFileSync(filePath, 'utf8').split('\n').filter(Boolean);
      this.lines.push(...old.slice(-maxLines));
    }
  }

  append(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
    this.file?.write(`${line}\n`);
    for (const l of this.listeners) l(line);
  }

  tail(n?: number): string[] {
    return n === undefined || n < 0 ? [...this.lines] : this.lines.slice(Math.max(0, this.lines.length - n));
  }

  follow(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.listeners.clear();
    this.file?.end();
  }

  get path(): string | undefined {
    return this.filePath;
  }
}
