// Starts and stops a real S3 server (OpenStack Swift + s3api, real SigV4 checks) for tests:
// test/support/s3-server.sh, a copy of the team recipe shared/recipes/s3-server.sh, so CI needs nothing outside the repo.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/paths.js';

const run = promisify(execFile);

export const S3_SCRIPT = process.env['INFERD_S3_SERVER_SCRIPT'] ?? join(repoRoot, 'test', 'support', 's3-server.sh');
export const S3_ACCESS_KEY = 'test:tester';
export const S3_SECRET_KEY = 'testing123';

/** Starts the server in dir; resolves to its endpoint URL. A missing script is an error, never a skip. */
export async function startS3Server(dir: string): Promise<string> {
  if (!existsSync(S3_SCRIPT)) {
    throw new Error(`S3 test server script ${S3_SCRIPT} is missing (set INFERD_S3_SERVER_SCRIPT); s3 tests need it`);
  }
  const { stdout } = await run(S3_SCRIPT, ['start', dir, '0', S3_ACCESS_KEY, S3_SECRET_KEY], {
    timeout: 120_000, // the first run apt-installs python3-swift
  });
  const m = /S3_ENDPOINT=(\S+)/.exec(stdout);
  if (!m) throw new Error(`s3-server.sh printed no S3_ENDPOINT: ${stdout.slice(0, 500)}`);
  return m[1]!;
}

export async function stopS3Server(dir: string): Promise<void> {
  await run(S3_SCRIPT, ['stop', dir], { timeout: 20_000 });
}
