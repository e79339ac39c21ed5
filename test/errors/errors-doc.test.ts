// Every error code has a row in docs/errors.md with its statuses, and the docs name no code that does not exist.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERROR_TABLE, InferdError, toInferdError } from '../../src/errors.js';
import { repoRoot } from '../helpers/paths.js';

const doc = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');
const rows = new Map<string, { http: number; grpc: string }>();
for (const m of doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \| ([A-Z_]+) \|/gm)) {
  rows.set(m[1]!, { http: Number(m[2]), grpc: m[3]! });
}

test('every code in ERROR_TABLE is documented with the same statuses', () => {
  for (const [code, want] of Object.entries(ERROR_TABLE)) {
    assert.deepEqual(rows.get(code), { http: want.http, grpc: want.grpc }, `docs/errors.md row for ${code}`);
  }
});

test('docs/errors.md lists no code that does not exist', () => {
  for (const code of rows.keys()) assert.ok(code in ERROR_TABLE, `${code} is documented but not in src/errors.ts`);
});

test('InferdError carries code, statuses and details; unknown throwables become INTERNAL', () => {
  const e = new InferdError('INVALID_MANIFEST', 'bad', { path: 'spec.predictor' });
  assert.equal(e.httpStatus, 422);
  assert.equal(e.grpcStatus, 'INVALID_ARGUMENT');
  assert.equal(e.details.path, 'spec.predictor');
  const wrapped = toInferdError(new TypeError('boom'));
  assert.equal(wrapped.code, 'INTERNAL');
  assert.equal(wrapped.message, 'boom');
});
