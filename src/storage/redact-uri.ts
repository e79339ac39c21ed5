// URIs end up in logs, errors and status conditions: drop user:password and mask signature-like query values.

const SECRET_QUERY =
  /^(sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|token|access_token|key|code)$/i;

/** The URI with its userinfo removed and secret-looking query parameters masked. */
export function redactUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return uri;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return uri;
  url.username = '';
  url.password = '';
  for (const k of [...url.searchParams.keys()]) {
    if (SECRET_QUERY.test(k)) url.searchParams.set(k, 'REDACTED');
  }
  return url.toString();
}
