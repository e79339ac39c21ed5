// Pod addresses for the gateway's replica client, which keys its connection pools by a number (locally a
// loopback port). Each remote `address:port` gets a stable key above 65535 — never a real port, so never
// mistaken for a loopback replica — and `targetOf(key)` resolves it back. Keys are not reused while the
// process runs (a few per pod ever seen: small).

import type { ReplicaAddress } from '../gateway/replica-client/options.js';

const FIRST_KEY = 65_536;

export class RemoteTargets {
  readonly #byAddress = new Map<string, number>();
  readonly #byKey = new Map<number, ReplicaAddress>();
  #next = FIRST_KEY;

  /** The pool key of `host:port`. */
  keyOf(host: string, port: number): number {
    const id = `${host}:${port}`;
    let key = this.#byAddress.get(id);
    if (key === undefined) {
      key = this.#next++;
      this.#byAddress.set(id, key);
      this.#byKey.set(key, { host, port });
    }
    return key;
  }

  /** Where the pool keyed `key` connects: a remote address, or loopback for a plain port. */
  readonly targetOf = (key: number): ReplicaAddress => this.#byKey.get(key) ?? { host: '127.0.0.1', port: key };
}
