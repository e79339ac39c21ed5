// RoleBindings: how OIDC identities get namespace roles. Kubernetes' own kind
// (`rbac.authorization.k8s.io/v1 RoleBinding`, namespaced), so `kubectl create rolebinding` and existing
// manifests work: roleRef is a ClusterRole whose name is an inferd role (viewer, predictor, editor, admin) or
// one of Kubernetes' user-facing ClusterRoles mapped to it (view → viewer, edit → editor, admin → admin);
// subjects are User or Group (matched against the token's username and groups claims; a user subject may
// also be written `oidc:SUB`). Only admins may read or write them (roles.ts lists no viewer/editor access to
// `rolebindings`). Kept in a map fed by a store watch, so authorization does no store read.

import { roleOfRef } from '../api/role-binding.validation.js';
import type { Resource } from '../api/types.js';
import type { Store, Watch } from '../store/store.js';
import type { Grant } from './identity.js';
import type { GrantSource } from './oidc.js';
import type { Role } from './roles.js';

interface Subject {
  kind: 'User' | 'Group';
  name: string;
}

interface Binding {
  namespace: string;
  role: Role;
  subjects: Subject[];
}

function bindingOf(obj: Resource): Binding | undefined {
  const o = obj as unknown as { roleRef?: { name?: unknown }; subjects?: unknown };
  const role = typeof o.roleRef?.name === 'string' ? roleOfRef(o.roleRef.name) : undefined;
  const namespace = obj.metadata?.namespace;
  if (!role || !namespace || !Array.isArray(o.subjects)) return undefined;
  const subjects = o.subjects.filter(
    (s): s is Subject =>
      typeof s === 'object' && s !== null && (s.kind === 'User' || s.kind === 'Group') && typeof s.name === 'string',
  );
  return { namespace, role, subjects };
}

/** Grants for a user and its groups, from every binding that names either. */
export function grantsFrom(bindings: Iterable<Binding>, user: string, groups: readonly string[]): Grant[] {
  const out: Grant[] = [];
  for (const b of bindings) {
    const hit = b.subjects.some((s) =>
      s.kind === 'User' ? s.name === user || s.name === `oidc:${user}` : groups.includes(s.name),
    );
    if (hit) out.push({ namespace: b.namespace, role: b.role });
  }
  return out;
}

export class RoleBindings implements GrantSource {
  readonly #byKey = new Map<string, Binding>();
  readonly #watch: Watch;

  constructor(store: Store) {
    this.#watch = store.watch({ kind: 'RoleBinding' }, (ev) => {
      const obj = ev.object as Resource;
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      const b = ev.type === 'DELETED' ? undefined : bindingOf(obj);
      if (b) this.#byKey.set(key, b);
      else this.#byKey.delete(key);
    });
  }

  grantsFor(user: string, groups: readonly string[]): Grant[] {
    return grantsFrom(this.#byKey.values(), user, groups);
  }

  close(): void {
    this.#watch.close();
  }
}
