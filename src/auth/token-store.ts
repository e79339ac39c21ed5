// API tokens in `STATE/tokens.db`: name, namespace, role, expiry and the token's SHA-256 digest, never the
// token. A file of its own beside state.db because state.db is opened in SQLite's exclusive mode by the
// running server, while `inferd token create --state DIR` must be able to write while it runs: tokens.db is
// WAL with normal locking, so the CLI and the server share it safely, and the server sees a new or revoked
// token on the next request (each check is one indexed lookup, no cache to go stale).

import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { InferdError, messageOf } from '../errors.js';
import type { Role } from './roles.js';
import { newTokenText, tokenDigest } from './token-secret.js';

export interface TokenRecord {
  name: string;
  namespace: string;
  role: Role;
  /** Epoch milliseconds. */
  createdMs: number;
  /** Epoch milliseconds; undefined: never expires. */
  expiresMs?: number;
}

interface Row {
  name: string;
  namespace: string;
  role: string;
  created_ms: number;
  expires_ms: number | null;
  digest: string;
}

const toRecord = (r: Row): TokenRecord => ({
  name: r.name,
  namespace: r.namespace,
  role: r.role as Role,
  createdMs: r.created_ms,
  ...(r.expires_ms === null ? {} : { expiresMs: r.expires_ms }),
});

export class TokenStore {
  readonly #db: Database.Database;
  readonly #byDigest: Database.Statement<[string], Row>;
  readonly #dataVersion: Database.Statement<[], { data_version: number }>;
  /** Lookups since the file last changed; dropped whenever any connection (the CLI's too) commits. */
  readonly #cache = new Map<string, Row | null>();
  #cachedVersion = -1;

  private constructor(db: Database.Database) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS tokens (
      name TEXT PRIMARY KEY,
      namespace TEXT NOT NULL,
      role TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      expires_ms INTEGER,
      digest TEXT NOT NULL UNIQUE
    )`);
    this.#byDigest = db.prepare('SELECT * FROM tokens WHERE digest = ?');
    this.#dataVersion = db.prepare('PRAGMA data_version');
  }

  /** Opens (creating) `<stateDir>/tokens.db`, readable by the server's user only. */
  static open(stateDir: string): TokenStore {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const file = join(stateDir, 'tokens.db');
    try {
      // busy timeout: the server and a CLI may write at the same moment; WAL keeps readers unblocked.
      const db = new Database(file, { timeout: 5_000 });
      db.pragma('journal_mode = WAL');
      for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
      return new TokenStore(db);
    } catch (err) {
      throw new InferdError('INVALID_CONFIG', `cannot open the token store ${file}: ${messageOf(err)}`, {
        cause: err,
      });
    }
  }

  /** Creates a token; returns the record and the token text (the only time the text exists). */
  create(input: Omit<TokenRecord, 'createdMs'> & { createdMs: number }): { record: TokenRecord; token: string } {
    const token = newTokenText();
    try {
      this.#db
        .prepare('INSERT INTO tokens (name, namespace, role, created_ms, expires_ms, digest) VALUES (?, ?, ?, ?, ?, ?)')
        .run(input.name, input.namespace, input.role, input.createdMs, input.expiresMs ?? null, tokenDigest(token));
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new InferdError('ALREADY_EXISTS', `a token named "${input.name}" already exists`);
      }
      throw err;
    }
    this.#cache.clear(); // data_version does not change for this connection's own commits
    return { record: { ...input }, token };
  }

  /** The token whose digest is `digest` (with its digest, for the constant-time confirmation). */
  findByDigest(digest: string): { record: TokenRecord; digest: string } | undefined {
    // data_version changes when another connection commits (a revoke from the CLI): then the cache goes.
    const version = this.#dataVersion.get()!.data_version;
    if (version !== this.#cachedVersion || this.#cache.size > 10_000) {
      this.#cache.clear();
      this.#cachedVersion = version;
    }
    let row = this.#cache.get(digest);
    if (row === undefined) {
      row = this.#byDigest.get(digest) ?? null;
      this.#cache.set(digest, row);
    }
    return row ? { record: toRecord(row), digest: row.digest } : undefined;
  }

  list(namespace?: string): TokenRecord[] {
    const rows =
      namespace === undefined
        ? (this.#db.prepare('SELECT * FROM tokens ORDER BY namespace, name').all() as Row[])
        : (this.#db.prepare('SELECT * FROM tokens WHERE namespace = ? ORDER BY name').all(namespace) as Row[]);
    return rows.map(toRecord);
  }

  get(name: string): TokenRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM tokens WHERE name = ?').get(name) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** Deletes the token; false when there was none of that name. Takes effect on the server's next request. */
  revoke(name: string): boolean {
    this.#cache.clear();
    return this.#db.prepare('DELETE FROM tokens WHERE name = ?').run(name).changes > 0;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
