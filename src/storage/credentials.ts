// Storage credentials the way KServe finds them (inventory §3.2-3.3), resolved from Secrets, ServiceAccounts
// (read through a lookup the caller gives: the store in inferd serve) and env:
//
//   env (AWS_*, S3_*, STORAGE_EMULATOR_HOST, GOOGLE_APPLICATION_CREDENTIALS, <host>-headers)
//     < the ServiceAccount's secrets (annotations serving.kserve.io/s3-*, then data keys)
//     < the storage-config secret picked by spec.predictor.model.storage (key, parameters, path)
//
// Values are secrets: nothing here logs them; only secret names and keys appear in messages.

import { createHash } from 'node:crypto';
import type { Secret, ServiceAccount, StorageSpec } from '../api/types.js';
import type { Logger } from '../log.js';
import { storageError } from './storage-error.js';
import type { GcsCredentials, S3Credentials, StorageCredentials } from './types.js';

/** Reads one Secret or ServiceAccount (`inferd serve`: from the store); undefined when there is none. */
export type CredentialLookup = {
  (kind: 'Secret', namespace: string, name: string): Secret | undefined;
  (kind: 'ServiceAccount', namespace: string, name: string): ServiceAccount | undefined;
};

export interface ResolveCredentialsOptions {
  namespace: string;
  serviceAccountName?: string;
  storage?: StorageSpec;
  env?: Record<string, string | undefined>;
  /** KServe's `serving.kserve.io/storageSecretName` annotation: a secret used like a service account's. */
  storageSecretName?: string;
  /** KServe's configmap `storageSpecSecretName` (default `storage-config`). */
  storageConfigSecretName?: string;
  log?: Logger;
}

export const ANNOTATION = {
  endpoint: 'serving.kserve.io/s3-endpoint',
  useHttps: 'serving.kserve.io/s3-usehttps',
  region: 'serving.kserve.io/s3-region',
  verifySsl: 'serving.kserve.io/s3-verifyssl',
  useVirtualBucket: 'serving.kserve.io/s3-usevirtualbucket',
  useAnonymous: 'serving.kserve.io/s3-useanoncredential',
  caBundle: 'serving.kserve.io/s3-cabundle',
} as const;

const GCS_KEY = 'gcloud-application-credentials.json';
const ACCESS_KEYS = ['AWS_ACCESS_KEY_ID', 'awsAccessKeyID'];
const SECRET_KEYS = ['AWS_SECRET_ACCESS_KEY', 'awsSecretAccessKey'];

/** KServe booleans: "0"/"false" and "1"/"true" (any case); anything else: undefined. */
export function parseBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  return undefined;
}

/** An endpoint with a scheme: one in the value wins, else s3-usehttps ("0" → http), default https. */
export function endpointUrl(endpoint: string, useHttps: boolean | undefined): string {
  if (/^https?:\/\//i.test(endpoint)) return endpoint.replace(/\/+$/, '');
  return `${useHttps === false ? 'http' : 'https'}://${endpoint.replace(/\/+$/, '')}`;
}

/** A secret's values, decoded: `data` is base64, `stringData` plain and wins. */
export function secretValues(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
  return out;
}

const first = (values: Record<string, string | undefined>, keys: readonly string[]) =>
  keys.map((k) => values[k]).find((v) => v !== undefined && v !== '');

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;

/** S3 settings from env, as KServe's downloader reads them. */
export function s3FromEnv(env: Record<string, string | undefined>): S3Credentials {
  const endpoint = env['AWS_ENDPOINT_URL'] || env['S3_ENDPOINT'];
  return defined({
    endpoint: endpoint ? endpointUrl(endpoint, parseBool(env['S3_USE_HTTPS'])) : undefined,
    region: env['AWS_REGION'] || env['AWS_DEFAULT_REGION'],
    accessKeyId: env['AWS_ACCESS_KEY_ID'],
    secretAccessKey: env['AWS_SECRET_ACCESS_KEY'],
    sessionToken: env['AWS_SESSION_TOKEN'],
    anonymous: parseBool(env['awsAnonymousCredential'] ?? env['AWS_ANONYMOUS_CREDENTIAL']),
    verifySsl: parseBool(env['S3_VERIFY_SSL']),
    caBundle: env['AWS_CA_BUNDLE'],
    useVirtualBucket: parseBool(env['S3_USER_VIRTUAL_BUCKET'] ?? env['S3_USE_VIRTUAL_BUCKET']),
  });
}

/** S3 settings from one secret: annotation (secret, then service account) → data key. */
export function s3FromSecret(secret: Secret, sa?: ServiceAccount): S3Credentials {
  const data = secretValues(secret);
  const ann = (name: string) => secret.metadata.annotations?.[name] ?? sa?.metadata.annotations?.[name];
  const endpoint = ann(ANNOTATION.endpoint) ?? data['S3_ENDPOINT'] ?? data['AWS_ENDPOINT_URL'];
  const useHttps = parseBool(ann(ANNOTATION.useHttps) ?? data['S3_USE_HTTPS']);
  return defined({
    endpoint: endpoint ? endpointUrl(endpoint, useHttps) : undefined,
    region: ann(ANNOTATION.region) ?? data['AWS_DEFAULT_REGION'] ?? data['AWS_REGION'],
    accessKeyId: first(data, ACCESS_KEYS),
    secretAccessKey: first(data, SECRET_KEYS),
    sessionToken: data['AWS_SESSION_TOKEN'],
    anonymous: parseBool(ann(ANNOTATION.useAnonymous) ?? data['awsAnonymousCredential']),
    verifySsl: parseBool(ann(ANNOTATION.verifySsl) ?? data['S3_VERIFY_SSL']),
    caBundle: ann(ANNOTATION.caBundle) ?? data['AWS_CA_BUNDLE'],
    useVirtualBucket: parseBool(ann(ANNOTATION.useVirtualBucket) ?? data['S3_USER_VIRTUAL_BUCKET']),
  });
}

function isS3Secret(secret: Secret): boolean {
  const data = secretValues(secret);
  if ([...ACCESS_KEYS, ...SECRET_KEYS].some((k) => data[k] !== undefined)) return true;
  return Object.keys(secret.metadata.annotations ?? {}).some((k) => k.startsWith('serving.kserve.io/s3-'));
}

function parseHeaders(json: string, where: string): Record<string, string> {
  try {
    const v = JSON.parse(json) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
    }
  } catch {
    // fall through
  }
  throw storageError(
    'InvalidStorageCredentials',
    `${where}: 'headers' must be a JSON object of header names to values`,
  );
}

