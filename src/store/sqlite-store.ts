// The local-mode resource store: Kubernetes semantics (resourceVersion, generation, optimistic concurrency,
// watch) on an embedded SQLite file, `<stateDir>/state.db`. Objects are stored as JSON text beside the
// columns lookups use. Not a cache of a cluster: in cluster mode the Kubernetes API server is the store.
//
// Durability: WAL journal with synchronous=NORMAL. A commit is in the WAL file (in the OS page cache) before
// a call returns, so killing the process (even `kill -9`) loses nothing; only an OS crash or power loss can
// lose the last transactions. Pass `synchronous: 'FULL'` to fsync every commit as well. One process owns the
// file at a time (SQLite's exclusive locking mode), so a second `inferd serve` on the same state refuses to start.

import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type KindInfo, kindByName, type Resource } from '../api/types.js';
import { InferdError, messageOf } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { matchesLabels } from './label-selector.js';
import {
  checkPreconditions,
  jsonClone,
  normalizeIncoming,
  planDelete,
  planStatusUpdate,
  planUpdate,
  stampCreate,
  type UpdatePlan,
} from './object-rules.js';
import { alreadyExists, invalid, notFound, tooNew, unknownKind } from './resource-errors.js';
import { migrate } from './sqlite-schema.js';
import type { ListOptions, ObjectKey, Store, Watch, WatchEvent, WatchOptions } from './store.js';
import { rfc3339 } from './timestamps.js';
import { type LoggedEvent, WatchHub } from './watch-hub.js';

export interface SqliteStoreOptions {
  /** Directory holding `state.db` (created if missing). */
  stateDir: string;
  log?: Logger;
  /** Clock for creationTimestamp, epoch milliseconds. */
  now?: () => number;
  /** How many recent events a watch can resume from (older → 410 Expired). Default 1000. */
  watchLogSize?: number;
  /** SQLite `synchronous` pragma: NORMAL survives process crashes, FULL also power loss. Default NORMAL. */
  synchronous?: 'NORMAL' | 'FULL';
  /** Kinds stored besides the KINDS table (storage-only Kubernetes kinds for tests: api/kube-kinds.ts). */
  extraKinds?: readonly KindInfo[];
}

/** Namespaces every new state database starts with (`default` is also re-created if missing). */
export const INITIAL_NAMESPACES = ['default', 'kserve-test'] as const;
/** Namespaces that cannot be deleted, as in Kubernetes. */
const PROTECTED_NAMESPACES = new Set(['default']);

type Db = Database.Database;
interface Row {
  body: string;
}
interface Pending {
  events: LoggedEvent[];
}

function kindInfo(kind: string, forWrite: boolean, extra?: ReadonlyMap<string, KindInfo>): KindInfo {
  const info = kindByName(kind) ?? extra?.get(kind);
  if (info) return info;
  if (forWrite) throw invalid('kind', `Unsupported value: "${kind}": no kind "${kind}" is registered`);
  throw unknownKind(kind);
}

/** '' for cluster-scoped kinds; the namespace, required, for namespaced ones. */
function namespaceColumn(info: KindInfo, namespace: string | undefined): string {
  if (!info.namespaced) return '';
  if (!namespace) throw new InferdError('INVALID_INPUT', `${info.kind} is namespaced: a namespace is required`);
  return namespace;
}

export class SqliteStore implements Store {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #hub: WatchHub;
  readonly #stmt: ReturnType<typeof prepareStatements>;
  readonly #extraKinds: ReadonlyMap<string, KindInfo>;
  #closed = false;

