// A standard kubeconfig (kind: Config) for an inferd server, so kubectl and KServe's Python SDK
// (`kubernetes.config.load_kube_config`) reach inferd's control API. Pure: settings in, document out;
// merging into an existing file replaces only the entries of the same name, as `kubectl config set-*` does.

export interface KubeconfigEntry {
  /** The name of the cluster, user and context entries (default "inferd"). */
  name: string;
  server: string;
  namespace?: string;
  token?: string;
  /** PEM CA of an https server, written as `certificate-authority-data` so the file stands alone. */
  ca?: string;
}

interface Named {
  name: string;
  [field: string]: unknown;
}

export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  preferences?: Record<string, unknown>;
  clusters: Named[];
  users: Named[];
  contexts: Named[];
  'current-context': string;
  [field: string]: unknown;
}

/** The three entries for `entry`. */
function entriesOf(entry: KubeconfigEntry) {
  return {
    cluster: {
      name: entry.name,
      cluster: {
        server: entry.server,
        ...(entry.ca ? { 'certificate-authority-data': Buffer.from(entry.ca, 'utf8').toString('base64') } : {}),
      },
    },
    // No credentials yet unless a token was given: inferd's control API is open until auth is turned on.
    user: { name: entry.name, user: entry.token ? { token: entry.token } : {} },
    context: {
      name: entry.name,
      context: { cluster: entry.name, user: entry.name, ...(entry.namespace ? { namespace: entry.namespace } : {}) },
    },
  };
}

/** A kubeconfig holding only `entry`, as its current context. */
export function kubeconfigFor(entry: KubeconfigEntry): Kubeconfig {
  const { cluster, user, context } = entriesOf(entry);
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [cluster],
    users: [user],
    contexts: [context],
    'current-context': entry.name,
  };
}

const replaced = (list: unknown, item: Named): Named[] => [
  ...(Array.isArray(list) ? (list as Named[]) : []).filter((x) => x?.name !== item.name),
  item,
];

/** `existing` with `entry`'s cluster, user and context added (same names replaced) and made current. */
export function mergeKubeconfig(existing: Partial<Kubeconfig> | undefined, entry: KubeconfigEntry): Kubeconfig {
  if (!existing || typeof existing !== 'object') return kubeconfigFor(entry);
  const { cluster, user, context } = entriesOf(entry);
  return {
    ...existing,
    apiVersion: 'v1',
    kind: 'Config',
    clusters: replaced(existing.clusters, cluster),
    users: replaced(existing.users, user),
    contexts: replaced(existing.contexts, context),
    'current-context': entry.name,
  };
}
