// The SQLite schema and its migrations, applied in order inside one transaction each and recorded in
// `schema_migrations`. Add a migration by appending to MIGRATIONS; never edit a shipped one.

import type { Database } from 'better-sqlite3';

const MIGRATIONS: readonly string[] = [
  // 1: objects as JSON text plus the indexed columns lookups use; one global resourceVersion counter.
  `CREATE TABLE objects (
     kind TEXT NOT NULL,
     namespace TEXT NOT NULL DEFAULT '',
     name TEXT NOT NULL,
     uid TEXT NOT NULL UNIQUE,
     resource_version INTEGER NOT NULL,
     body TEXT NOT NULL,
     PRIMARY KEY (kind, namespace, name)
   ) WITHOUT ROWID;
   CREATE INDEX objects_by_namespace ON objects (namespace, kind, name);
   CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
   INSERT INTO counters (name, value) VALUES ('resourceVersion', 0);`,
];

/** Applies pending migrations; returns the schema version before (0 for a new database). */
export function migrate(db: Database, nowIso: string): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const before = row.v ?? 0;
  const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  for (let v = before + 1; v <= MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v - 1]!);
      record.run(v, nowIso);
    })();
  }
  return before;
}
