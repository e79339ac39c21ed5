// A loopback OpenID issuer built with jose: discovery and JWKS served by node:http, tokens signed with
// SignJWT. Keys can be rotated; the served JWKS is whatever `keys` holds at the time of the fetch.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, type KeyLike, SignJWT } from 'jose';

export interface IssuerKey {
  kid: string;
  alg: string;
  privateKey: KeyLike;
  publicJwk: JWK;
}

export async function newKey(kid: string, alg = 'RS256'): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export class LoopbackIssuer {
  readonly server: http.Server;
  url = '';
  keys: IssuerKey[] = [];
  jwksFetches = 0;

  private constructor() {
    this.server = http.createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            issuer: this.url,
            jwks_uri: `${this.url}/jwks`,
            id_token_signing_alg_values_supported: ['RS256'],
          }),
        );
      } else if (req.url === '/jwks') {
        this.jwksFetches++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
  }

  static async start(): Promise<LoopbackIssuer> {
    const issuer = new LoopbackIssuer();
    await new Promise<void>((ok) => issuer.server.listen(0, '127.0.0.1', ok));
    issuer.url = `http://127.0.0.1:${(issuer.server.address() as AddressInfo).port}`;
    issuer.keys = [await newKey('k1')];
    return issuer;
  }

  /** A token signed with `key` (the first key by default); claims override the defaults (iss, sub, 5 min exp). */
  async sign(claims: JWTPayload, opts: { key?: IssuerKey; audience?: string } = {}): Promise<string> {
    const key = opts.key ?? this.keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: this.url,
      sub: 'alice',
      aud: opts.audience ?? 'inferd',
      iat: now,
      exp: now + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .sign(key.privateKey);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }
}
