// Shared set-up of the replica-manager tests: fake model-server / model-host entries written to a temporary
// folder, replica specs, and a bounded wait on a replica's view.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { ReplicaSpec } from '../../../src/controllers/replicas/replica.js';
import type { ReplicaManager, ReplicaView } from '../../../src/controllers/replicas/replica-manager.js';

/** A temporary folder removed after the file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a fake replica entry in `dir`: it reports `Loading` over the replica IPC protocol, then does `body`. */
export function fakeEntry(dir: string, name: string, body: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `process.send({ type: 'state', state: 'Loading' });\n${body}\n`);
  return file;
}

/** A predictor replica's spec (`{ns}/{name}/{name}-predictor-0000{rev}`, sklearn) with `extra` on top. */
export function replicaSpec(
  modelDir: string,
  ns: string,
  name: string,
  rev = 1,
  extra: Partial<ReplicaSpec> = {},
): ReplicaSpec {
  return {
    key: `${ns}/${name}/${name}-predictor-0000${rev}`,
    revision: `${name}-predictor-0000${rev}`,
    modelName: name,
    modelDir,
    modelFormat: 'sklearn',
    env: {},
    ...extra,
  };
}

/** Resolves with the replica's view once `ok` holds, waiting on the manager's change events (bounded). */
export function waitForReplica(
  m: ReplicaManager,
  key: string,
  ok: (v: ReplicaView) => boolean,
  timeoutMs = 15_000,
): Promise<ReplicaView> {
  return new Promise<ReplicaView>((resolve, reject) => {
    const check = () => {
      const v = m.get(key);
      if (v && ok(v)) {
        clearTimeout(timer);
        m.off('change', check);
        resolve(v);
      }
    };
    const timer = setTimeout(() => {
      m.off('change', check);
      reject(new Error(`timed out after ${timeoutMs} ms; last: ${JSON.stringify(m.get(key))}`));
    }, timeoutMs);
    m.on('change', check);
    check();
  });
}
