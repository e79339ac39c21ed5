// The UBJSON decoder on hand-built byte strings: every value type, optimized containers, and the malformed
// inputs a hostile or truncated model file could hold.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeUbjson } from '../../../src/runtimes/xgboost/ubjson.js';

/** Bytes from a mix of ASCII strings (markers, key text) and numbers (raw bytes). */
function bytes(...parts: (string | number | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else if (typeof p === 'number') out.push(p);
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const f32 = (v: number) => {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, v);
  return [0, 1, 2, 3].map((i) => view.getUint8(i));
};

test('scalars: null, booleans, integers of every width (big-endian), floats, chars, strings', () => {
  assert.equal(decodeUbjson(bytes('Z')), null);
  assert.equal(decodeUbjson(bytes('T')), true);
  assert.equal(decodeUbjson(bytes('F')), false);
  assert.equal(decodeUbjson(bytes('i', 0xff)), -1);
  assert.equal(decodeUbjson(bytes('U', 0xff)), 255);
  assert.equal(decodeUbjson(bytes('I', 0x01, 0x00)), 256);
  assert.equal(decodeUbjson(bytes('l', be32(-2))), -2);
  assert.equal(decodeUbjson(bytes('L', [0, 0, 0, 1, 0, 0, 0, 0])), 2 ** 32);
  assert.equal(decodeUbjson(bytes('d', f32(0.5))), 0.5);
  assert.equal(decodeUbjson(bytes('D', [0x3f, 0xf8, 0, 0, 0, 0, 0, 0])), 1.5);
  assert.equal(decodeUbjson(bytes('C', 'x')), 'x');
  assert.equal(decodeUbjson(bytes('S', 'i', 3, 'abc')), 'abc');
  assert.equal(decodeUbjson(bytes('S', 'i', 2, [0xc3, 0xa9])), 'é');
  assert.equal(decodeUbjson(bytes('H', 'i', 4, '1e-3')), 0.001);
});

test('objects (keys without an S marker, as xgboost writes them), arrays, no-ops', () => {
  const doc = decodeUbjson(
    bytes('{', 'L', [0, 0, 0, 0, 0, 0, 0, 1], 'a', '[', 'i', 1, 'N', 'S', 'i', 1, 'b', ']', 'i', 1, 'c', 'T', '}'),
  );
  assert.deepEqual({ ...(doc as object) }, { a: [1, 'b'], c: true });
  assert.equal(Object.getPrototypeOf(doc), null, 'keys such as __proto__ stay data');
  const proto = decodeUbjson(bytes('{', 'i', 9, '__proto__', 'i', 7, '}')) as Record<string, unknown>;
  assert.equal(proto.__proto__, 7);
});

test('optimized containers: typed numeric arrays come back as typed arrays', () => {
  const floats = decodeUbjson(bytes('[', '$', 'd', '#', 'i', 2, f32(1.5), f32(-2)));
  assert.ok(floats instanceof Float32Array);
  assert.deepEqual(Array.from(floats), [1.5, -2]);
  const ints = decodeUbjson(bytes('[', '$', 'l', '#', 'i', 2, be32(7), be32(-1)));
  assert.ok(ints instanceof Int32Array);
  assert.deepEqual(Array.from(ints), [7, -1]);
  const bytesArr = decodeUbjson(bytes('[', '$', 'U', '#', 'i', 3, 1, 0, 1));
  assert.ok(bytesArr instanceof Uint8Array);
  assert.deepEqual(Array.from(bytesArr), [1, 0, 1]);
  const longs = decodeUbjson(bytes('[', '$', 'L', '#', 'i', 1, [0, 0, 0, 0, 0, 0, 1, 0]));
  assert.deepEqual(Array.from(longs as Float64Array), [256]);
  assert.deepEqual(decodeUbjson(bytes('[', '#', 'i', 2, 'T', 'F')), [true, false]);
  const counted = decodeUbjson(bytes('{', '#', 'i', 1, 'i', 1, 'k', 'Z')) as Record<string, unknown>;
  assert.equal(counted.k, null);
  const typedObj = decodeUbjson(bytes('{', '$', 'i', '#', 'i', 2, 'i', 1, 'a', 5, 'i', 1, 'b', 6)) as Record<
    string,
    unknown
  >;
  assert.deepEqual({ ...typedObj }, { a: 5, b: 6 });
});

test('BAD CALL - malformed UBJSON is MODEL_LOAD_FAILED naming the byte offset', () => {
  const cases: [Uint8Array, RegExp][] = [
    [bytes('Q'), /byte 0: unknown type marker 'Q'/],
    [bytes('l', 0, 0), /needs 4 more byte\(s\)/],
    [bytes('S', 'i', 5, 'ab'), /needs 5 more byte/],
    [bytes('S', 'i', -1), /invalid length -1/],
    [bytes('[', 'i', 1), /needs 1 more byte/],
    [bytes('[', '$', 'd', 'i', 1), /typed container must have a count/],
    [bytes('[', '$', 'd', '#', 'l', be32(0x7fffffff)), /needs \d+ more byte/],
    [bytes('[', '#', 'l', be32(0x7fffffff)), /longer than the data/],
    [bytes('T', 'T'), /1 byte\(s\) after the end/],
    [bytes('S', 'i', 1, 0xff), /not valid UTF-8/],
    [bytes('L', [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /does not fit a JavaScript number/],
    [bytes(...Array(300).fill('[')), /nesting deeper than 256/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => decodeUbjson(input), { code: 'MODEL_LOAD_FAILED', message }, String(message));
  }
});

test('BAD CALL - typed containers of a type that takes no bytes cannot hold more elements than the data has bytes', () => {
  // `[$Z#l<100,000,000>`: 9 bytes that asked for 100 million nulls (13 s and ~2 GB before the allowance).
  const started = Date.now();
  assert.throws(() => decodeUbjson(bytes('[', '$', 'Z', '#', 'l', be32(100_000_000))), {
    code: 'MODEL_LOAD_FAILED',
    message: /byte 0: 100000000 elements of a type that takes no bytes is more than the data holds/,
  });
  // Many small ones share one allowance: an array of 2,000 arrays of 1,000 `true`s each (~18 KB of data).
  const inner = bytes('[', '$', 'T', '#', 'I', 0x03, 0xe8);
  const many = bytes('[', '$', '[', '#', 'I', 0x07, 0xd0, ...Array.from({ length: 2000 }, () => [...inner]));
  assert.throws(() => decodeUbjson(many), { code: 'MODEL_LOAD_FAILED', message: /type that takes no bytes/ });
  assert.ok(Date.now() - started < 5_000, 'refused without building the elements');
  // Within the allowance they decode as before.
  assert.deepEqual(decodeUbjson(bytes('[', '$', 'Z', '#', 'i', 3)), [null, null, null]);
  assert.deepEqual(decodeUbjson(bytes('[', '$', 'F', '#', 'i', 2)), [false, false]);
});
