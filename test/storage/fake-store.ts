// A read-only Store over a list of objects: enough for credential resolution tests.

import type { Resource } from '../../src/api/types.js';
import { InferdError } from '../../src/errors.js';
import type { CredentialLookup } from '../../src/storage/credentials.js';
import type { ObjectKey, Store } from '../../src/store/store.js';

export function fakeStore(objects: Resource[]): Store {
  const no = () => {
    throw new InferdError('INTERNAL', 'fakeStore is read-only');
  };
  return {
    get: <T extends Resource>(key: ObjectKey) =>
      objects.find(
        (o) =>
          o.kind === key.kind && o.metadata.name === key.name && (o.metadata.namespace ?? undefined) === key.namespace,
      ) as T | undefined,
    list: no,
    create: no,
    update: no,
    updateStatus: no,
    delete: no,
    watch: no,
    close: () => {},
  };
}

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** resolveStorageCredentials' lookup over a store (as src/serve/model-fetcher.ts reads the real one). */
export function lookupIn(store: Pick<Store, 'get'>): CredentialLookup {
  return ((kind: 'Secret' | 'ServiceAccount', namespace: string, name: string) =>
    store.get({ kind, namespace, name })) as CredentialLookup;
}
