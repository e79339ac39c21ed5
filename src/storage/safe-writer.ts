// Writes archive entries under one root and nowhere else. Each entry's name is checked lexically (no absolute
// paths, no `..` escaping the root), and its parent folder is checked on disk with realpath, so an earlier
// symlink entry cannot be used to write outside the root. Existing entries are unlinked first, never written
// through. Totals are bounded by maxBytes and maxEntries.

import { constants } from 'node:fs';
import {
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  readlink,
  realpath,
  rm,
  stat,
  symlink,
  unlink,
} from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import type { InferdError } from '../errors.js';
import { storageError } from './storage-error.js';

export interface WriterLimits {
  maxBytes: number;
  maxEntries: number;
  /** Set when maxBytes comes from the compression-ratio cap: the archive's size and the ratio, for the message. */
  ratio?: { archiveBytes: number; maxRatio: number };
}

export function invalidArchive(what: string, message: string): InferdError {
  return storageError('InvalidArchive', `refusing to unpack ${what}: ${message}`);
}

/** The entry name as a safe relative POSIX path, or an error naming the entry. */
export function safeRelativePath(name: string, what: string): string {
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) {
    throw invalidArchive(what, `entry '${name}' has an absolute path`);
  }
  if (slashed.includes('\0')) throw invalidArchive(what, `entry '${name}' has a NUL byte in its name`);
  const norm = posix.normalize(slashed);
  if (norm === '..' || norm.startsWith('../')) {
    throw invalidArchive(what, `entry '${name}' escapes the model directory`);
  }
  return norm === '.' || norm === './' ? '' : norm.replace(/\/+$/, '');
}

const within = (root: string, p: string) => p === root || p.startsWith(root + sep);

