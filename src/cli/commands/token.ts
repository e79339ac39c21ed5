// `inferd token create|list|revoke`: API tokens (docs/auth.md). With `--state DIR` it writes the server's
// token store directly (bootstrap, like kubeadm: no token needed, safe while the server runs); otherwise it
// calls the server's tokens API with an admin token (--token, INFERD_TOKEN or the context's).

import { InferdError } from '../../errors.js';
import type { CommandContext } from '../command.js';
import { runCommand } from '../command.js';
import { boolFlag, type FlagSpecs, stringFlag, UsageError } from '../flags.js';
import type { CliIo } from '../io.js';

export const TOKEN_FLAGS = {
  role: {
    type: 'string',
    arg: 'ROLE',
    help: 'viewer (read, no Secrets), predictor (call models), editor (read, write, call)\nor admin (everything, every namespace, tokens)',
  },
  ttl: { type: 'string', arg: 'D', help: 'lifetime: 30d, 12h, 90m (default: no expiry)' },
  name: { type: 'string', arg: 'NAME', help: "the token's name (default token-XXXXXXXX)" },
  state: {
    type: 'string',
    arg: 'DIR',
    help: "write the server's token store in DIR directly (bootstrap; no token needed);\nwithout it the command calls --server with an admin token",
  },
} as const satisfies FlagSpecs;

const TOKENS_PATH = '/apis/auth.inferd.dev/v1/tokens';

interface TokenView {
  metadata: { name: string; namespace: string; creationTimestamp: string };
  spec: { role: string; expirationTimestamp?: string };
  status?: { token: string };
}

async function token(ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = ctx.args.positionals;
  const values = ctx.args.values;
  const stateDir = stringFlag(values, 'state');
  const local = stateDir ? await openLocal(stateDir) : undefined;
  try {
    if (sub === 'create') {
      if (rest.length > 0) throw new UsageError('token', `unexpected argument "${rest[0]}"`);
      const input = {
        name: stringFlag(values, 'name'),
        namespace: ctx.settings.namespace,
        role: stringFlag(values, 'role'),
        ttl: stringFlag(values, 'ttl'),
      };
      if (!input.role) throw new UsageError('token', '--role is required: viewer, predictor, editor or admin');
      let created: TokenView;
      if (local) {
        const out = local.create(input, ctx.now());
        if ('problems' in out) throw new InferdError('INVALID_INPUT', out.problems!.join('; '));
        created = { ...local.view(out.record), status: { token: out.token } };
      } else {
        created = await ctx.client.request<TokenView>('POST', TOKENS_PATH, {
          body: {
            apiVersion: 'auth.inferd.dev/v1',
            kind: 'Token',
            metadata: { name: input.name, namespace: input.namespace },
            spec: { role: input.role, ttl: input.ttl },
          },
        });
      }
      const m = created.metadata;
      const expires = created.spec.expirationTimestamp ? `expires ${created.spec.expirationTimestamp}` : 'no expiry';
      // The token is the last word: `TOKEN=$(inferd token create ... | awk '{print $NF}')`. It is never shown again.
      ctx.io.stdout.write(
        `token "${m.name}" created (role ${created.spec.role} in namespace ${m.namespace}, ${expires}); it is shown only once: ${created.status?.token}\n`,
      );
      return 0;
    }
    if (sub === 'list') {
      const all = boolFlag(values, 'all-namespaces');
      const items: TokenView[] = local
        ? local.list(all ? undefined : ctx.settings.namespace)
        : (
            await ctx.client.get<{ items: TokenView[] }>(
              TOKENS_PATH,
              all ? undefined : { namespace: ctx.settings.namespace },
            )
          ).items;
      if (ctx.args.values.output === 'json') {
        ctx.io.stdout.write(`${JSON.stringify({ items }, null, 2)}\n`);
        return 0;
      }
      if (items.length === 0) {
        ctx.io.stderr.write(all ? 'No tokens found.\n' : `No tokens found in ${ctx.settings.namespace} namespace.\n`);
        return 0;
      }
      const rows = [
        ['NAME', 'NAMESPACE', 'ROLE', 'EXPIRES', 'CREATED'],
        ...items.map((t) => [
          t.metadata.name,
          t.metadata.namespace,
          t.spec.role,
          t.spec.expirationTimestamp ?? '<never>',
          t.metadata.creationTimestamp,
        ]),
      ];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows)
        ctx.io.stdout.write(
          `${r
            .map((c, i) => c.padEnd(widths[i]! + 3))
            .join('')
            .trimEnd()}\n`,
        );
      return 0;
    }
    if (sub === 'revoke' || sub === 'delete') {
      if (rest.length === 0)
        throw new UsageError('token', 'token revoke needs the name of a token (see inferd token list)');
      for (const name of rest) {
        if (local) {
          if (!local.revoke(name)) throw new InferdError('RESOURCE_NOT_FOUND', `token "${name}" not found`);
        } else await ctx.client.request('DELETE', `${TOKENS_PATH}/${encodeURIComponent(name)}`);
        ctx.io.stdout.write(`token "${name}" revoked\n`);
      }
      return 0;
    }
    throw new UsageError(
      'token',
      sub ? `unknown subcommand "${sub}": expected create, list or revoke` : 'expected create, list or revoke',
    );
  } finally {
    local?.close();
  }
}

/** The token store in STATE, loaded only for --state (other commands never load SQLite). */
async function openLocal(stateDir: string) {
  const [{ TokenStore }, api] = await Promise.all([
    import('../../auth/token-store.js'),
    import('../../auth/tokens-api.js'),
  ]);
  const store = TokenStore.open(stateDir);
  return {
    create: (input: Parameters<typeof api.createToken>[1], now: number) => api.createToken(store, input, now),
    list: (namespace?: string) => store.list(namespace).map(api.tokenObject),
    view: api.tokenObject,
    revoke: (name: string) => store.revoke(name),
    close: () => store.close(),
  };
}

/** `inferd token`; returns the exit code. */
export function runToken(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand('token', argv, io, TOKEN_FLAGS, token);
}
