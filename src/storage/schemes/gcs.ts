// gs://bucket/path through the GCS JSON API: list `o?prefix=`, download `o/{name}?alt=media`. Anonymous for
// public buckets, a bearer token for service-account keys; STORAGE_EMULATOR_HOST points it at an emulator.

import { parseBucketUri } from '../bucket-uri.js';
import { fetchAccessToken, loadServiceAccountKey } from '../gcs-auth.js';
import { type HttpResponse, hostPort, readBody, readErrorBody, sendRequest } from '../http-client.js';
import { downloadObjects, MAX_OBJECTS, type StoreObject } from '../object-store.js';
import { storageError } from '../storage-error.js';
import type { DownloadContext, Downloader, InitializeResult } from '../types.js';

const GCS_API = 'https://storage.googleapis.com';

/** The API base: the emulator (`host:port` or a URL) or Google's. */
export function gcsBase(emulatorHost: string | undefined): string {
  if (!emulatorHost) return GCS_API;
  return (/^https?:\/\//.test(emulatorHost) ? emulatorHost : `http://${emulatorHost}`).replace(/\/+$/, '');
}

interface ListPage {
  items?: { name: string; size?: string; generation?: string; md5Hash?: string; etag?: string }[];
  nextPageToken?: string;
}

async function gcsError(res: HttpResponse, bucket: string, name: string): Promise<Error> {
  const text = await readErrorBody(res, 2048);
  const message = /"message"\s*:\s*"([^"]*)"/.exec(text)?.[1] ?? `HTTP ${res.status}`;
  const where = hostPort(res.url);
  const what = `gs://${bucket}${name ? `/${name}` : ''}`;
  const details = { bucket, host: where, status: res.status };
  if (res.status === 404)
    return storageError('ModelNotFound', `model not found: ${what} at ${where} (${message})`, details);
  if (res.status === 401 || res.status === 403) {
    return storageError('StorageAccessDenied', `access denied to bucket '${bucket}' at ${where} (${message})`, details);
  }
  return storageError('StorageRequestFailed', `HTTP ${res.status} from ${where} for ${what} (${message})`, details);
}

async function fetchGcs(ctx: DownloadContext): Promise<InitializeResult> {
  const { bucket, path } = parseBucketUri(ctx.uri, 'gs');
  const base = gcsBase(ctx.credentials.gcs?.emulatorHost);
  const key = await loadServiceAccountKey(ctx.credentials.gcs);
  const io = (signal: AbortSignal) => ({ signal, idleTimeoutMs: ctx.idleTimeoutMs, egress: ctx.egress });
  const token = key ? await fetchAccessToken(key, io(ctx.signal)) : undefined;
  const headers: Record<string, string> = { 'user-agent': 'inferd-storage-initializer' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  const bucketUrl = `${base}/storage/v1/b/${encodeURIComponent(bucket)}/o`;

  const list = async (prefix: string, signal: AbortSignal): Promise<StoreObject[]> => {
    const out: StoreObject[] = [];
    let pageToken: string | undefined;
    do {
      const url = new URL(bucketUrl);
      url.searchParams.set('prefix', prefix);
      url.searchParams.set('fields', 'items(name,size,generation,md5Hash,etag),nextPageToken');
      if (pageToken) url.searchParams.set('pageToken', pageToken);
      const res = await sendRequest({ url, headers, ...io(signal) });
      if (res.status !== 200) throw await gcsError(res, bucket, prefix);
      const page = JSON.parse((await readBody(res, 32 * 1024 * 1024, signal)).toString('utf8')) as ListPage;
      for (const it of page.items ?? []) {
        out.push({ key: it.name, size: Number(it.size ?? 0), version: it.generation ?? it.md5Hash ?? it.etag ?? '' });
      }
      if (out.length > MAX_OBJECTS) {
        throw storageError('StorageTooLarge', `gs://${bucket}/${prefix} holds more than ${MAX_OBJECTS} objects`);
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  };

  const open = async (obj: StoreObject, signal: AbortSignal): Promise<HttpResponse> => {
    const url = new URL(`${bucketUrl}/${encodeURIComponent(obj.key)}`);
    url.searchParams.set('alt', 'media');
    if (/^\d+$/.test(obj.version)) url.searchParams.set('generation', obj.version);
    const res = await sendRequest({ url, headers, ...io(signal) });
    if (res.status !== 200) throw await gcsError(res, bucket, obj.key);
    return res;
  };

  return downloadObjects(ctx, { list, open }, path, ctx.uri);
}

export const gcsDownloader: Downloader = { example: 'gs://bucket/path', fetch: fetchGcs };
