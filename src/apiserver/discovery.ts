// Discovery documents, derived from the KINDS table, so `kubectl api-resources`-style clients can find what
// is served: `/api` (APIVersions), `/apis` (APIGroupList), `/apis/{group}` (APIGroup), and an
// APIResourceList per group-version. Also `/version`.

import { KINDS, type KindInfo } from '../api/types.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface GroupVersion {
  groupVersion: string;
  version: string;
}

function groupsOf(): Map<string, GroupVersion[]> {
  const groups = new Map<string, GroupVersion[]>();
  for (const k of KINDS) {
    if (!k.apiVersion.includes('/')) continue;
    const [group, version] = k.apiVersion.split('/') as [string, string];
    const list = groups.get(group) ?? [];
    if (!list.some((gv) => gv.version === version)) list.push({ groupVersion: k.apiVersion, version });
    groups.set(group, list);
  }
  // Kubernetes lists the preferred (newest) version first.
  for (const list of groups.values()) list.sort((a, b) => b.version.localeCompare(a.version));
  return groups;
}

function apiGroup(name: string, versions: GroupVersion[]) {
  return { name, versions, preferredVersion: versions[0] };
}

function resourceList(groupVersion: string, kinds: KindInfo[]) {
  const resources = kinds.flatMap((k) => {
    const main = {
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: VERBS,
      ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
    };
    const status = {
      name: `${k.plural}/status`,
      singularName: '',
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: ['get', 'patch', 'update'],
    };
    return k.hasStatus ? [main, status] : [main];
  });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

/** The discovery document for `/api...` or `/apis...` path segments, or undefined if there is none. */
export function discoveryDocument(segs: readonly string[]): unknown {
  const groups = groupsOf();
  if (segs[0] === 'api') {
    if (segs.length === 1) return { kind: 'APIVersions', versions: ['v1'] };
    const kinds = KINDS.filter((k) => k.apiVersion === segs[1]);
    return kinds.length ? resourceList(segs[1]!, kinds) : undefined;
  }
  if (segs.length === 1) {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => apiGroup(name, versions)),
    };
  }
  const versions = groups.get(segs[1]!);
  if (!versions) return undefined;
  if (segs.length === 2) return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(segs[1]!, versions) };
  const gv = `${segs[1]}/${segs[2]}`;
  const kinds = KINDS.filter((k) => k.apiVersion === gv);
  return kinds.length ? resourceList(gv, kinds) : undefined;
}

/** `GET /version`. */
export function versionDocument(packageVersion: string): { gitVersion: string; platform: string } {
  return { gitVersion: `v${packageVersion}`, platform: 'inferd' };
}
