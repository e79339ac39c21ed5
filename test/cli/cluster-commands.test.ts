// The cluster-mode commands as a container runs them: `inferd storage-initializer SRC DEST` (KServe's
// init-container contract), and the usage errors of `inferd operator` / `inferd gateway`.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';

test('storage-initializer copies a model to DEST_DIR and exits 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-si-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dest = join(dir, 'mnt', 'models');
  const r = await runCli(['storage-initializer', join(repoRoot, 'models', 'sklearn-iris'), dest]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(dest, 'model.joblib')));
});

test('storage-initializer: a missing source exits 1 naming it; wrong arguments exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-si-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'nope');
  const r = await runCli(['storage-initializer', missing, join(dir, 'out')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: .*nope/m);
  const usage = await runCli(['storage-initializer', 'only-one']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /expected SRC_URI DEST_DIR/);
});

test('operator and gateway: --help exits 0; a bad flag value exits 2', async () => {
  const help = await runCli(['operator', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--controller-class/);
  const port = await runCli(['gateway', '--port', 'x']);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port: expected 0-65535/);
  const resync = await runCli(['operator', '--resync-seconds', '-1']);
  assert.equal(resync.code, 2);
});
