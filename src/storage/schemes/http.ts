// http(s):// single files with KServe's semantics: the file keeps the name from the URL path, archives are
// unpacked. Cached by URI + ETag/Last-Modified; a repeat call revalidates with a conditional GET (304 → cache).

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { archiveKind, unpackArchive, unpackLimits } from '../archive.js';
import { commitTempDir, entryDir, isDir, makeTempDir, populateEntry, readIndex, writeIndex } from '../cache.js';
import {
  type HttpResponse,
  hostPort,
  readErrorBody,
  saveBody,
  sendFollowingRedirects,
  tooLarge,
} from '../http-client.js';
import { redactUri } from '../redact-uri.js';
import { storageError } from '../storage-error.js';
import type { DownloadContext, Downloader, InitializeResult } from '../types.js';

/** The file name a URL's path ends with (decoded), or an error for URLs that name no file. */
export function fileNameOf(url: URL, uri: string): string {
  const last = url.pathname.split('/').pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\\') || name.includes('\0')) {
    throw storageError(
      'InvalidStorageUri',
      `invalid storageUri ${redactUri(uri)}: an http(s) URI must end with a file name (https://host/path/model.joblib)`,
    );
  }
  return name;
}

/** Maps a non-2xx answer to a storage reason naming the URI and host (never credentials). */
export async function httpStatusError(res: HttpResponse, uri: string): Promise<Error> {
  const safe = redactUri(uri);
  const where = hostPort(res.url);
  await readErrorBody(res, 256);
  if (res.status === 404 || res.status === 410) {
    return storageError('ModelNotFound', `model not found: ${safe} (HTTP ${res.status} from ${where})`, {
      uri: safe,
      status: res.status,
    });
  }
  if (res.status === 401 || res.status === 403) {
    return storageError('StorageAccessDenied', `access to ${safe} denied by ${where} (HTTP ${res.status})`, {
      uri: safe,
      host: where,
      status: res.status,
    });
  }
  return storageError('StorageRequestFailed', `HTTP ${res.status} from ${where} for ${safe}`, {
    uri: safe,
    status: res.status,
  });
}

/** Saves one response body as `fileName` in `dir`, or unpacks it there when the name is an archive's. */
async function writeModel(
  res: HttpResponse,
  dir: string,
  fileName: string,
  ctx: DownloadContext,
  hash: boolean,
): Promise<string | undefined> {
  const what = redactUri(ctx.uri);
  const budget = { used: 0, max: ctx.maxBytes };
  const kind = archiveKind(fileName);
  if (!kind) {
    const r = await saveBody(res, join(dir, fileName), {
      signal: ctx.signal,
      budget,
      progress: ctx.progress,
      hash,
      what,
    });
    return r.sha256;
  }
  const scratch = await makeTempDir(ctx.cacheDir);
  try {
    const file = join(scratch, fileName);
    const r = await saveBody(res, file, { signal: ctx.signal, budget, progress: ctx.progress, hash, what });
    const u = await unpackArchive(file, kind, dir, unpackLimits(ctx, what));
    ctx.log.info('storage: unpacked archive', { uri: what, entries: u.entries, bytes: u.bytes });
    return r.sha256;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const AZURE_BLOB = /\.blob\.core\.windows\.net$|\.z\d+\.blob\.storage\.azure\.net$/;

async function fetchHttp(ctx: DownloadContext): Promise<InitializeResult> {
  const url = new URL(ctx.uri);
  const safe = redactUri(ctx.uri);
  if (AZURE_BLOB.test(url.hostname) && !url.searchParams.has('sig')) {
    throw storageError(
      'StorageUnsupported',
      `Azure Blob storage (${url.hostname}) is not supported yet; a single blob works as an https URL with a SAS token (?sv=...&sig=...)`,
    );
  }
  const fileName = fileNameOf(url, ctx.uri);
  const extra = ctx.credentials.httpHeaders?.[url.host] ?? ctx.credentials.httpHeaders?.[url.hostname] ?? {};
  const conditional: Record<string, string> = {};
  const indexName = `${ctx.scope}${ctx.uri}`;
  const idx = await readIndex(ctx.cacheDir, indexName);
  if (idx && (await isDir(entryDir(ctx.cacheDir, idx.key)))) {
    if (idx.etag) conditional['if-none-match'] = idx.etag;
    if (idx.lastModified) conditional['if-modified-since'] = idx.lastModified;
  }
  const res = await sendFollowingRedirects(
    {
      url,
      headers: { 'user-agent': 'inferd-storage-initializer', ...extra, ...conditional },
      signal: ctx.signal,
      idleTimeoutMs: ctx.idleTimeoutMs,
      egress: ctx.egress,
    },
    ctx.maxRedirects,
  );
  if (res.status === 304 && idx) {
    res.body.resume();
    ctx.log.info('storage: cache hit (not modified)', { uri: safe });
    return { modelDir: entryDir(ctx.cacheDir, idx.key), cached: true };
  }
  if (res.status < 200 || res.status > 299) throw await httpStatusError(res, ctx.uri);

  const length = Number(res.headers['content-length']);
  if (Number.isFinite(length) && res.headers['content-length'] !== undefined) {
    if (length > ctx.maxBytes) {
      res.body.destroy();
      throw tooLarge(safe, ctx.maxBytes);
    }
    ctx.progress.addTotal(length);
  }
  const etag = res.headers.etag;
  const lastModified = res.headers['last-modified'];
  const validator = etag ? `etag:${etag}` : lastModified ? `last-modified:${lastModified}` : undefined;

  if (validator) {
    const key = `${ctx.scope}${ctx.uri}\n${validator}`;
    if (await isDir(entryDir(ctx.cacheDir, key))) {
      res.body.destroy();
      await writeIndex(ctx.cacheDir, indexName, { key, etag, lastModified });
      ctx.log.info('storage: cache hit (same validator)', { uri: safe });
      return { modelDir: entryDir(ctx.cacheDir, key), cached: true };
    }
    ctx.log.info('storage: downloading', { uri: safe, bytes: Number.isFinite(length) ? length : undefined });
    const result = await populateEntry(
      ctx.cacheDir,
      key,
      (dir) => writeModel(res, dir, fileName, ctx, false).then(() => {}),
      ctx.log,
    );
    res.body.destroy(); // unread if another process filled the entry first
    await writeIndex(ctx.cacheDir, indexName, { key, etag, lastModified });
    return result;
  }

  // no validator: the content's own digest names the entry, and the next call downloads again
  ctx.log.info('storage: downloading (server gives no ETag or Last-Modified; not revalidatable)', { uri: safe });
  const tmp = await makeTempDir(ctx.cacheDir);
  try {
    const digest = await writeModel(res, tmp, fileName, ctx, true);
    return {
      modelDir: await commitTempDir(ctx.cacheDir, tmp, `${ctx.scope}${ctx.uri}\nsha256:${digest}`),
      cached: false,
    };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

export const httpDownloader: Downloader = {
  example: 'https://host/path/model.joblib (or .zip/.tar/.tar.gz)',
  fetch: fetchHttp,
};
