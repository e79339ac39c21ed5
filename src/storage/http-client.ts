// The one place storage talks HTTP: node:http/https (fetch cannot take a CA bundle or skip TLS checks), with an
// inactivity timeout, abort, redirects, bounded bodies, and network failures mapped to storage reasons.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InferdError } from '../errors.js';
import { type EgressPolicy, guardedLookup, guardSocket, isLoopback, refusal, refusedError } from './egress.js';
import type { Progress } from './progress.js';
import { storageError } from './storage-error.js';

export interface TlsOptions {
  ca?: string | Buffer;
  rejectUnauthorized?: boolean;
}

export interface HttpRequest {
  url: URL;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  tls?: TlsOptions;
  signal: AbortSignal;
  idleTimeoutMs: number;
  /** Where connections may go (default: no link-local/metadata addresses). */
  egress?: EgressPolicy;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  url: URL;
  body: IncomingMessage;
  /** The peer's IP address. */
  remoteAddress?: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** `host:port` of a URL, with the scheme's default port filled in. */
export function hostPort(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname}:${port}`;
}

/** The reason the signal fired, as a storage error (the initializer aborts with one). */
export function abortReason(signal: AbortSignal): InferdError {
  const r: unknown = signal.reason;
  return r instanceof InferdError ? r : storageError('DownloadCancelled', 'download cancelled');
}

/** Maps a socket/TLS/abort failure to StorageUnreachable naming host:port, or the abort reason. */
export function networkError(err: unknown, url: URL, signal: AbortSignal): InferdError {
  if (signal.aborted) return abortReason(signal);
  if (err instanceof InferdError) return err;
  const code = (err as { code?: string }).code ?? '';
  const where = hostPort(url);
  if (code.startsWith('CERT_') || code.includes('CERT') || code.startsWith('ERR_TLS') || code.includes('SELF_SIGNED')) {
    return storageError(
      'StorageUnreachable',
      `TLS certificate check failed for ${where} (${code}); give a CA bundle (serving.kserve.io/s3-cabundle) or turn verification off (serving.kserve.io/s3-verifyssl: "0")`,
      { host: where, tls: true },
    );
  }
  // One message for refused, reset, closed and timed-out connections (and non-HTTP answers): the errno told
  // apart closed, open and filtered ports, which made storageUri a port scanner.
  return storageError(
    'StorageUnreachable',
    `could not fetch ${safeUrl(url)}: the connection to ${where} failed (unreachable, refused, reset, closed or timed out)`,
    { host: where, network: NETWORK_CODES.has(code) },
  );
}

/** A URL for messages: no query (signed URLs carry credentials there) and no user info. */
function safeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Sends one request; resolves once response headers arrive. The body must be consumed or destroyed. */
export function sendRequest(req: HttpRequest): Promise<HttpResponse> {
  const { url, signal } = req;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  const isHttps = url.protocol === 'https:';
  const mod = isHttps ? https : http;
  const headers: Record<string, string> = { ...req.headers };
  if (req.body) headers['content-length'] = String(req.body.length);
  const egress = req.egress ?? {};
  const port = Number(url.port || (isHttps ? 443 : 80));
  const what = safeUrl(url);
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal)) {
    const why = refusal(literal, port, egress);
    if (why) return Promise.reject(refusedError(what, why));
  }
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      method: req.method ?? 'GET',
      headers,
      signal,
      lookup: guardedLookup(port, egress, what) as unknown as http.RequestOptions['lookup'],
      ...(isHttps && req.tls ? { ca: req.tls.ca, rejectUnauthorized: req.tls.rejectUnauthorized ?? true } : {}),
    };
    const r = mod.request(url, options, (res) => {
      res.setTimeout(req.idleTimeoutMs, () => {
        res.destroy(Object.assign(new Error(`no data for ${req.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        url,
        body: res,
        remoteAddress: res.socket?.remoteAddress,
      });
    });
    r.on('socket', (s) => guardSocket(s, egress, what));
    r.setTimeout(req.idleTimeoutMs, () => {
      r.destroy(Object.assign(new Error(`no answer within ${req.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    r.on('error', (err) => reject(networkError(err, url, signal)));
    r.end(req.body);
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Sends a request and follows redirects up to maxRedirects. Headers not in `keepAcrossOrigins` are dropped when
 * a redirect leaves the origin, so credentials never travel to another host.
 */
export async function sendFollowingRedirects(
  req: HttpRequest,
  maxRedirects: number,
  keepAcrossOrigins: readonly string[] = ['if-none-match', 'if-modified-since'],
): Promise<HttpResponse> {
  let current = req;
  for (let hops = 0; ; hops++) {
    const res = await sendRequest(current);
    if (!REDIRECTS.has(res.status)) return res;
    // a public server may not bounce the download onto this machine's loopback services
    if (hops === 0 && !isLoopback(res.remoteAddress))
      current = { ...current, egress: { ...current.egress, denyLoopback: true } };
    res.body.resume();
    const location = res.headers.location;
    if (!location) return res;
    if (hops >= maxRedirects) {
      throw storageError(
        'StorageRequestFailed',
        `too many redirects (more than ${maxRedirects}) from ${current.url.host}`,
      );
    }
    const next = new URL(location, current.url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw storageError(
        'StorageRequestFailed',
        `redirect to unsupported scheme ${next.protocol} refused (only http and https)`,
      );
    }
    let headers = current.headers ?? {};
    if (next.origin !== current.url.origin) {
      headers = Object.fromEntries(
        Object.entries(headers).filter(([k]) => keepAcrossOrigins.includes(k.toLowerCase())),
      );
    }
    const method = res.status === 303 ? 'GET' : current.method;
    current = { ...current, url: next, headers, method, body: res.status === 303 ? undefined : current.body };
  }
}

/** Reads a whole (small) body: listings, error documents. */
export async function readBody(res: HttpResponse, limit: number, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > limit) {
        res.body.destroy();
        throw storageError('StorageRequestFailed', `response from ${res.url.host} larger than ${limit} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw networkError(err, res.url, signal);
  }
  return Buffer.concat(chunks);
}

/** Reads up to `limit` bytes of an error body for a message, never failing. */
export async function readErrorBody(res: HttpResponse, limit = 4096): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (n < limit) chunks.push(chunk);
      n += chunk.length;
      if (n >= limit) break;
    }
  } catch {
    // best effort
  }
  res.body.destroy();
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}

