// Google service-account keys → OAuth access tokens: a JWT signed with RS256 (node:crypto), exchanged at the
// key's token_uri (RFC 7523 jwt-bearer grant). Read-only storage scope.

import { createSign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { EgressPolicy } from './egress.js';
import { hostPort, readBody, readErrorBody, sendRequest } from './http-client.js';
import { storageError } from './storage-error.js';
import type { GcsCredentials } from './types.js';

export const GCS_READ_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Parses a key file's JSON; the error names the problem, never the key. */
export function parseServiceAccountKey(json: string, where: string): ServiceAccountKey {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw storageError('InvalidStorageCredentials', `${where} is not valid JSON`);
  }
  if (v['type'] !== undefined && v['type'] !== 'service_account') {
    throw storageError(
      'InvalidStorageCredentials',
      `${where} has type '${String(v['type'])}'; only service_account keys are supported`,
    );
  }
  if (typeof v['client_email'] !== 'string' || typeof v['private_key'] !== 'string') {
    throw storageError('InvalidStorageCredentials', `${where} lacks client_email or private_key`);
  }
  return v as unknown as ServiceAccountKey;
}

/** The key named by the credentials, if any. */
export async function loadServiceAccountKey(c: GcsCredentials | undefined): Promise<ServiceAccountKey | undefined> {
  if (c?.serviceAccountKey) return parseServiceAccountKey(c.serviceAccountKey, 'the GCS service-account key');
  if (c?.serviceAccountKeyFile) {
    let text: string;
    try {
      text = await readFile(c.serviceAccountKeyFile, 'utf8');
    } catch (err) {
      throw storageError(
        'InvalidStorageCredentials',
        `cannot read GOOGLE_APPLICATION_CREDENTIALS file ${c.serviceAccountKeyFile}: ${(err as { code?: string }).code}`,
      );
    }
    return parseServiceAccountKey(text, c.serviceAccountKeyFile);
  }
  return undefined;
}

/** A signed JWT assertion for the key (pure apart from the clock). */
export function makeAssertion(key: ServiceAccountKey, nowSec: number, scope = GCS_READ_SCOPE): string {
  const header = { alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) };
  const claims = {
    iss: key.client_email,
    scope,
    aud: key.token_uri ?? DEFAULT_TOKEN_URI,
    iat: nowSec,
    exp: nowSec + 3600,
  };
  const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  let signature: Buffer;
  try {
    signature = createSign('RSA-SHA256').update(unsigned).sign(key.private_key);
  } catch {
    throw storageError(
      'InvalidStorageCredentials',
      `the private key of ${key.client_email} cannot sign (not a PEM RSA key)`,
    );
  }
  return `${unsigned}.${b64url(signature)}`;
}

/** Exchanges the key for an access token. */
export async function fetchAccessToken(
  key: ServiceAccountKey,
  io: { signal: AbortSignal; idleTimeoutMs: number; egress?: EgressPolicy },
): Promise<string> {
  const url = new URL(key.token_uri ?? DEFAULT_TOKEN_URI);
  const body = Buffer.from(
    new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: makeAssertion(key, Math.floor(Date.now() / 1000)),
    }).toString(),
  );
  const res = await sendRequest({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    ...io,
  });
  if (res.status !== 200) {
    const text = await readErrorBody(res, 512);
    const error = /"error"\s*:\s*"([^"]+)"/.exec(text)?.[1] ?? `HTTP ${res.status}`;
    throw storageError(
      'StorageAccessDenied',
      `the token endpoint ${hostPort(url)} refused service account ${key.client_email} (${error})`,
      { host: hostPort(url) },
    );
  }
  const json = JSON.parse((await readBody(res, 64 * 1024, io.signal)).toString('utf8')) as { access_token?: string };
  if (!json.access_token) {
    throw storageError('StorageAccessDenied', `the token endpoint ${hostPort(url)} returned no access_token`);
  }
  return json.access_token;
}