  private constructor(db: Db, opts: Omit<SqliteStoreOptions, 'stateDir'>) {
    this.#db = db;
    this.#log = opts.log ?? silentLogger;
    this.#now = opts.now ?? Date.now;
    this.#extraKinds = new Map((opts.extraKinds ?? []).map((k) => [k.kind, k]));
    const before = migrate(db, rfc3339(this.#now()));
    this.#stmt = prepareStatements(db);
    this.#hub = new WatchHub({ capacity: opts.watchLogSize ?? 1000, startRv: this.#currentRv(), log: this.#log });
    this.#ensureNamespaces(before === 0 ? INITIAL_NAMESPACES : ['default']);
  }

  /**
   * Opens (creating if needed) `<stateDir>/state.db` and migrates it. The file is locked for this store's
   * lifetime: a second open, from this or another process, fails with INVALID_CONFIG instead of two servers
   * silently sharing one state (their watches would not see each other's writes).
   */
  static open(opts: SqliteStoreOptions): SqliteStore {
    const file = join(opts.stateDir, 'state.db');
    // state.db holds Secret values: only the server's user may read it (docs/security.md, "State").
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    tightenMode(opts.stateDir, 0o700, opts.log);
    const isNew = !existsSync(file);
    if (!isNew && statSync(file).size === 0 && !(existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0)) {
      throw damaged(file, 'the file is empty (0 bytes)');
    }
    // timeout 0: a locked file means another process owns this state; say so at once instead of waiting.
    const db = new Database(file, { timeout: 0 });
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) tightenMode(f, 0o600, opts.log);
    try {
      try {
        db.pragma('locking_mode = EXCLUSIVE');
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
        db.exec('BEGIN IMMEDIATE; COMMIT'); // takes the exclusive lock now, not at the first write
        if (!isNew) {
          // A damaged page would otherwise surface later as 500s with no controller running.
          const result = db.pragma('quick_check', { simple: true });
          if (result !== 'ok') throw damaged(file, `PRAGMA quick_check: ${String(result)}`);
        }
      } catch (err) {
        if (err instanceof InferdError) throw err;
        const code = (err as { code?: string }).code;
        if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw damaged(file, messageOf(err), err);
        if (code !== 'SQLITE_BUSY') throw err;
        throw new InferdError(
          'INVALID_CONFIG',
          `the state directory ${opts.stateDir} is in use by another inferd process (${file} is locked)`,
          { path: 'stateDir', cause: err },
        );
      }
      return new SqliteStore(db, opts);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** A store in memory only, for tests and throwaway runs. */
  static memory(opts: Omit<SqliteStoreOptions, 'stateDir'> = {}): SqliteStore {
    return new SqliteStore(new Database(':memory:'), opts);
  }

  /** The latest resourceVersion handed out (what a list would report). */
  get resourceVersion(): string {
    return String(this.#currentRv());
  }

  get<T extends Resource = Resource>(key: ObjectKey): T | undefined {
    this.#open();
    const info = kindInfo(key.kind, false, this.#extraKinds);
    const row = this.#stmt.get.get(info.kind, namespaceColumn(info, key.namespace), key.name) as Row | undefined;
    return row ? (JSON.parse(row.body) as T) : undefined;
  }

  list<T extends Resource = Resource>(opts: ListOptions): { items: T[]; resourceVersion: string } {
    this.#open();
    const info = kindInfo(opts.kind, false, this.#extraKinds);
    const read = this.#db.transaction(() => {
      const rows = (
        info.namespaced && opts.namespace
          ? this.#stmt.listNamespace.all(info.kind, opts.namespace)
          : this.#stmt.listKind.all(info.kind)
      ) as Row[];
      return { rows, rv: this.#currentRv() };
    });
    const { rows, rv } = read();
    const items = rows
      .map((r) => JSON.parse(r.body) as T)
      .filter((o) => matchesLabels(o.metadata.labels, opts.labelSelector));
    return { items, resourceVersion: String(rv) };
  }

  create<T extends Resource>(obj: T): T {
    this.#open();
    const info = kindInfo(obj?.kind, true, this.#extraKinds);
    return this.#write((p) => {
      const created = this.#insert(obj, info, p);
      this.#log.debug('created', {
        kind: info.kind,
        namespace: created.metadata.namespace,
        name: created.metadata.name,
      });
      return created as T;
    });
  }

  update<T extends Resource>(obj: T): T {
    this.#open();
    const info = kindInfo(obj?.kind, true, this.#extraKinds);
    if (!obj.metadata?.name) throw invalid('metadata.name', 'Required value: name is required for an update');
    return this.#write((p) => {
      const stored = this.#mustGet(info, obj.metadata.namespace, obj.metadata.name);
      normalizeIncoming(obj, info);
      checkPreconditions(stored, obj, info);
      const plan = planUpdate(stored, obj, info);
      const next = this.#apply(info, stored, plan, p);
      // The last finalizer of an object being deleted is gone: MODIFIED, then DELETED (as Kubernetes).
      if (plan.remove) this.#removeCascading(jsonClone(next), p);
      return next as T;
    });
  }

  updateStatus<T extends Resource>(obj: T): T {
    this.#open();
    const info = kindInfo(obj?.kind, true, this.#extraKinds);
    if (!info.hasStatus) {
      throw new InferdError('METHOD_NOT_ALLOWED', `${info.plural} have no status subresource`);
    }
    if (!obj.metadata?.name) throw invalid('metadata.name', 'Required value: name is required for an update');
    return this.#write((p) => {
      const stored = this.#mustGet(info, obj.metadata.namespace, obj.metadata.name);
      checkPreconditions(stored, obj, info);
      return this.#apply(info, stored, planStatusUpdate(stored, obj), p) as T;
    });
  }

