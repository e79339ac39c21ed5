// API token text and its digest. A token is `inferd_` + 43 base64url characters (256 random bits). It is
// stored only as its SHA-256 digest: with 256 bits of entropy no guessing attack gets anywhere near a
// preimage, so a slow password KDF (bcrypt, scrypt) would add cost per request and no safety.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'inferd_';
const TOKEN_RE = /^inferd_[A-Za-z0-9_-]{43}$/;

/** A new random token (shown once to its creator, never stored). */
export function newTokenText(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Whether `text` has the shape of an inferd API token (other verifiers, OIDC, take the rest). */
export function looksLikeToken(text: string): boolean {
  return TOKEN_RE.test(text);
}

/** The stored form: hex SHA-256 of the whole token text. */
export function tokenDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests of equal length (the lookup found a row; confirm it). */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
