// Where a client command sends its requests: the `--server` flag, else INFERD_SERVER, else the current
// context of ~/.inferd/config (kubectl's kubeconfig, reduced to what inferd needs), else the default.
// The config file is YAML: `{current-context: NAME, contexts: [{name, server, token?, namespace?}]}`.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InferdError, messageOf } from '../errors.js';
import { type FlagValues, stringFlag } from './flags.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
export const DEFAULT_NAMESPACE = 'default';

export interface ClientContext {
  name: string;
  server?: string;
  token?: string;
  namespace?: string;
}

export interface ClientConfigFile {
  'current-context'?: string;
  contexts?: ClientContext[];
}

export interface ClientSettings {
  server: string;
  token?: string;
  namespace: string;
  /** Whether `-n` was given explicitly (apply refuses a document from another namespace then). */
  namespaceExplicit: boolean;
}

/** The config file path: INFERD_CONFIG, else ~/.inferd/config. */
export function configPath(env: Record<string, string | undefined>): string {
  return env.INFERD_CONFIG || join(env.HOME || homedir(), '.inferd', 'config');
}

/** Reads the config file; undefined when there is none. Throws INVALID_CONFIG when it can't be read. */
export function readConfigFile(path: string): ClientConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InferdError('INVALID_CONFIG', `cannot read ${path}: ${messageOf(err)}`);
  }
  try {
    const doc = parseYaml(text) as unknown;
    return doc && typeof doc === 'object' ? (doc as ClientConfigFile) : {};
  } catch (err) {
    throw new InferdError('INVALID_CONFIG', `cannot parse ${path}: ${messageOf(err)}`);
  }
}

/** Resolves server, token and namespace from flags, env and the config file, in that order. */
export function resolveClientSettings(values: FlagValues, env: Record<string, string | undefined>): ClientSettings {
  const flagServer = stringFlag(values, 'server');
  const flagNamespace = stringFlag(values, 'namespace');
  const wantedContext = stringFlag(values, 'context');
  let ctx: ClientContext | undefined;
  const needFile = !flagServer || !flagNamespace || wantedContext !== undefined;
  if (needFile) {
    const path = configPath(env);
    const file = readConfigFile(path);
    const name = wantedContext ?? file?.['current-context'];
    ctx = file?.contexts?.find((c) => c.name === name);
    if (wantedContext !== undefined && !ctx) {
      throw new InferdError('INVALID_CONFIG', `context "${wantedContext}" does not exist in ${path}`);
    }
  }
  // An explicit --context beats INFERD_SERVER; the file's current context does not.
  const server =
    flagServer || (wantedContext ? ctx?.server : undefined) || env.INFERD_SERVER || ctx?.server || DEFAULT_SERVER;
  const token = stringFlag(values, 'token') || env.INFERD_TOKEN || ctx?.token || undefined;
  return {
    server: server.replace(/\/+$/, ''),
    token,
    namespace: flagNamespace || ctx?.namespace || DEFAULT_NAMESPACE,
    namespaceExplicit: flagNamespace !== undefined,
  };
}