  delete<T extends Resource = Resource>(key: ObjectKey): T {
    this.#open();
    const info = kindInfo(key.kind, false, this.#extraKinds);
    if (info.kind === 'Namespace' && PROTECTED_NAMESPACES.has(key.name)) {
      throw new InferdError('FORBIDDEN', `namespaces "${key.name}" is forbidden: this namespace may not be deleted`, {
        name: key.name,
        resource: 'namespaces',
        group: '',
      });
    }
    return this.#write((p) => {
      const stored = this.#mustGet(info, key.namespace, key.name);
      // Finalizers defer the delete: mark the object (MODIFIED) and answer with it; an update removing the
      // last finalizer removes it. A Namespace's cascade below does not wait for its objects' finalizers.
      const plan = planDelete(stored, rfc3339(this.#now()));
      if (plan.action === 'keep') return stored as T;
      if (plan.action === 'mark') return this.#apply(info, stored, { changed: true, next: plan.next }, p) as T;
      const deleted = this.#removeCascading(stored, p);
      this.#log.debug('deleted', { kind: info.kind, namespace: key.namespace, name: key.name });
      return deleted as T;
    });
  }

  watch(opts: WatchOptions, onEvent: (ev: WatchEvent) => void): Watch {
    this.#open();
    const info = kindInfo(opts.kind, false, this.#extraKinds);
    const filter = {
      kind: info.kind,
      namespace: info.namespaced && opts.namespace ? opts.namespace : undefined,
      labelSelector: opts.labelSelector,
    };
    const rv = opts.resourceVersion;
    let stop: () => void;
    if (rv !== undefined && rv !== '' && rv !== '0') {
      if (!/^\d+$/.test(rv)) throw new InferdError('INVALID_INPUT', `invalid resourceVersion "${rv}"`);
      // A version from the future comes from another history (a wiped state dir): make the client re-list.
      if (Number(rv) > this.#currentRv()) throw tooNew(rv, String(this.#currentRv()));
      stop = this.#hub.subscribe(filter, onEvent, { fromRv: Number(rv) });
    } else {
      // resourceVersion unset or "0" (Kubernetes: "any"): the current objects first, as ADDED.
      const { items, resourceVersion } = this.list({
        kind: info.kind,
        namespace: filter.namespace,
        labelSelector: filter.labelSelector,
      });
      const initial = items.map((o) => toLogged('ADDED', o, JSON.stringify(o)));
      stop = this.#hub.subscribe(filter, onEvent, { initial, snapshotRv: Number(resourceVersion) });
    }
    return { close: () => stop() };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.closeAll();
    this.#db.close();
  }

  // ---- internals: every write runs in one transaction; its events are published after commit ----

  #write<R>(fn: (p: Pending) => R): R {
    const p: Pending = { events: [] };
    const result = this.#db.transaction(() => fn(p))();
    if (p.events.length > 0) this.#hub.publish(p.events);
    return result;
  }

  #insert(input: Resource, info: KindInfo, p: Pending): Resource {
    const obj = normalizeIncoming(input, info);
    const ns = obj.metadata.namespace;
    if (info.namespaced && ns && !this.#exists('Namespace', '', ns)) {
      // Kubernetes would refuse; inferd creates the namespace, so `inferd apply -n team-a` just works.
      this.#insert(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
        kindInfo('Namespace', true, this.#extraKinds),
        p,
      );
    }
    const rv = this.#nextRv();
    const created = stampCreate(obj, info, {
      uid: randomUUID(),
      resourceVersion: String(rv),
      creationTimestamp: rfc3339(this.#now()),
    });
    const nsCol = created.metadata.namespace ?? '';
    if (this.#exists(info.kind, nsCol, created.metadata.name)) throw alreadyExists(info, created.metadata.name);
    const body = JSON.stringify(created);
    this.#stmt.insert.run(info.kind, nsCol, created.metadata.name, created.metadata.uid, rv, body);
    p.events.push(toLogged('ADDED', created, body, rv));
    return created;
  }

  #apply(info: KindInfo, stored: Resource, plan: UpdatePlan, p: Pending): Resource {
    if (!plan.changed) return stored;
    const rv = this.#nextRv();
    const next = plan.next;
    next.metadata.resourceVersion = String(rv);
    const body = JSON.stringify(next);
    this.#stmt.update.run(rv, body, info.kind, next.metadata.namespace ?? '', next.metadata.name);
    p.events.push(toLogged('MODIFIED', next, body, rv));
    return next;
  }

  /**
   * #remove, except that a Namespace's objects go first, as Kubernetes' namespace controller does (there with
   * a Terminating phase; here the cascade is one transaction and does not wait for the objects' finalizers).
   */
  #removeCascading(stored: Resource, p: Pending): Resource {
    if (stored.kind === 'Namespace') {
      for (const row of this.#stmt.listInNamespace.all(stored.metadata.name) as Row[]) {
        this.#remove(JSON.parse(row.body) as Resource, p);
      }
    }
    return this.#remove(stored, p);
  }

  #remove(stored: Resource, p: Pending): Resource {
    // Like Kubernetes, the DELETED event (and the returned object) carry the deletion's resourceVersion.
    const rv = this.#nextRv();
    stored.metadata.resourceVersion = String(rv);
    this.#stmt.delete.run(stored.kind, stored.metadata.namespace ?? '', stored.metadata.name);
    p.events.push(toLogged('DELETED', stored, JSON.stringify(stored), rv));
    return stored;
  }