/** The storage-config JSON (`{type, access_key_id, ...}`) with `parameters` applied over it. */
function storageSpecCredentials(
  lookup: CredentialLookup,
  namespace: string,
  storage: StorageSpec,
  secretName: string,
): { s3: S3Credentials; storageUri?: string } {
  const secret = lookup('Secret', namespace, secretName);
  if (!secret) {
    throw storageError(
      'InvalidStorageCredentials',
      `spec.predictor.model.storage needs the secret ${namespace}/${secretName}, which does not exist`,
    );
  }
  const values = secretValues(secret);
  const params = storage.parameters ?? {};
  const key = storage.key ?? (params['type'] ? `default_${params['type']}` : 'default');
  const raw = values[key];
  if (raw === undefined) {
    throw storageError(
      'InvalidStorageCredentials',
      `secret ${namespace}/${secretName} has no key '${key}' (keys: ${Object.keys(values).join(', ') || 'none'})`,
    );
  }
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(raw) as Record<string, unknown>;
    if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new Error('not an object');
  } catch {
    throw storageError(
      'InvalidStorageCredentials',
      `secret ${namespace}/${secretName} key '${key}' is not a JSON object`,
    );
  }
  const c: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries({ ...cfg, ...params }))
    c[k] = v === undefined || v === null ? undefined : String(v);
  const type = c['type'] ?? 's3';
  if (type !== 's3') {
    throw storageError(
      'StorageUnsupported',
      `storage type '${type}' (secret ${namespace}/${secretName} key '${key}') is not supported yet; supported: s3`,
    );
  }
  const s3: S3Credentials = defined({
    endpoint: c['endpoint_url'] ? endpointUrl(c['endpoint_url'], undefined) : undefined,
    region: c['region'],
    accessKeyId: c['access_key_id'],
    secretAccessKey: c['secret_access_key'],
    anonymous: parseBool(c['anonymous']),
    verifySsl: parseBool(c['verify_ssl']),
    caBundle: c['ca_bundle'],
    useVirtualBucket: parseBool(c['use_virtual_bucket']),
  });
  let storageUri: string | undefined;
  if (storage.path !== undefined) {
    const bucket = c['bucket'];
    if (!bucket) {
      throw storageError(
        'InvalidStorageCredentials',
        `spec.predictor.model.storage.path needs a bucket: none in secret ${namespace}/${secretName} key '${key}' or storage.parameters`,
      );
    }
    storageUri = `s3://${bucket}/${storage.path.replace(/^\/+/, '')}`;
  }
  return { s3, storageUri };
}

