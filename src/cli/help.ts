// Help text for `inferd --help` and `inferd <command> --help`. Summaries, usage lines and examples are kept
// in one place so main.ts can list every command without loading any of them; the flag lines are generated
// from the specs each command parses with (formatFlags), so they cannot drift from what is accepted.

import { SERVE_FLAGS } from '../config.js';
import { type FlagSpecs, formatFlags, GLOBAL_FLAGS } from './flags.js';

export interface CommandHelp {
  summary: string;
  usage: string;
  examples?: string;
}

export const GLOBAL_FLAGS_HELP = `Global flags:\n${formatFlags(GLOBAL_FLAGS)}`;

export const COMMANDS: Record<string, CommandHelp> = {
  serve: {
    summary: 'Run the inferd server: gateway, controllers and control API on one port',
    usage: 'inferd serve [flags]   (e.g. inferd serve --port 8080 --state DIR --demo)',
  },
  apply: {
    summary: 'Create or update resources from YAML/JSON manifests',
    usage: 'inferd apply -f FILENAME [-f FILENAME...] [-n NAMESPACE]',
    examples: `  inferd apply -f sklearn.yaml
  cat sklearn.yaml | inferd apply -n kserve-test -f -`,
  },
  get: {
    summary: 'Display one or many resources',
    usage: 'inferd get TYPE[,TYPE...] [NAME...] | TYPE/NAME... [-o yaml|json|wide|name] [-w]',
    examples: `  inferd get isvc
  inferd get inferenceservices -A
  inferd get isvc sklearn-iris -o yaml
  inferd get isvc sklearn-iris -o jsonpath='{.status.url}'`,
  },
  describe: {
    summary: 'Show details of a resource, with its status and events',
    usage: 'inferd describe TYPE NAME... | TYPE/NAME...',
    examples: '  inferd describe isvc sklearn-iris',
  },
  delete: {
    summary: 'Delete resources by name or by manifest',
    usage: 'inferd delete TYPE NAME... | TYPE/NAME... | -f FILENAME',
    examples: `  inferd delete isvc sklearn-iris
  inferd delete -f sklearn.yaml`,
  },
  rollout: {
    summary: 'Roll an InferenceService back to its previously rolled-out revision (canaryTrafficPercent: 0)',
    usage: 'inferd rollout undo isvc/NAME [-n NAMESPACE]',
    examples: '  inferd rollout undo isvc/sklearn-iris',
  },
  wait: {
    summary: 'Wait for a condition on resources',
    usage: 'inferd wait TYPE/NAME... | TYPE NAME... --for=condition=COND[=VALUE] | --for=delete [--timeout=30s]',
    examples: '  inferd wait --for=condition=Ready isvc/sklearn-iris --timeout=2m',
  },
  logs: {
    summary: "Print the logs of an InferenceService's replicas",
    usage: 'inferd logs NAME | isvc/NAME [-f] [--tail N] [-c COMPONENT]',
    examples: '  inferd logs sklearn-iris -f --tail 20',
  },
  version: {
    summary: 'Print the client and server versions',
    usage: 'inferd version [--client]',
  },
  kubeconfig: {
    summary: 'Print a kubeconfig context for this inferd server (or merge it into a file), for kubectl and KServe SDK',
    usage: 'inferd kubeconfig [--server URL] [--token TOKEN] [-n NAMESPACE] [--name inferd] [--write FILE]',
    examples: `  inferd kubeconfig --write ~/.kube/config && kubectl get isvc -A
  inferd kubeconfig --server http://127.0.0.1:8080 > inferd.kubeconfig`,
  },
  token: {
    summary: 'Create, list and revoke API tokens (Authorization: Bearer) for inferd serve --auth',
    usage:
      'inferd token create -n NAMESPACE --role viewer|predictor|editor|admin [--ttl 30d] [--name NAME] [--state DIR]\n  inferd token list [-n NAMESPACE | -A] [--state DIR]\n  inferd token revoke NAME [--state DIR]',
    examples: `  inferd token create --state ~/.inferd -n default --role admin --name bootstrap
  TOKEN=$(inferd token create -n team-a --role predictor --ttl 30d | awk '{print $NF}')
  curl -H "Authorization: Bearer $TOKEN" localhost:8080/v1/models/sklearn-iris:predict -d @iris-input.json`,
  },
  crds: {
    summary: 'Print the serving.kserve.io CustomResourceDefinitions for a Kubernetes cluster (docs/kubernetes.md)',
    usage: 'inferd crds [-o yaml|json]',
    examples: '  inferd crds | kubectl apply --server-side -f -',
  },
  run: {
    summary: 'Serve the TypeScript model a file exports (SDK), without a manifest',
    usage:
      'inferd run FILE.js [--model_name NAME] [--http_port 8080] [--grpc_port 8081] [--predictor_host H:P] [flags]',
    examples: `  inferd run ./my-model.js --model_name my-model --http_port 8080
  inferd run ./my-transformer.js --model_name mnist --predictor_host 127.0.0.1:8081 --protocol v2`,
  },
  operator: {
    summary: 'Reconcile InferenceServices on Kubernetes into Deployments, Services and HPAs',
    usage: 'inferd operator [--kubeconfig FILE] [--image IMAGE] [--controller-class inferd] [--claim-unannotated]',
  },
  gateway: {
    summary: 'Route inference traffic on Kubernetes (revisions from EndpointSlices)',
    usage: 'inferd gateway [--kubeconfig FILE] [--port 8080] [--domain example.com]',
  },
  'storage-initializer': {
    summary: "Download a model to a directory, as KServe's storage initializer (an init container)",
    usage: 'inferd storage-initializer SRC_URI DEST_DIR',
  },
  'model-server': {
    summary: "Run one model server on its own, with the flags of KServe's sklearnserver/xgbserver/lgbserver",
    usage: 'inferd model-server --model_name NAME --model_dir DIR [--http_port 8080] [--model_format sklearn] [flags]',
    examples: '  inferd model-server --model_name sklearn-iris --model_dir models/sklearn-iris --http_port 8080',
  },
};

/** `inferd --help`. */
export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 3;
  const list = Object.entries(COMMANDS)
    .map(([name, h]) => `  ${name.padEnd(width)}${h.summary}`)
    .join('\n');
  return `inferd: KServe-compatible model inference, one command on a laptop.

Usage:
  inferd COMMAND [flags]

Commands:
${list}

${GLOBAL_FLAGS_HELP}

Use "inferd COMMAND --help" for more about a command.
`;
}

/**
 * `inferd <command> --help`. `specs` are the flags the command parses besides the global ones (a client
 * command passes its own; serve's come from config.ts).
 */
export function commandHelp(command: string, specs?: FlagSpecs): string {
  const h = COMMANDS[command];
  if (!h) return mainHelp();
  if (command === 'serve') specs = SERVE_FLAGS;
  let text = `${h.summary}.\n\nUsage:\n  ${h.usage}\n`;
  if (h.examples) text += `\nExamples:\n${h.examples}\n`;
  const flags = specs ? formatFlags(specs) : '';
  if (flags) text += `\nFlags:\n${flags}\n`;
  if (command !== 'serve' && command !== 'model-server' && command !== 'run') text += `\n${GLOBAL_FLAGS_HELP}\n`;
  return text;
}
