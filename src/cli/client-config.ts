// Where a client command sends its requests: the `--server` flag, else INFERD_SERVER, else the current
// context of ~/.inferd/config (kubectl's kubeconfig, reduced to what inferd needs), else the default.
// The config file is YAML: `{current-context: NAME, contexts: [{name, server, token?, namespace?,
// certificate-authority?, certificate-authority-data?}]}` (the CA fields are kubeconfig's: a PEM file path,
// or the PEM base64-encoded). The CA comes from --ca-file, else INFERD_CA_FILE, else the context.

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
  /** A PEM file with the CA that signed an https server's certificate. */
  'certificate-authority'?: string;
  /** The same PEM, base64-encoded (as kubeconfig holds it). */
  'certificate-authority-data'?: string;
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
  /** PEM CA certificates to trust for an https server; undefined: the system's. */
  ca?: string;
}

/** Reads a CA file, naming it and where it came from when it cannot be used. */
function readCa(path: string, from: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InferdError('INVALID_CONFIG', `${from} ${path}: cannot read it (${messageOf(err)})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InferdError('INVALID_CONFIG', `${from} ${path}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)`);
  }
  return pem;
}

function caOf(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  ctx: ClientContext | undefined,
  path: string,
): string | undefined {
  if (flag) return readCa(flag, '--ca-file');
  if (env.INFERD_CA_FILE) return readCa(env.INFERD_CA_FILE, 'INFERD_CA_FILE');
  if (ctx?.['certificate-authority-data']) {
    const pem = Buffer.from(ctx['certificate-authority-data'], 'base64').toString('utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new InferdError(
        'INVALID_CONFIG',
        `context "${ctx.name}" in ${path}: certificate-authority-data is not a base64-encoded PEM certificate`,
      );
    }
    return pem;
  }
  if (ctx?.['certificate-authority']) {
    return readCa(ctx['certificate-authority'], `context "${ctx.name}" in ${path}: certificate-authority`);
  }
  return undefined;
}

/** The config file path: INFERD_CONFIG, else ~/.inferd/config. */
export function configPath(env: Record<string, string | undefined>): string {
  return env.INFERD_CONFIG || join(env.HOME || homedir(), '.inferd', 'config');
}

/**
 * The YAML document in `path`; undefined when there is no such file. INVALID_CONFIG when it cannot be read or
 * parsed (`what`, e.g. " as a kubeconfig", is added to the parse message).
 */
export function readYamlFile(path: string, what = ''): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InferdError('INVALID_CONFIG', `cannot read ${path}: ${messageOf(err)}`);
  }
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new InferdError('INVALID_CONFIG', `cannot parse ${path}${what}: ${messageOf(err)}`);
  }
}

/** Reads the config file; undefined when there is none. Throws INVALID_CONFIG when it can't be read. */
export function readConfigFile(path: string): ClientConfigFile | undefined {
  const doc = readYamlFile(path);
  if (doc === undefined) return undefined;
  return doc && typeof doc === 'object' ? (doc as ClientConfigFile) : {};
}

/** Resolves server, token and namespace from flags, env and the config file, in that order. */
export function resolveClientSettings(values: FlagValues, env: Record<string, string | undefined>): ClientSettings {
  const flagServer = stringFlag(values, 'server');
  const flagNamespace = stringFlag(values, 'namespace');
  const wantedContext = stringFlag(values, 'context');
  const flagCa = stringFlag(values, 'ca-file');
  let ctx: ClientContext | undefined;
  const path = configPath(env);
  // An https --server may take its CA from the current context, as kubectl keeps the cluster's CA with --server.
  const needFile =
    !flagServer ||
    !flagNamespace ||
    wantedContext !== undefined ||
    (!flagCa && !env.INFERD_CA_FILE && flagServer.startsWith('https:'));
  if (needFile) {
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
  const ca = caOf(flagCa, env, ctx, path);
  return {
    server: server.replace(/\/+$/, ''),
    token,
    namespace: flagNamespace || ctx?.namespace || DEFAULT_NAMESPACE,
    namespaceExplicit: flagNamespace !== undefined,
    ...(ca ? { ca } : {}),
  };
}