export interface FileSink {
  write(chunk: Buffer): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export class SafeWriter {
  readonly #root: string;
  readonly #limits: WriterLimits;
  readonly #what: string;
  #bytes = 0;
  #entries = 0;
  readonly #links: string[] = [];

  private constructor(root: string, limits: WriterLimits, what: string) {
    this.#root = root;
    this.#limits = limits;
    this.#what = what;
  }

  static async create(root: string, limits: WriterLimits, what: string): Promise<SafeWriter> {
    await mkdir(root, { recursive: true });
    return new SafeWriter(await realpath(root), limits, what);
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Refuses up front when `n` more bytes (e.g. the sizes an archive declares) would pass maxBytes. */
  precheck(n: number): void {
    if (this.#bytes + n > this.#limits.maxBytes) this.#tooLarge();
  }

  /** Counts written bytes against maxBytes. */
  count(n: number): void {
    this.#bytes += n;
    if (this.#bytes > this.#limits.maxBytes) this.#tooLarge();
  }

  #tooLarge(): never {
    const r = this.#limits.ratio;
    if (r) {
      throw storageError(
        'StorageTooLarge',
        `refusing to unpack ${this.#what}: its ${r.archiveBytes} bytes expand beyond ${this.#limits.maxBytes} bytes, more than ${r.maxRatio}:1 (a compression bomb?); inferd serve --storage-max-ratio raises the cap`,
        { maxBytes: this.#limits.maxBytes, maxRatio: r.maxRatio },
      );
    }
    throw storageError(
      'StorageTooLarge',
      `refusing to unpack ${this.#what}: contents exceed the limit of ${this.#limits.maxBytes} bytes (maxBytes)`,
      { maxBytes: this.#limits.maxBytes },
    );
  }

  async mkdir(name: string): Promise<void> {
    const rel = safeRelativePath(name, this.#what);
    if (rel === '') return;
    this.#countEntry();
    const parent = await this.#parent(rel);
    const target = join(parent, posix.basename(rel));
    const st = await lstat(target).catch(() => undefined);
    if (st?.isDirectory()) return;
    if (st) await rm(target, { recursive: true, force: true });
    await mkdir(target, { mode: 0o755 });
  }

  async file(name: string, mode: number): Promise<FileSink> {
    const target = await this.#fresh(name);
    const fileMode = 0o644 | (mode & 0o111);
    const fh: FileHandle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, fileMode);
    return {
      write: async (chunk) => {
        this.count(chunk.length);
        await fh.write(chunk);
      },
      close: () => fh.close(),
      abort: async () => {
        await fh.close().catch(() => {});
        await unlink(target).catch(() => {});
      },
    };
  }

  async symlink(name: string, linkTarget: string): Promise<void> {
    if (isAbsolute(linkTarget) || /^[A-Za-z]:/.test(linkTarget)) {
      throw invalidArchive(this.#what, `symlink '${name}' points to an absolute path '${linkTarget}'`);
    }
    const target = await this.#fresh(name);
    const pointsTo = resolve(dirname(target), linkTarget);
    if (!within(this.#root, pointsTo)) {
      throw invalidArchive(this.#what, `symlink '${name}' points outside the model directory ('${linkTarget}')`);
    }
    await symlink(linkTarget, target);
    this.#links.push(target);
  }

  /**
   * Checks every symlink once all entries exist: a chain of links each pointing inside the root can still end
   * outside it on disk (`a -> b/../..` with `b -> .`), which only the real path shows.
   */
  async finish(): Promise<void> {
    for (const l of this.#links) {
      let real: string | undefined;
      try {
        real = await realpath(l);
      } catch {
        real = await deepestRealAncestor(l);
      }
      if (real !== undefined && !within(this.#root, real)) {
        await unlink(l).catch(() => {});
        throw invalidArchive(this.#what, `symlink '${relative(this.#root, l)}' resolves outside the model directory`);
      }
    }
  }

  async hardlink(name: string, existing: string): Promise<void> {
    const rel = safeRelativePath(existing, this.#what);
    const source = join(await this.#parent(rel), posix.basename(rel));
    const real = await realpath(source).catch(() => undefined);
    if (!real || !within(this.#root, real)) {
      throw invalidArchive(this.#what, `hard link '${name}' points to '${existing}', which is not in the archive`);
    }
    const target = await this.#fresh(name);
    await link(real, target);
  }

  /** Path for a new entry: lexically safe, parent really inside the root, any old entry removed. */
  async #fresh(name: string): Promise<string> {
    const rel = safeRelativePath(name, this.#what);
    if (rel === '') throw invalidArchive(this.#what, `entry '${name}' has an empty name`);
    this.#countEntry();
    const target = join(await this.#parent(rel), posix.basename(rel));
    const st = await lstat(target).catch(() => undefined);
    if (st) await rm(target, { recursive: true, force: true });
    return target;
  }

  /**
   * Creates the parent folders of rel one component at a time and returns the parent's real path. Each
   * existing component is resolved (realpath) and must stay inside the root before anything is created in
   * it, so a link that escapes on disk never gets even an empty folder made behind it.
   */
  async #parent(rel: string): Promise<string> {
    const dir = posix.dirname(rel);
    let cur = this.#root;
    if (dir === '.') return cur;
    for (const comp of dir.split('/')) {
      const next = join(cur, comp);
      const st = await lstat(next).catch(() => undefined);
      if (!st) {
        await mkdir(next, { mode: 0o755 });
        cur = next;
        continue;
      }
      if (!st.isDirectory() && !st.isSymbolicLink()) {
        throw invalidArchive(this.#what, `entry '${rel}' needs folder '${dir}', but '${comp}' is a file`);
      }
      const real = await realpath(next).catch(() => undefined);
      if (real === undefined || !within(this.#root, real)) {
        throw invalidArchive(this.#what, `entry '${rel}' would be written outside the model directory through a link`);
      }
      if (!(await stat(real)).isDirectory()) {
        throw invalidArchive(this.#what, `entry '${rel}' needs folder '${dir}', but '${comp}' is a file`);
      }
      cur = real;
    }
    return cur;
  }

  #countEntry(): void {
    this.#entries++;
    if (this.#entries > this.#limits.maxEntries) {
      throw invalidArchive(this.#what, `more than ${this.#limits.maxEntries} entries`);
    }
  }
}

/** For a dangling link: where its target would be, walking the components on disk as far as they exist. */
async function deepestRealAncestor(link: string): Promise<string | undefined> {
  const target = await readlink(link).catch(() => undefined);
  if (target === undefined) return undefined;
  let cur = await realpath(dirname(link));
  let onDisk = true;
  for (const comp of target.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp === '..') {
      cur = dirname(cur);
      continue;
    }
    const next = join(cur, comp);
    const real = onDisk ? await realpath(next).catch(() => undefined) : undefined;
    if (real === undefined) onDisk = false;
    cur = real ?? next;
  }
  return cur;
}
