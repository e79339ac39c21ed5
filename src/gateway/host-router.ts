// Maps a request's Host to the InferenceService it names, the hosts KServe's ingress answers:
// `{name}.{ns}.{domain}`, `{name}-predictor.{ns}.{domain}`, `{name}.{ns}.svc.cluster.local`,
// `{name}-predictor.{ns}.svc.cluster.local` (also `.svc` and the Knative `-predictor-default` form), any port.
// Under tag routing (`serving.kserve.io/enable-tag-routing`), Knative's tag hosts `latest-{name}-predictor...`
// and `prev-{name}-predictor...` name one revision of the service: a candidate with `tag`.
// Pure: returns candidates; the gateway picks the first that exists.

export interface HostTarget {
  namespace: string;
  name: string;
  /** The Knative traffic tag the host names (`latest`, `prev`); undefined: the service's split. */
  tag?: string;
}

/** Knative tags KServe sets (pkg/controller/v1beta1/inferenceservice/components: `latest`, `prev`). */
const TAGS = ['latest', 'prev'];

const CLUSTER_SUFFIXES = ['.svc.cluster.local', '.svc'];
const COMPONENT_SUFFIXES = [
  '-predictor-default',
  '-predictor',
  '-transformer-default',
  '-transformer',
  '-explainer-default',
  '-explainer',
];

/** Candidate services for a Host header, most specific first; empty when the host names no service. */
export function serviceCandidatesForHost(hostHeader: string | undefined, domain: string): HostTarget[] {
  if (!hostHeader) return [];
  const host = stripPort(hostHeader).toLowerCase();
  let prefix: string | undefined;
  const domainSuffix = `.${domain.toLowerCase()}`;
  if (host.endsWith(domainSuffix)) prefix = host.slice(0, -domainSuffix.length);
  else {
    for (const s of CLUSTER_SUFFIXES) {
      if (host.endsWith(s)) {
        prefix = host.slice(0, -s.length);
        break;
      }
    }
  }
  if (!prefix) return [];
  const labels = prefix.split('.');
  if (labels.length !== 2 || !labels[0] || !labels[1]) return [];
  const [first, namespace] = labels as [string, string];
  const out: HostTarget[] = [{ namespace, name: first }];
  for (const suffix of COMPONENT_SUFFIXES) {
    if (first.endsWith(suffix) && first.length > suffix.length) {
      const base = first.slice(0, -suffix.length);
      out.push({ namespace, name: base });
      // `latest-{name}-predictor`: a service named `latest-…` exists first, else the tag of `{name}`. With a
      // transformer, `{name}` is the transformer's endpoint and the predictor's is `{name}-predictor` (the
      // explainer's `{name}-explainer`): that one's tag first, so each component's tag hosts reach its own.
      const own = suffix.startsWith('-transformer') ? undefined : suffix.replace(/-default$/, '');
      for (const tag of TAGS) {
        if (base.length > tag.length + 1 && base.startsWith(`${tag}-`)) {
          const svc = base.slice(tag.length + 1);
          if (own) out.push({ namespace, name: `${svc}${own}`, tag });
          out.push({ namespace, name: svc, tag });
        }
      }
      break;
    }
  }
  return out;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}
