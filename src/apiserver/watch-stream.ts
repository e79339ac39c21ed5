// `?watch=true`: a chunked HTTP/1.1 response of JSON lines (`{"type":"ADDED","object":{...}}\n`), fed by a
// store watch, until the client disconnects, `timeoutSeconds` passes or the API server closes. A watch
// from a resourceVersion the store no longer remembers gets Kubernetes' answer: status 200, then one
// `ERROR` event holding a 410 `Expired` Status, then the end, so the client re-lists.

import type { ServerResponse } from 'node:http';
import type { KindInfo, Resource } from '../api/types.js';
import { isInferdError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Store, Watch, WatchEvent } from '../store/store.js';
import { type ListQuery, matchesFields } from './query.js';
import { statusFromError } from './status-errors.js';

/** A client that stops reading gets cut off once this much is queued for it (16 MiB). */
export const MAX_WATCH_BUFFER_BYTES = 16 * 1024 * 1024;

export interface WatchStreamOptions {
  store: Store;
  kind: KindInfo;
  namespace?: string;
  query: ListQuery;
  res: ServerResponse;
  log: Logger;
  maxBufferBytes?: number;
  /** What each event carries instead of the object itself (a Table for kubectl get -w). */
  transform?: (obj: Resource) => unknown;
}

export interface WatchStream {
  /** Ends the stream (the response ends; the client sees a clean end of body). */
  close(): void;
}

/**
 * Starts a watch and streams it. Throws (before any byte is written) for errors other than Expired, so the
 * caller can answer them with a Status.
 */
export function startWatchStream(opts: WatchStreamOptions): WatchStream {
  const { res, query } = opts;
  const maxBuffer = opts.maxBufferBytes ?? MAX_WATCH_BUFFER_BYTES;
  let started = false;
  let ended = false;
  const pending: string[] = [];
  let watch: Watch | undefined;
  let timer: NodeJS.Timeout | undefined;

  const end = () => {
    if (ended) return;
    ended = true;
    watch?.close();
    if (timer) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  const write = (line: string) => {
    if (ended) return;
    if (!started) {
      pending.push(line);
      return;
    }
    res.write(line);
    if (res.writableLength > maxBuffer) {
      opts.log.warn('watch client is not reading; closing its watch', {
        kind: opts.kind.kind,
        queuedBytes: res.writableLength,
      });
      end();
      res.destroy();
    }
  };
  const begin = () => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'cache-control': 'no-cache, private',
      'x-content-type-options': 'nosniff',
    });
    res.flushHeaders();
    started = true;
    for (const line of pending.splice(0)) res.write(line);
  };
  const onEvent = (ev: WatchEvent<Resource>) => {
    if (query.fieldSelector.length && !matchesFields(ev.object, query.fieldSelector)) return;
    const object = opts.transform ? opts.transform(ev.object) : ev.object;
    write(`${JSON.stringify({ type: ev.type, object })}\n`);
  };

  try {
    watch = opts.store.watch(
      {
        kind: opts.kind.kind,
        namespace: opts.namespace,
        labelSelector: query.labelSelector,
        resourceVersion: query.resourceVersion,
      },
      onEvent,
    );
  } catch (err) {
    if (!isInferdError(err) || err.details.reason !== 'Expired') throw err;
    begin();
    res.end(`${JSON.stringify({ type: 'ERROR', object: statusFromError(err) })}\n`);
    ended = true;
    return { close: () => {} };
  }
  begin();
  res.on('close', end);
  if (query.timeoutSeconds) timer = setTimeout(end, query.timeoutSeconds * 1000);
  return { close: end };
}
