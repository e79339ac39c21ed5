// The role table and the one authorization function. Pure: grants and an action in, a decision out
// (table-tested in test/auth/roles.test.ts). Modelled on Kubernetes' aggregated ClusterRoles bound in a
// namespace: `view` (no Secrets), `edit` (writes, Secrets), `admin`; plus `predictor`, which only calls models.

import type { RbacVerb } from '../apiserver/routes.js';
import type { Grant } from './identity.js';

export const ROLES = ['viewer', 'predictor', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

/** Kubernetes verbs, plus `infer` (a model route: V1/V2 REST, gRPC). */
export type Verb = RbacVerb | 'infer';

export interface Action {
  verb: Verb;
  /** Plural resource (`inferenceservices`, `secrets`, `inferenceservices/log`, `tokens`), or `models` for infer. */
  resource: string;
  /** Undefined: the cluster scope (cluster-scoped kinds, lists across namespaces). */
  namespace?: string;
}

export type Decision = { allowed: true } | { allowed: false; missing: string };

const READ: ReadonlySet<Verb> = new Set(['get', 'list', 'watch']);
const WRITE: ReadonlySet<Verb> = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
/** Namespaced resources a viewer reads (as Kubernetes' `view`: not Secrets, whose data is a credential). */
const VIEWABLE = new Set([
  'inferenceservices',
  'inferenceservices/status',
  'inferenceservices/log',
  'servingruntimes',
  'servingruntimes/status',
  'trainedmodels',
  'trainedmodels/status',
  'serviceaccounts',
  'events',
  'namespaces',
]);
/** Namespaced resources an editor also writes (and reads: Secrets). */
const EDITABLE = new Set([
  'inferenceservices',
  'inferenceservices/status',
  'servingruntimes',
  'servingruntimes/status',
  'trainedmodels',
  'trainedmodels/status',
  'serviceaccounts',
  'secrets',
  'events',
]);
/** Cluster-scoped reads any viewer or editor may make (runtime selection needs them; they hold no secrets). */
const CLUSTER_READABLE = new Set(['clusterservingruntimes', 'clusterservingruntimes/status']);

function roleAllows(role: Role, action: Action): boolean {
  if (role === 'admin') return true;
  const { verb, resource } = action;
  if (verb === 'infer') return role === 'predictor' || role === 'editor';
  if (role === 'predictor') return false;
  if (action.namespace === undefined) return READ.has(verb) && CLUSTER_READABLE.has(resource);
  if (READ.has(verb) && (VIEWABLE.has(resource) || (role === 'editor' && EDITABLE.has(resource)))) return true;
  return role === 'editor' && WRITE.has(verb) && EDITABLE.has(resource) && resource !== 'namespaces';
}

/** Whether any grant allows `action`; when none does, the permission that is missing, in Kubernetes' words. */
export function authorize(grants: readonly Grant[], action: Action): Decision {
  for (const g of grants) {
    // admin is everything everywhere, whichever namespace its token was created in (the definition).
    if (g.role === 'admin') return { allowed: true };
    const inScope = g.namespace === '*' || (action.namespace !== undefined && g.namespace === action.namespace);
    // Cluster-scoped reads (ClusterServingRuntimes) are allowed to any namespace's viewer or editor.
    const clusterRead = action.namespace === undefined && g.role !== 'predictor';
    if ((inScope || clusterRead) && roleAllows(g.role, action)) return { allowed: true };
  }
  return { allowed: false, missing: describeAction(action) };
}

/** `cannot create resource "secrets" in namespace "team-b"` (kubectl's wording). */
export function describeAction(action: Action): string {
  const where = action.namespace === undefined ? 'at the cluster scope' : `in the namespace "${action.namespace}"`;
  if (action.verb === 'infer') return `cannot call models ${where} (role predictor or editor needed)`;
  return `cannot ${action.verb} resource "${action.resource}" ${where}`;
}

/** Namespaces in which `grants` may call models; `'*'` when every namespace. */
export function inferNamespaces(grants: readonly Grant[]): ReadonlySet<string> {
  const out = new Set<string>();
  for (const g of grants) {
    if (g.role === 'admin') out.add('*');
    else if (g.role === 'predictor' || g.role === 'editor') out.add(g.namespace);
  }
  return out;
}
