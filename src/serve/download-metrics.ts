// `inferd_storage_download_bytes_total{namespace,service}`: bytes the storage initializer fetched for a
// service's models (cache hits fetch none), and `inferd_storage_downloads_total{namespace,service,result}`.
// A collector for the gateway's /metrics (GatewayMetrics.register).

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class DownloadMetrics {
  /** `namespace/name` → bytes fetched. */
  readonly #bytes = new Map<string, number>();
  /** `namespace/name\nresult` → downloads finished. */
  readonly #downloads = new Map<string, number>();

  /** `bytes` more were fetched for the service `key` (`namespace/name`). */
  fetched(key: string, bytes: number): void {
    if (bytes > 0) this.#bytes.set(key, (this.#bytes.get(key) ?? 0) + bytes);
  }

  /** A download for the service ended: ok (fetched or from the cache) or failed. */
  finished(key: string, result: 'ok' | 'failed'): void {
    const k = `${key}\n${result}`;
    this.#downloads.set(k, (this.#downloads.get(k) ?? 0) + 1);
  }

  collect(out: string[]): void {
    out.push('# HELP inferd_storage_download_bytes_total Bytes the storage initializer fetched for a service.');
    out.push('# TYPE inferd_storage_download_bytes_total counter');
    for (const [key, n] of this.#bytes) out.push(`inferd_storage_download_bytes_total{${labels(key)}} ${n}`);
    out.push(
      '# HELP inferd_storage_downloads_total Model downloads (storage initializer runs) for a service, by result.',
    );
    out.push('# TYPE inferd_storage_downloads_total counter');
    for (const [k, n] of this.#downloads) {
      const [key, result] = k.split('\n') as [string, string];
      out.push(`inferd_storage_downloads_total{${labels(key)},result="${result}"} ${n}`);
    }
  }
}

function labels(key: string): string {
  const slash = key.indexOf('/');
  return `namespace="${escapeLabel(key.slice(0, slash))}",service="${escapeLabel(key.slice(slash + 1))}"`;
}
