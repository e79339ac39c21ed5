// RoleBinding (rbac.authorization.k8s.io/v1) as inferd serves it: roleRef a ClusterRole named by an inferd
// role or one of Kubernetes' user-facing ClusterRoles; subjects User or Group. src/auth/role-bindings.ts
// turns stored bindings into grants.

import type { Problem, Resource } from './types.js';

const INFERD_ROLES = ['viewer', 'predictor', 'editor', 'admin'] as const;
export type BoundRole = (typeof INFERD_ROLES)[number];
const CLUSTER_ROLE_NAMES: Record<string, BoundRole> = { view: 'viewer', edit: 'editor', admin: 'admin' };

/** The inferd role a roleRef names, or undefined. */
export function roleOfRef(name: string): BoundRole | undefined {
  return (INFERD_ROLES as readonly string[]).includes(name) ? (name as BoundRole) : CLUSTER_ROLE_NAMES[name];
}

/** Problems with a RoleBinding's roleRef and subjects (metadata is checked like every kind's). */
export function validateRoleBinding(obj: Resource): Problem[] {
  const out: Problem[] = [];
  const o = obj as unknown as Record<string, unknown>;
  const ref = o['roleRef'] as Record<string, unknown> | undefined;
  if (typeof ref !== 'object' || ref === null) {
    out.push({ path: 'roleRef', message: 'required: {kind: ClusterRole, name: viewer|predictor|editor|admin}' });
  } else {
    if (ref['kind'] !== 'ClusterRole' && ref['kind'] !== 'Role')
      out.push({ path: 'roleRef.kind', message: `must be ClusterRole, got ${JSON.stringify(ref['kind'])}` });
    if (typeof ref['name'] !== 'string' || roleOfRef(ref['name']) === undefined)
      out.push({
        path: 'roleRef.name',
        message: `must be viewer, predictor, editor or admin (or Kubernetes' view, edit, admin), got ${JSON.stringify(ref['name'])}`,
      });
  }
  const subjects = o['subjects'];
  if (subjects !== undefined && !Array.isArray(subjects)) {
    out.push({ path: 'subjects', message: 'must be a list of {kind: User|Group, name}' });
  } else {
    for (const [i, s] of (subjects ?? []).entries()) {
      const subj = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
      if (subj['kind'] !== 'User' && subj['kind'] !== 'Group')
        out.push({
          path: `subjects[${i}].kind`,
          message: `must be User or Group (ServiceAccount subjects are not served), got ${JSON.stringify(subj['kind'])}`,
        });
      if (typeof subj['name'] !== 'string' || subj['name'] === '')
        out.push({ path: `subjects[${i}].name`, message: 'required: a non-empty string' });
    }
  }
  return out;
}
