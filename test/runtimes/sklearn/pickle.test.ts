// The restricted unpickler against pickles written by real Python/numpy/joblib (test/fixtures/sklearn/numpy,
// from scripts/fixtures/gen_sklearn.py): every dtype, byte order and memory order a model stores, in every
// container (joblib plain and zlib, pickle protocols 2-5).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pickleStreamOf } from '../../../src/runtimes/sklearn/pickle/joblib-container.js';
import { NdArray } from '../../../src/runtimes/sklearn/pickle/ndarray.js';
import { unpickle } from '../../../src/runtimes/sklearn/pickle/unpickler.js';
import { fixturesDir } from '../../helpers/paths.js';

const dir = join(fixturesDir, 'sklearn', 'numpy');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  Record<string, unknown>
>;
const files = [
  'values.joblib',
  'values.zlib.joblib',
  ...[0, 1, 2, 3, 4, 5].map((protocol) => `values.p${protocol}.pkl`),
];

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  return value;
}

async function load(file: string): Promise<Map<string, unknown>> {
  const { value } = unpickle(await pickleStreamOf(readFileSync(join(dir, file)), file), { objectClasses: new Set() });
  assert.ok(value instanceof Map);
  return value as Map<string, unknown>;
}

// pickleStreamOf is async (node:zlib loads on demand): unpickle every file before the tests are declared.
const loaded = new Map(await Promise.all(files.map(async (file) => [file, await load(file)] as const)));

for (const file of files) {
  describe(`unpickles numpy and Python values from ${file}`, () => {
    const values = loaded.get(file)!;
    for (const [key, want] of Object.entries(expected)) {
      test(key, () => {
        const got = values.get(key);
        if (want.ndarray) {
          assert.ok(got instanceof NdArray, `${key} is an NdArray`);
          assert.equal(got.dtype.str, want.dtype);
          assert.deepEqual(got.shape, want.shape);
          const data = Array.from(got.data as ArrayLike<unknown>, (v) =>
            typeof v === 'bigint' ? Number(v) : Buffer.isBuffer(v) ? v.toString() : v,
          );
          const wantData = (want.data as unknown[]).map((v) => (typeof v === 'boolean' ? Number(v) : v));
          assert.deepEqual(data, wantData);
        } else if ('scalar' in want) {
          assert.equal(got, want.scalar);
        } else if ('bytes' in want) {
          assert.deepEqual(plain(got), want.bytes);
        } else if ('bigint' in want) {
          assert.equal(got, BigInt(want.bigint as string));
        } else {
          assert.deepEqual(plain(got), want.value);
        }
      });
    }
  });
}
