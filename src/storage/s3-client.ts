// A small S3 client: addressing (path style / virtual host), SigV4 or anonymous, TLS options, ListObjectsV2
// with pagination, GetObject, and PutObject/CreateBucket for tests and tools. Errors name the endpoint and
// bucket, never credentials.

import { readFile } from 'node:fs/promises';
import type { InferdError } from '../errors.js';
import type { EgressPolicy } from './egress.js';
import { type HttpResponse, hostPort, readBody, readErrorBody, sendRequest, type TlsOptions } from './http-client.js';
import { MAX_OBJECTS, type StoreObject } from './object-store.js';
import { EMPTY_SHA256, sha256Hex, signV4, uriEncode } from './sigv4.js';
import { storageError } from './storage-error.js';
import type { S3Credentials } from './types.js';
import { xmlBlocks, xmlText } from './xml.js';

export interface S3ClientConfig {
  endpoint: URL;
  region: string;
  virtualHost: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  tls?: TlsOptions;
  /** ListObjectsV2 page size (max-keys); the server's default (1000) when absent. */
  maxKeys?: number;
}

export interface IoOptions {
  signal: AbortSignal;
  idleTimeoutMs: number;
  egress?: EgressPolicy;
}

const DNS_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Resolves KServe-style settings to a client config (reads the CA bundle file if one is named). */
export async function s3ClientConfig(c: S3Credentials = {}): Promise<S3ClientConfig> {
  const region = c.region || 'us-east-1';
  const aws = !c.endpoint;
  let endpoint: URL;
  try {
    endpoint = new URL(
      c.endpoint ?? (region === 'us-east-1' ? 'https://s3.amazonaws.com' : `https://s3.${region}.amazonaws.com`),
    );
  } catch {
    throw storageError(
      'InvalidStorageCredentials',
      `invalid S3 endpoint '${c.endpoint}': expected http(s)://host[:port]`,
    );
  }
  let tls: TlsOptions | undefined;
  if (c.verifySsl === false || c.caBundle) {
    tls = { rejectUnauthorized: c.verifySsl !== false };
    if (c.caBundle) tls.ca = await readCaBundle(c.caBundle);
  }
  const keys =
    !c.anonymous && c.accessKeyId && c.secretAccessKey
      ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken }
      : undefined;
  return { endpoint, region, virtualHost: c.useVirtualBucket ?? aws, credentials: keys, tls };
}

async function readCaBundle(ca: string): Promise<string> {
  if (ca.includes('-----BEGIN')) return ca;
  try {
    return await readFile(ca, 'utf8');
  } catch (err) {
    throw storageError(
      'InvalidStorageCredentials',
      `cannot read the S3 CA bundle ${ca}: ${(err as { code?: string }).code}`,
    );
  }
}

export class S3Client {
  readonly #cfg: S3ClientConfig;

  constructor(cfg: S3ClientConfig) {
    this.#cfg = cfg;
  }

  static async create(creds?: S3Credentials): Promise<S3Client> {
    return new S3Client(await s3ClientConfig(creds));
  }

  get config(): S3ClientConfig {
    return this.#cfg;
  }

