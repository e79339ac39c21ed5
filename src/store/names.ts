// Kubernetes object-name rules (apimachinery's IsDNS1123Subdomain / IsDNS1123Label) and `generateName`.
// Pure functions; the store applies them to every write so every backend sees the same names.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `name` is not a valid DNS-1123 subdomain (object names), or undefined when it is. */
export function subdomainProblem(name: string): string | undefined {
  if (name.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return (
      `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric ` +
      "characters, '-' or '.', and must start and end with an alphanumeric character"
    );
  }
  return undefined;
}

/** Why `name` is not a valid DNS-1123 label (namespace names), or undefined when it is. */
export function labelProblem(name: string): string | undefined {
  if (name.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(name)) {
    return (
      `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric ` +
      "characters or '-', and must start and end with an alphanumeric character"
    );
  }
  return undefined;
}

// Kubernetes' generateName alphabet leaves out vowels and look-alikes so names never spell words.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `prefix` plus 5 random characters, as the Kubernetes API server expands `metadata.generateName`. */
export function generateName(prefix: string, random: () => number = Math.random): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return `${prefix.slice(0, 253 - 5)}${suffix}`;
}
