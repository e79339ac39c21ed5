// KServe's Python model servers (../shared/peers/kserve-v0.12.1, unmodified) as inferd's e2e tests run them:
// Debian's python3, the peers' shim for modules Debian does not package, and a kserve dist-info (KServe reads its
// own version at start). Prerequisites come from .ci/run's apt list.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The peers' checkout (as bench/targets.ts); INFERD_PEERS overrides it. */
export const PEERS = process.env.INFERD_PEERS ?? '/work/shared/peers';
/** KServe v0.12.1's source tree. */
export const KSERVE = join(PEERS, 'kserve-v0.12.1');
export const PYTHON = '/usr/bin/python3';

/** Why Debian's python3 cannot run KServe's servers with these extra modules, or undefined when it can. */
export function kservePythonMissing(extraModules: readonly string[] = []): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed`;
  const modules = [...extraModules, 'fastapi', 'uvicorn', 'grpc', 'prometheus_client', 'psutil', 'tabulate', 'httpx'];
  const r = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  return r.status === 0
    ? undefined
    : `KServe's Python dependencies are missing (.ci/run's apt list): ${r.stderr.trim().split('\n').pop()}`;
}

/** The env of a KServe Python server in the image map; writes the kserve dist-info under `dir`. */
export function kservePythonEnv(dir: string): Record<string, string> {
  // importlib.metadata.version("kserve") is read at start: the source tree gets a dist-info (as the peers' script).
  const meta = join(dir, 'kserve-meta');
  mkdirSync(join(meta, 'kserve-0.12.1.dist-info'), { recursive: true });
  writeFileSync(
    join(meta, 'kserve-0.12.1.dist-info', 'METADATA'),
    'Metadata-Version: 2.1\nName: kserve\nVersion: 0.12.1\n',
  );
  return {
    PYTHONPATH: [join(PEERS, 'kserve-shim'), meta, join(KSERVE, 'python', 'kserve')].join(':'),
    KSERVE_SHIM_BIND_HOST: '127.0.0.1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
}