export interface SaveOptions {
  signal: AbortSignal;
  /** Bytes already counted against the limit by earlier files of the same model. */
  budget: { used: number; max: number };
  progress: Progress;
  /** Compute the body's sha256 (for servers that give no ETag). */
  hash?: boolean;
  what: string;
}

/** Streams a response body into a file, counting bytes against the budget. */
export async function saveBody(
  res: HttpResponse,
  file: string,
  opts: SaveOptions,
): Promise<{ bytes: number; sha256?: string }> {
  const hasher = opts.hash ? createHash('sha256') : undefined;
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      opts.budget.used += chunk.length;
      if (opts.budget.used > opts.budget.max) {
        cb(tooLarge(opts.what, opts.budget.max));
        return;
      }
      hasher?.update(chunk);
      opts.progress.add(chunk.length);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(res.body, counter, createWriteStream(file), { signal: opts.signal });
  } catch (err) {
    res.body.destroy();
    throw networkError(err, res.url, opts.signal);
  }
  const expected = Number(res.headers['content-length']);
  if (Number.isFinite(expected) && res.headers['content-length'] !== undefined && expected !== bytes) {
    throw storageError(
      'StorageUnreachable',
      `connection to ${hostPort(res.url)} closed after ${bytes} of ${expected} bytes of ${opts.what}`,
      { host: hostPort(res.url) },
    );
  }
  return hasher ? { bytes, sha256: hasher.digest('hex') } : { bytes };
}

export function tooLarge(what: string, max: number): InferdError {
  return storageError('StorageTooLarge', `${what} is larger than the limit of ${max} bytes (maxBytes)`, {
    maxBytes: max,
  });
}
