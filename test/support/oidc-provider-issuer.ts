// A certified OpenID provider on loopback: the `oidc-provider` package (8.x, the last major for Node 20),
// issuing client-credentials access tokens as JWTs (resource indicators, accessTokenFormat jwt) signed RS256.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';

export interface ProviderIssuer {
  url: string;
  /** A client-credentials access token for `clientId` (its `sub`), with `groups` added as a claim. */
  token(clientId: string): Promise<string>;
  close(): Promise<void>;
}

export const CLIENT_SECRET = 'loopback-secret-0123456789abcdef0123456789abcdef';

export async function startProviderIssuer(opts: {
  audience: string;
  clients: string[];
  groups?: Record<string, string[]>;
}): Promise<ProviderIssuer> {
  // A name in a variable: oidc-provider ships no types, and @types/oidc-provider would be one more dependency.
  const name = 'oidc-provider';
  // biome-ignore lint/suspicious/noExplicitAny: untyped module
  const Provider = ((await import(name)) as any).default;
  let handler: http.RequestListener = (_req, res) => res.end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'op-1', alg: 'RS256', use: 'sig' };
  const provider = new Provider(url, {
    clients: opts.clients.map((id) => ({
      client_id: id,
      client_secret: CLIENT_SECRET,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: ['loopback-cookie-key-0123456789abcdef'] },
    ttl: { ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => `urn:${opts.audience}`,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: '',
          audience: opts.audience,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: (_ctx: unknown, token: { clientId?: string }) => ({
      groups: opts.groups?.[token.clientId ?? ''] ?? [],
    }),
  });
  handler = provider.callback();
  return {
    url,
    async token(clientId: string) {
      const res = await fetch(`${url}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${CLIENT_SECRET}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: `urn:${opts.audience}` }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { access_token?: string };
      if (!res.ok || !body.access_token) throw new Error(`token endpoint: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close() {
      server.closeAllConnections();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}
