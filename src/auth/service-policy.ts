// Per-service auth policy from KServe's annotation `serving.kserve.io/enable-auth` (and ODH's
// `security.opendatahub.io/enable-auth`): "true" makes one service require a token even when the server runs
// open; "false" keeps one service's model routes public under `--auth`. Kept in a map fed by a store watch,
// so the predict path does no store read.

import type { Resource } from '../api/types.js';
import type { Store, Watch } from '../store/store.js';

export const ENABLE_AUTH_ANNOTATIONS = [
  'serving.kserve.io/enable-auth',
  'security.opendatahub.io/enable-auth',
] as const;

/** true / false from the annotations (KServe's first, then ODH's), undefined when neither says. */
export function annotationPolicy(annotations: Record<string, string> | undefined): boolean | undefined {
  for (const key of ENABLE_AUTH_ANNOTATIONS) {
    const v = annotations?.[key]?.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
  }
  return undefined;
}

/** Whether calls to a service need a token: its annotation if it has one, else the server's switch. */
export function serviceRequiresAuth(globalAuth: boolean, policy: boolean | undefined): boolean {
  return policy ?? globalAuth;
}

export class ServicePolicies {
  readonly #byKey = new Map<string, boolean | undefined>();
  readonly #watch: Watch;

  constructor(store: Store) {
    this.#watch = store.watch({ kind: 'InferenceService' }, (ev) => {
      const obj = ev.object as Resource;
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      if (ev.type === 'DELETED') this.#byKey.delete(key);
      else this.#byKey.set(key, annotationPolicy(obj.metadata?.annotations));
    });
  }

  /** The service's annotation policy; undefined when it says nothing or does not exist. */
  policy(namespace: string, name: string): boolean | undefined {
    return this.#byKey.get(`${namespace}/${name}`);
  }

  exists(namespace: string, name: string): boolean {
    return this.#byKey.has(`${namespace}/${name}`);
  }

  close(): void {
    this.#watch.close();
  }
}
