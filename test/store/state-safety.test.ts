// The state folder's permissions (state.db holds Secret values) and the integrity check at start: a damaged
// or emptied state.db refuses to open with its path and what to do, instead of starting with no controller.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isInferdError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { silentLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-state-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function recordingLog(): { log: Logger; warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  const log: Logger = Object.create(silentLogger);
  log.warn = (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, ...fields });
  log.child = () => log;
  return { log, warnings };
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;

test('a new state folder is 0700 and state.db 0600 (H1)', (t) => {
  const stateDir = path.join(tempDir(t), 'state');
  const store = SqliteStore.open({ stateDir });
  store.close();
  assert.equal(mode(stateDir), 0o700);
  assert.equal(mode(path.join(stateDir, 'state.db')), 0o600);
});

test('a world-readable state folder and state.db are fixed at start, with a warning (H1)', (t) => {
  const stateDir = tempDir(t);
  SqliteStore.open({ stateDir }).close();
  fs.chmodSync(stateDir, 0o755);
  fs.chmodSync(path.join(stateDir, 'state.db'), 0o644);
  const { log, warnings } = recordingLog();
  SqliteStore.open({ stateDir, log }).close();
  assert.equal(mode(stateDir), 0o700);
  assert.equal(mode(path.join(stateDir, 'state.db')), 0o600);
  assert.deepEqual(
    warnings.map((w) => [path.basename(String(w.path)), w.was, w.now]),
    [
      [path.basename(stateDir), '0755', '0700'],
      ['state.db', '0644', '0600'],
    ],
  );
});

function assertDamaged(fn: () => unknown, file: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(isInferdError(caught), `expected STATE_DAMAGED, got ${String(caught)}`);
  assert.equal(caught.code, 'STATE_DAMAGED');
  assert.ok(caught.message.includes(file), caught.message);
  assert.match(caught.message, /\.recover/);
}

test('a zero-length state.db is refused as damaged, not started empty (M5)', (t) => {
  const stateDir = tempDir(t);
  const file = path.join(stateDir, 'state.db');
  fs.writeFileSync(file, '');
  assertDamaged(() => SqliteStore.open({ stateDir }), file);
});

test('a file that is not a database is refused with its path and what to do (M5)', (t) => {
  const stateDir = tempDir(t);
  const file = path.join(stateDir, 'state.db');
  fs.writeFileSync(file, 'x'.repeat(8192));
  assertDamaged(() => SqliteStore.open({ stateDir }), file);
});

test('one corrupted page fails the integrity check at start (M5)', (t) => {
  const stateDir = tempDir(t);
  const file = path.join(stateDir, 'state.db');
  const store = SqliteStore.open({ stateDir });
  for (let i = 0; i < 200; i++) {
    store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `c${i}`, namespace: 'default' },
      data: { v: 'eHh4'.repeat(150) },
    } as never);
  }
  store.close();
  const size = fs.statSync(file).size;
  assert.ok(size > 8 * 4096, `state.db is ${size} bytes`);
  // Overwrite the third page (a b-tree page of the objects table) with garbage.
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 2 * 4096);
  fs.closeSync(fd);
  assertDamaged(() => SqliteStore.open({ stateDir }), file);
});
