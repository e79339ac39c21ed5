// Where a manifest document goes: its kind (checked the way the server checks it, so `AuthorizationPolicy`
// gets inferd's explanation) and its namespace (the document's own, else `-n`; a contradiction is refused).

import { checkKind } from '../api/kinds.js';
import type { KindInfo, Resource } from '../api/types.js';
import { InferdError, messageOf } from '../errors.js';
import type { CommandContext } from './command.js';
import type { ManifestDocument } from './manifest-sources.js';

/** The kind of a document, or kubectl's "resource mapping not found" error with inferd's reason. */
export function kindOrThrow(md: ManifestDocument, namespace: string): KindInfo {
  try {
    return checkKind(md.doc);
  } catch (err) {
    const { metadata } = md.doc;
    throw new InferdError(
      'INVALID_MANIFEST',
      `resource mapping not found for name: "${metadata?.name}" namespace: "${metadata?.namespace ?? namespace}" from "${md.source}": ${messageOf(err)}`,
    );
  }
}

/** The namespace a document goes to; refuses one that contradicts an explicit `-n` (kubectl's rule). */
export function namespaceOf(ctx: CommandContext, kind: KindInfo, doc: Resource): string | undefined {
  if (!kind.namespaced) return undefined;
  const own = doc.metadata?.namespace;
  const { namespace, namespaceExplicit } = ctx.settings;
  if (own && namespaceExplicit && own !== namespace) {
    throw new InferdError(
      'INVALID_INPUT',
      `the namespace from the provided object "${own}" does not match the namespace "${namespace}". You must pass '--namespace=${own}' to perform this operation.`,
    );
  }
  return own || namespace;
}
