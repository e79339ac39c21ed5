// Kubernetes name rules (k8s.io/apimachinery/pkg/util/validation/validation.go) and KServe's isvc name rule
// (pkg/apis/serving/v1beta1/inference_service_validation.go: IsvcNameFmt "[a-z]([-a-z0-9]*[a-z0-9])?").

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export type NameRule = 'dns1035Label' | 'dns1123Label' | 'dns1123Subdomain';

/** The rule's description as it appears after `must be a ...`. */
export const NAME_RULE_TEXT: Record<NameRule, string> = {
  dns1035Label:
    "DNS-1035 label: lower case alphanumerics or '-', starting with a letter, ending with an alphanumeric, at most 63 characters",
  dns1123Label:
    "DNS-1123 label: lower case alphanumerics or '-', starting and ending with an alphanumeric, at most 63 characters",
  dns1123Subdomain:
    "DNS-1123 subdomain: lower case alphanumerics, '-' or '.', starting and ending with an alphanumeric, at most 253 characters",
};

export function isDns1035Label(s: string): boolean {
  return s.length <= 63 && DNS1035_LABEL.test(s);
}

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

export function matchesNameRule(s: string, rule: NameRule): boolean {
  switch (rule) {
    case 'dns1035Label':
      return isDns1035Label(s);
    case 'dns1123Label':
      return isDns1123Label(s);
    case 'dns1123Subdomain':
      return isDns1123Subdomain(s);
  }
}

/** `must be a <rule>` message for a bad name, or undefined when it is fine. */
export function nameProblem(s: string, rule: NameRule): string | undefined {
  if (matchesNameRule(s, rule)) return undefined;
  return `${JSON.stringify(s)} must be a ${NAME_RULE_TEXT[rule]}`;
}

/** Label/annotation keys: `[prefix/]name`, prefix a DNS-1123 subdomain, name ≤ 63 (IsQualifiedName). */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length > 2) return `key ${JSON.stringify(key)} must have at most one '/'`;
  if (parts.length === 2 && !isDns1123Subdomain(parts[0]!)) {
    return `key ${JSON.stringify(key)}: the prefix must be a DNS-1123 subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME_PART.test(name)) {
    return `key ${JSON.stringify(key)} must be a qualified name: alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric, at most 63 characters (with an optional DNS subdomain prefix and '/')`;
  }
  return undefined;
}

/** Label values: empty, or ≤ 63 of alphanumerics, '-', '_', '.', starting and ending with an alphanumeric. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length <= 63 && LABEL_VALUE.test(value)) return undefined;
  return `${JSON.stringify(value)} must be a valid label value: at most 63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
}
