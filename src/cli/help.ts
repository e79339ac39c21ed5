// Help text for `inferd --help` and `inferd <command> --help`. Kept in one place so main.ts can list
// every command without loading any of them.

export interface CommandHelp {
  summary: string;
  usage: string;
  examples?: string;
  flags?: string;
}

export const GLOBAL_FLAGS_HELP = `Global flags:
  -s, --server URL            the inferd control API (default: $INFERD_SERVER, else the current context of
                              ~/.inferd/config, else http://127.0.0.1:8080)
  -n, --namespace NAME        namespace (default "default")
  -A, --all-namespaces        list across all namespaces
  -o, --output FORMAT         yaml | json | wide | name | jsonpath=TEMPLATE
      --token TOKEN           bearer token for the control API (default: $INFERD_TOKEN, else the context's)
      --context NAME          use this context of ~/.inferd/config
  -h, --help                  help for a command`;

export const COMMANDS: Record<string, CommandHelp> = {
  serve: {
    summary: 'Run the inferd server: gateway, controllers and control API on one port',
    usage: 'inferd serve [--port 8080] [--state DIR] [--domain example.com]',
  },
  apply: {
    summary: 'Create or update resources from YAML/JSON manifests',
    usage: 'inferd apply -f FILENAME [-f FILENAME...] [-n NAMESPACE]',
    flags: `  -f, --filename PATH         a file, a directory (its .yaml/.yml/.json files) or - for stdin; repeatable
  -o, --output name           print only kind/name`,
    examples: `  inferd apply -f sklearn.yaml
  cat sklearn.yaml | inferd apply -n kserve-test -f -`,
  },
  get: {
    summary: 'Display one or many resources',
    usage: 'inferd get TYPE[,TYPE...] [NAME...] | TYPE/NAME... [-o yaml|json|wide|name] [-w]',
    flags: `  -l, --selector SELECTOR     label selector, e.g. app=iris
      --field-selector SEL    field selector, passed to the server
  -w, --watch                 after listing, watch for changes
      --show-secrets          print Secret values instead of ***
      --no-headers            omit the header row`,
    examples: `  inferd get isvc
  inferd get inferenceservices -A
  inferd get isvc sklearn-iris -o yaml
  inferd get isvc sklearn-iris -o jsonpath='{.status.url}'`,
  },
  describe: {
    summary: 'Show details of a resource, with its status and events',
    usage: 'inferd describe TYPE NAME... | TYPE/NAME...',
    flags: '      --show-secrets          print Secret values instead of their sizes',
    examples: '  inferd describe isvc sklearn-iris',
  },
  delete: {
    summary: 'Delete resources by name or by manifest',
    usage: 'inferd delete TYPE NAME... | TYPE/NAME... | -f FILENAME',
    flags: `  -f, --filename PATH         delete what the manifests name (repeatable; - for stdin)
      --all                   delete every object of TYPE in the namespace
      --ignore-not-found      treat "not found" as success`,
    examples: `  inferd delete isvc sklearn-iris
  inferd delete -f sklearn.yaml`,
  },
  wait: {
    summary: 'Wait for a condition on resources',
    usage: 'inferd wait TYPE/NAME... | TYPE NAME... --for=condition=COND[=VALUE] | --for=delete [--timeout=30s]',
    flags: `      --for CONDITION         condition=Ready (or condition=Ready=False), or delete
      --timeout DURATION      give up after this long (30s, 2m, 1h; default 30s; negative: a week)`,
    examples: '  inferd wait --for=condition=Ready isvc/sklearn-iris --timeout=2m',
  },
  logs: {
    summary: "Print the logs of an InferenceService's replicas",
    usage: 'inferd logs NAME | isvc/NAME [-f] [--tail N] [-c COMPONENT]',
    flags: `  -f, --follow                keep streaming new lines
      --tail N                only the last N lines (default: all)
  -c, --container NAME        predictor (default), transformer or explainer`,
    examples: '  inferd logs sklearn-iris -f --tail 20',
  },
  version: {
    summary: 'Print the client and server versions',
    usage: 'inferd version [--client]',
  },
  kubeconfig: {
    summary: 'Print a kubeconfig context for this inferd server (or merge it into a file), for kubectl and KServe SDK',
    usage: 'inferd kubeconfig [--server URL] [--token TOKEN] [-n NAMESPACE] [--name inferd] [--write FILE]',
    flags: `      --write FILE            merge the context into FILE (e.g. ~/.kube/config) and make it current
      --name NAME             the cluster, user and context name (default "inferd")`,
    examples: `  inferd kubeconfig --write ~/.kube/config && kubectl get isvc -A
  inferd kubeconfig --server http://127.0.0.1:8080 > inferd.kubeconfig`,
  },
  token: {
    summary: 'Create, list and revoke API tokens (Authorization: Bearer) for inferd serve --auth',
    usage:
      'inferd token create -n NAMESPACE --role viewer|predictor|editor|admin [--ttl 30d] [--name NAME] [--state DIR]\n  inferd token list [-n NAMESPACE | -A] [--state DIR]\n  inferd token revoke NAME [--state DIR]',
    flags: `      --role ROLE             viewer (read, no Secrets), predictor (call models), editor (read, write, call)
                              or admin (everything, every namespace, tokens)
      --ttl D                 lifetime: 30d, 12h, 90m (default: no expiry)
      --name NAME             the token's name (default token-XXXXXXXX)
      --state DIR             write the server's token store in DIR directly (bootstrap; no token needed);
                              without it the command calls --server with an admin token`,
    examples: `  inferd token create --state ~/.inferd -n default --role admin --name bootstrap
  TOKEN=$(inferd token create -n team-a --role predictor --ttl 30d | awk '{print $NF}')
  curl -H "Authorization: Bearer $TOKEN" localhost:8080/v1/models/sklearn-iris:predict -d @iris-input.json`,
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

/** `inferd <command> --help`. */
export function commandHelp(command: string): string {
  const h = COMMANDS[command];
  if (!h) return mainHelp();
  let text = `${h.summary}.\n\nUsage:\n  ${h.usage}\n`;
  if (h.examples) text += `\nExamples:\n${h.examples}\n`;
  if (h.flags) text += `\nFlags:\n${h.flags}\n`;
  if (command !== 'serve' && command !== 'model-server') text += `\n${GLOBAL_FLAGS_HELP}\n`;
  return text;
}
