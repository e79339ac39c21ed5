// s3://bucket/key-or-prefix, against AWS or any S3-compatible endpoint (MinIO), with KServe's settings.

import { parseBucketUri } from '../bucket-uri.js';
import { downloadObjects } from '../object-store.js';
import { S3Client } from '../s3-client.js';
import type { DownloadContext, Downloader, InitializeResult } from '../types.js';

async function fetchS3(ctx: DownloadContext): Promise<InitializeResult> {
  const { bucket, path } = parseBucketUri(ctx.uri, 's3');
  const client = await S3Client.create(ctx.credentials.s3);
  const io = { idleTimeoutMs: ctx.idleTimeoutMs, egress: ctx.egress };
  return downloadObjects(
    ctx,
    {
      list: (prefix, signal) => client.listObjects(bucket, prefix, { ...io, signal }),
      open: (obj, signal) => client.getObject(bucket, obj.key, { ...io, signal }),
    },
    path,
    ctx.uri,
  );
}

export const s3Downloader: Downloader = { example: 's3://bucket/path', fetch: fetchS3 };