  get endpoint(): string {
    return hostPort(this.#cfg.endpoint);
  }

  /** The URL of a bucket or object; `query` values are encoded strictly, as SigV4 canonicalizes them. */
  url(bucket: string, key = '', query: Record<string, string> = {}): URL {
    const ep = this.#cfg.endpoint;
    const base = ep.pathname.replace(/\/+$/, '');
    const encodedKey = key ? `/${uriEncode(key, true)}` : '';
    // bucket names with dots break TLS on virtual hosts: those stay path style, as boto does
    const virtual = this.#cfg.virtualHost && DNS_BUCKET.test(bucket);
    const host = virtual ? `${bucket}.${ep.host}` : ep.host;
    const path = virtual ? `${base}${encodedKey || '/'}` : `${base}/${bucket}${encodedKey}`;
    const qs = Object.entries(query)
      .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
      .join('&');
    return new URL(`${ep.protocol}//${host}${path}${qs ? `?${qs}` : ''}`);
  }

  async request(
    method: string,
    bucket: string,
    key: string,
    io: IoOptions,
    opts: { query?: Record<string, string>; headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<HttpResponse> {
    const url = this.url(bucket, key, opts.query);
    const headers: Record<string, string> = { 'user-agent': 'inferd-storage-initializer', ...opts.headers };
    const signed = this.#cfg.credentials
      ? signV4({
          method,
          url,
          headers,
          payloadHash: opts.body ? sha256Hex(opts.body) : EMPTY_SHA256,
          region: this.#cfg.region,
          credentials: this.#cfg.credentials,
        }).headers
      : headers;
    return sendRequest({ url, method, headers: signed, body: opts.body, tls: this.#cfg.tls, ...io });
  }

  /** Every object under `prefix` (ListObjectsV2, following continuation tokens). */
  async listObjects(bucket: string, prefix: string, io: IoOptions): Promise<StoreObject[]> {
    const out: StoreObject[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix };
      if (this.#cfg.maxKeys) query['max-keys'] = String(this.#cfg.maxKeys);
      if (token) query['continuation-token'] = token;
      const res = await this.request('GET', bucket, '', io, { query });
      if (res.status !== 200) throw await this.error(res, bucket, prefix);
      const xml = (await readBody(res, 32 * 1024 * 1024, io.signal)).toString('utf8');
      for (const block of xmlBlocks(xml, 'Contents')) {
        out.push({
          key: xmlText(block, 'Key') ?? '',
          size: Number(xmlText(block, 'Size') ?? 0),
          version: xmlText(block, 'ETag') ?? xmlText(block, 'LastModified') ?? '',
        });
      }
      if (out.length > MAX_OBJECTS) {
        throw storageError('StorageTooLarge', `s3://${bucket}/${prefix} holds more than ${MAX_OBJECTS} objects`);
      }
      token = xmlText(xml, 'IsTruncated') === 'true' ? xmlText(xml, 'NextContinuationToken') : undefined;
    } while (token);
    return out;
  }

  async getObject(bucket: string, key: string, io: IoOptions): Promise<HttpResponse> {
    const res = await this.request('GET', bucket, key, io);
    if (res.status !== 200) throw await this.error(res, bucket, key);
    return res;
  }

  async putObject(bucket: string, key: string, body: Buffer, io: IoOptions): Promise<void> {
    const res = await this.request('PUT', bucket, key, io, { body });
    if (res.status !== 200) throw await this.error(res, bucket, key);
    res.body.resume();
  }

  async createBucket(bucket: string, io: IoOptions): Promise<void> {
    const res = await this.request('PUT', bucket, '', io);
    if (res.status !== 200) throw await this.error(res, bucket, '');
    res.body.resume();
  }

  /** Maps an S3 error answer to a storage reason, naming endpoint, bucket and S3's error code. */
  async error(res: HttpResponse, bucket: string, key: string): Promise<InferdError> {
    const xml = await readErrorBody(res, 8192);
    const s3Code = xmlText(xml, 'Code');
    const code = s3Code ?? `HTTP ${res.status}`;
    const where = `s3://${bucket}${key ? `/${key}` : ''}`;
    const at = hostPort(res.url);
    const details = { bucket, host: at, s3Code: code, status: res.status };
    if (res.status === 404) {
      const what = code === 'NoSuchBucket' ? `bucket '${bucket}' does not exist` : `no object ${where}`;
      return storageError('ModelNotFound', `model not found: ${what} at ${at} (${code})`, details);
    }
    if (res.status === 401 || res.status === 403) {
      const hint = this.#cfg.credentials
        ? 'check the access key and secret key of the storage secret'
        : 'no S3 credentials were configured (anonymous request)';
      return storageError(
        'StorageAccessDenied',
        `access denied to bucket '${bucket}' at ${at} (${code}): ${hint}`,
        details,
      );
    }
    if (res.status === 301 || code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed') {
      return storageError(
        'StorageRequestFailed',
        `bucket '${bucket}' is not served by ${at} in region ${this.#cfg.region} (${code}): set serving.kserve.io/s3-region or the endpoint`,
        details,
      );
    }
    const anon = this.#cfg.credentials ? '' : ' (the request was anonymous: no S3 credentials were configured)';
    const status = s3Code ? `S3 error ${s3Code} (HTTP ${res.status})` : `HTTP ${res.status}`;
    return storageError('StorageRequestFailed', `${status} from ${at} for ${where}${anon}`, details);
  }
}
