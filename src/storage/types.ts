// Shapes shared by the initializer and its scheme downloaders.

import type { Logger } from '../log.js';
import type { EgressPolicy } from './egress.js';
import type { Progress } from './progress.js';

/** S3 settings, from KServe's annotations, secret keys, env or the storage-config secret. */
export interface S3Credentials {
  /** Full endpoint URL with scheme, e.g. `http://minio.kubeflow:9000`. Absent: AWS for `region`. */
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Send unsigned requests (KServe `s3-useanoncredential`). */
  anonymous?: boolean;
  /** false: accept any TLS certificate (KServe `s3-verifyssl: "0"`). Default true. */
  verifySsl?: boolean;
  /** PEM text, or the path of a PEM file (KServe `s3-cabundle` / `AWS_CA_BUNDLE`). */
  caBundle?: string;
  /** Virtual-host addressing `bucket.host` (KServe `s3-usevirtualbucket`). Default: path style on custom endpoints. */
  useVirtualBucket?: boolean;
}

/** Google Cloud Storage settings. */
export interface GcsCredentials {
  /** `host:port` or URL of an emulator (`STORAGE_EMULATOR_HOST`); requests go there unauthenticated. */
  emulatorHost?: string;
  /** Service-account key JSON text (`gcloud-application-credentials.json` in a secret). */
  serviceAccountKey?: string;
  /** Path of a service-account key JSON file (`GOOGLE_APPLICATION_CREDENTIALS`). */
  serviceAccountKeyFile?: string;
}

/** Everything the downloaders may need to reach storage. Values are secret: never log this object whole. */
export interface StorageCredentials {
  s3?: S3Credentials;
  gcs?: GcsCredentials;
  /** Extra request headers per host for http(s) downloads (KServe `https-host` + `headers` secret keys). */
  httpHeaders?: Record<string, Record<string, string>>;
  /** The URI built from `spec.predictor.model.storage` (storage-config secret + `path`), when one was given. */
  storageUri?: string;
}

export interface ProgressInfo {
  bytes: number;
  totalBytes?: number;
  rateBytesPerSec: number;
  etaSec?: number;
}

export interface InitializeResult {
  /** A directory holding the model (KServe's `/mnt/models`). */
  modelDir: string;
  /** true when a previously downloaded cache entry was used without downloading. */
  cached: boolean;
}

/** What a scheme downloader gets: the URI and the resolved options. */
export interface DownloadContext {
  uri: string;
  cacheDir: string;
  pvcRoots: Record<string, string>;
  pvcDefaultRoot?: string;
  credentials: StorageCredentials;
  log: Logger;
  /** Fires on the caller's abort or the overall timeout; downloaders pass it to every request. */
  signal: AbortSignal;
  maxBytes: number;
  /** Archives may unpack to at most max(ratioFloorBytes, maxRatio × their size) (zip/gzip bombs). */
  maxRatio: number;
  ratioFloorBytes: number;
  /** Where requests may connect (SSRF guard). */
  egress: EgressPolicy;
  /**
   * Prefix of every cache key and index name: a digest of the credentials and endpoint used, so a download
   * made with one tenant's secret is never handed to a caller with other (or no) credentials.
   */
  scope: string;
  /** Inactivity limit per request (connect and between bytes). */
  idleTimeoutMs: number;
  maxRedirects: number;
  progress: Progress;
}

export interface Downloader {
  /** Human name used in error messages, e.g. `s3://bucket/prefix`. */
  readonly example: string;
  fetch(ctx: DownloadContext): Promise<InitializeResult>;
}
