// storageUri acceptance, as KServe's controller checks it (pkg/controller/v1beta1/inferenceservice/utils/utils.go
// ValidateStorageURI, SupportedStorageURIPrefixList; message from pkg/apis/serving/v1beta1/component.go
// UnsupportedStorageURIFormatError): no `scheme://` at all means a local path; otherwise a known prefix, or an
// Azure blob https URL.

/** KServe HEAD's list, in its order. */
export const SUPPORTED_STORAGE_URI_PREFIXES = [
  'gs://',
  's3://',
  'pvc://',
  'file://',
  'https://',
  'http://',
  'hdfs://',
  'webhdfs://',
  'oci://',
  'hf://',
] as const;

/** Prefixes that `storage:` (ModelStorageSpec) supports (component.go SupportedStorageSpecURIPrefixList). */
export const STORAGE_SPEC_URI_PREFIXES = ['s3://', 'hdfs://', 'webhdfs://'] as const;

const AZURE_BLOB = /https:\/\/(.+?)\.blob\.core\.windows\.net\/(.+)/;
const HAS_SCHEME = /\w+?:\/\//;
/** `s3:/bucket/x` — a URI with one slash, which KServe would take as a relative local path. */
const ONE_SLASH_URI = /^[a-z][a-z0-9+.-]*:\/(?!\/)/i;

/** A problem message for `uri`, or undefined when KServe would accept it. */
export function storageUriProblem(uri: string): string | undefined {
  if (!HAS_SCHEME.test(uri)) {
    if (ONE_SLASH_URI.test(uri)) {
      return `${JSON.stringify(uri)} looks like a URI with a missing '/' after the scheme (write ${uri.replace(':/', '://')})`;
    }
    return undefined; // an absolute or relative local path
  }
  if (uri.includes('blob.core.windows.net')) {
    if (AZURE_BLOB.test(uri)) return undefined;
  } else if (SUPPORTED_STORAGE_URI_PREFIXES.some((p) => uri.startsWith(p))) {
    return undefined;
  }
  return `must be one of: [${SUPPORTED_STORAGE_URI_PREFIXES.join(', ')}] or match https://{}.blob.core.windows.net/{}/{} or be an absolute or relative local path. StorageUri [${uri}] is not supported`;
}