  #mustGet(info: KindInfo, namespace: string | undefined, name: string): Resource {
    const row = this.#stmt.get.get(info.kind, namespaceColumn(info, namespace), name) as Row | undefined;
    if (!row) throw notFound(info, name);
    return JSON.parse(row.body) as Resource;
  }

  #exists(kind: string, namespace: string, name: string): boolean {
    return this.#stmt.get.get(kind, namespace, name) !== undefined;
  }

  #nextRv(): number {
    return (this.#stmt.nextRv.get() as { value: number }).value;
  }

  #currentRv(): number {
    return (this.#stmt.currentRv.get() as { value: number }).value;
  }

  #ensureNamespaces(names: readonly string[]): void {
    const info = kindInfo('Namespace', true, this.#extraKinds);
    this.#write((p) => {
      for (const name of names) {
        if (!this.#exists('Namespace', '', name))
          this.#insert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, info, p);
      }
    });
  }

  #open(): void {
    if (this.#closed) throw new InferdError('INTERNAL', 'the store is closed');
  }
}

function toLogged(type: LoggedEvent['type'], obj: Resource, body: string, rv?: number): LoggedEvent {
  return {
    rv: rv ?? Number(obj.metadata.resourceVersion),
    type,
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    labels: obj.metadata.labels,
    body,
  };
}

function prepareStatements(db: Db) {
  return {
    get: db.prepare('SELECT body FROM objects WHERE kind = ? AND namespace = ? AND name = ?'),
    listKind: db.prepare('SELECT body FROM objects WHERE kind = ? ORDER BY namespace, name'),
    listNamespace: db.prepare('SELECT body FROM objects WHERE kind = ? AND namespace = ? ORDER BY name'),
    listInNamespace: db.prepare('SELECT body FROM objects WHERE namespace = ? ORDER BY kind, name'),
    insert: db.prepare(
      'INSERT INTO objects (kind, namespace, name, uid, resource_version, body) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    update: db.prepare(
      'UPDATE objects SET resource_version = ?, body = ? WHERE kind = ? AND namespace = ? AND name = ?',
    ),
    delete: db.prepare('DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?'),
    currentRv: db.prepare("SELECT value FROM counters WHERE name = 'resourceVersion'"),
    nextRv: db.prepare("UPDATE counters SET value = value + 1 WHERE name = 'resourceVersion' RETURNING value"),
  };
}

/** chmod `path` to `mode` when group or others have more than it allows, with a warning (H1, docs/security.md). */
function tightenMode(path: string, mode: number, log: Logger | undefined): void {
  const current = statSync(path).mode & 0o777;
  if ((current & ~mode) === 0) return;
  chmodSync(path, mode);
  log?.warn('state file permissions were looser than the server needs; fixed', {
    path,
    was: current.toString(8).padStart(4, '0'),
    now: mode.toString(8).padStart(4, '0'),
  });
}

/** STATE_DAMAGED for `file`, saying what to do. */
function damaged(file: string, why: string, cause?: unknown): InferdError {
  return new InferdError(
    'STATE_DAMAGED',
    `the state database ${file} is damaged (${why}); inferd will not run on it. Stop inferd, keep a copy ` +
      `(cp ${file} ${file}.bak), then either recover what is readable (sqlite3 ${file} .recover | sqlite3 ` +
      `${file}.recovered && mv ${file}.recovered ${file}) or move ${file} away to start with an empty store and ` +
      `apply your manifests again`,
    { path: file, cause },
  );
}
