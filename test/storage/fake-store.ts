// A read-only Store over a list of objects: enough for credential resolution tests.

import type { Resource } from '../../src/api/types.js';
import { InferdError } from '../../src/errors.js';
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
