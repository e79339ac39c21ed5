// Kubernetes' own kinds that `inferd operator` writes and the cluster gateway reads, as storage-only kinds:
// inferd's API server can store and serve them (list/watch/create/update/patch/status, 409 on a stale
// resourceVersion) for tests without a cluster (issue 19, 5b). Nothing acts on them there: no scheduler, no
// kubelet. Not served by the default `inferd serve` (the KINDS table in types.ts is its surface).

import type { KindInfo } from './types.js';

export const STORAGE_ONLY_KINDS: readonly KindInfo[] = [
  {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    plural: 'deployments',
    singular: 'deployment',
    shortNames: ['deploy'],
    namespaced: true,
    hasStatus: true,
  },
  {
    kind: 'Service',
    apiVersion: 'v1',
    plural: 'services',
    singular: 'service',
    shortNames: ['svc'],
    namespaced: true,
    hasStatus: true,
  },
  {
    kind: 'Endpoints',
    apiVersion: 'v1',
    plural: 'endpoints',
    singular: 'endpoints',
    shortNames: ['ep'],
    namespaced: true,
    hasStatus: false,
  },
  {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    plural: 'endpointslices',
    singular: 'endpointslice',
    shortNames: [],
    namespaced: true,
    hasStatus: false,
  },
  {
    kind: 'HorizontalPodAutoscaler',
    apiVersion: 'autoscaling/v2',
    plural: 'horizontalpodautoscalers',
    singular: 'horizontalpodautoscaler',
    shortNames: ['hpa'],
    namespaced: true,
    hasStatus: true,
  },
  {
    kind: 'Lease',
    apiVersion: 'coordination.k8s.io/v1',
    plural: 'leases',
    singular: 'lease',
    shortNames: [],
    namespaced: true,
    hasStatus: false,
  },
];