/** Resolves credentials for one component (predictor, transformer, ...) of an InferenceService. */
export function resolveStorageCredentials(
  lookup: CredentialLookup,
  opts: ResolveCredentialsOptions,
): StorageCredentials {
  const env = opts.env ?? {};
  const out: StorageCredentials = {};
  const s3Env = s3FromEnv(env);
  let s3: S3Credentials = { ...s3Env };
  const gcs: GcsCredentials = defined({
    emulatorHost: env['STORAGE_EMULATOR_HOST'],
    serviceAccountKeyFile: env['GOOGLE_APPLICATION_CREDENTIALS'],
  });
  const httpHeaders: Record<string, Record<string, string>> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.endsWith('-headers') && v) httpHeaders[k.slice(0, -'-headers'.length)] = parseHeaders(v, `env ${k}`);
  }

  const refs: { name: string; namespace: string }[] = [];
  let sa: ServiceAccount | undefined;
  if (opts.serviceAccountName) {
    sa = lookup('ServiceAccount', opts.namespace, opts.serviceAccountName);
    if (!sa) {
      throw storageError(
        'InvalidStorageCredentials',
        `ServiceAccount ${opts.namespace}/${opts.serviceAccountName} (serviceAccountName) does not exist`,
      );
    }
    for (const [i, s] of (sa.secrets ?? []).entries()) {
      // A ServiceAccount names secrets of its own namespace only (as in Kubernetes): a reference elsewhere
      // would let one namespace sign downloads with another's credentials.
      if (s.namespace !== undefined && s.namespace !== '' && s.namespace !== opts.namespace) {
        throw storageError(
          'InvalidStorageCredentials',
          `ServiceAccount ${opts.namespace}/${opts.serviceAccountName} secrets[${i}].namespace is '${s.namespace}': a service account may only use secrets of its own namespace '${opts.namespace}'`,
          { field: `secrets[${i}].namespace` },
        );
      }
      refs.push({ name: s.name, namespace: opts.namespace });
    }
  }
  if (opts.storageSecretName) refs.push({ name: opts.storageSecretName, namespace: opts.namespace });

  let s3Found = false;
  for (const ref of refs) {
    const secret = lookup('Secret', ref.namespace, ref.name);
    if (!secret) {
      // KServe logs and goes on when a listed secret is missing
      opts.log?.warn('storage: secret listed for the service account does not exist', {
        secret: `${ref.namespace}/${ref.name}`,
      });
      continue;
    }
    const values = secretValues(secret);
    if (!s3Found && isS3Secret(secret)) {
      s3Found = true;
      s3 = { ...s3, ...s3FromSecret(secret, sa) };
    }
    if (values[GCS_KEY] !== undefined && gcs.serviceAccountKey === undefined) {
      gcs.serviceAccountKey = values[GCS_KEY];
      delete gcs.serviceAccountKeyFile;
    }
    const host = values['https-host'];
    if (host && values['headers'])
      httpHeaders[host] = parseHeaders(values['headers'], `secret ${ref.namespace}/${ref.name}`);
  }

  const storage = opts.storage;
  if (storage && (storage.key !== undefined || storage.path !== undefined || storage.parameters !== undefined)) {
    const spec = storageSpecCredentials(
      lookup,
      opts.namespace,
      storage,
      opts.storageConfigSecretName ?? 'storage-config',
    );
    s3 = { ...s3, ...spec.s3 };
    if (spec.storageUri) out.storageUri = spec.storageUri;
  }

  if (Object.keys(s3).length) out.s3 = s3;
  if (Object.keys(gcs).length) out.gcs = gcs;
  if (Object.keys(httpHeaders).length) out.httpHeaders = httpHeaders;
  return out;
}

/** JSON with sorted keys, so equal settings give equal text. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

/**
 * What identifies the credentials and endpoint a download of `uri` uses: '' when it uses none, else a
 * digest of the secret material (never the material itself). Downloads and cache entries are shared only
 * between callers with the same scope, so a tenant without a token never gets a model fetched with another's
 * token, and an s3:// URI from one endpoint is never served from another's download.
 */
export function credentialScope(scheme: string, uri: string, credentials: StorageCredentials): string {
  let used: unknown;
  if (scheme === 's3') used = credentials.s3 && Object.keys(credentials.s3).length ? credentials.s3 : undefined;
  else if (scheme === 'gs') used = credentials.gcs && Object.keys(credentials.gcs).length ? credentials.gcs : undefined;
  else if (scheme === 'http' || scheme === 'https') {
    let host: URL | undefined;
    try {
      host = new URL(uri);
    } catch {
      host = undefined;
    }
    const h = host && (credentials.httpHeaders?.[host.host] ?? credentials.httpHeaders?.[host.hostname]);
    used = h && Object.keys(h).length ? h : undefined;
  }
  if (used === undefined) return '';
  return `scope:${createHash('sha256').update('inferd-storage-scope\0').update(canonical(used)).digest('hex').slice(0, 32)}\n`;
}
