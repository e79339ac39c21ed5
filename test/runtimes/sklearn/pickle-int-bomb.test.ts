// Integer opcodes an attacker sizes (issue 10, M3): a 2 MB pickle holding one LONG4 took 11 minutes to decode
// (BigInt built byte by byte is quadratic). Decoding is linear now and integers past MAX_INT_BYTES are refused
// as UnsafeModel, naming the opcode and its offset.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferdError } from '../../../src/errors.js';
import { MAX_INT_BYTES, unpickle } from '../../../src/runtimes/sklearn/pickle/unpickler.js';

const opts = { objectClasses: new Set<string>() };

/** PROTO 2, LONG4 <n> <bytes>, STOP. */
function long4(bytes: Uint8Array): Uint8Array {
  const head = Buffer.from([0x80, 0x02, 0x8b, 0, 0, 0, 0]);
  head.writeInt32LE(bytes.length, 3);
  return Buffer.concat([head, bytes, Buffer.from('.')]);
}

function refusedAs(err: unknown, opcode: string, offset: number): boolean {
  assert.ok(err instanceof InferdError);
  assert.equal(err.code, 'UNSAFE_MODEL');
  assert.equal(err.details.reason, 'UnsafeModel');
  assert.match(err.message, new RegExp(`opcode ${opcode} at byte ${offset}\\b`));
  assert.match(err.message, /limit is \d+/);
  return true;
}

test('a 2 MB LONG4 integer is refused at once as UnsafeModel naming LONG4 and its offset', { timeout: 10_000 }, () => {
  const bomb = long4(new Uint8Array(2 * 1024 * 1024).fill(0x5a));
  const started = performance.now();
  assert.throws(
    () => unpickle(bomb, opts),
    (err) => refusedAs(err, 'LONG4', 2),
  );
  assert.ok(performance.now() - started < 2_000, `refusal took ${performance.now() - started} ms`);
});

test('text LONG and INT with 2 million digits are refused before parsing', { timeout: 10_000 }, () => {
  const digits = '7'.repeat(2_000_000);
  for (const [opcode, body] of [
    ['LONG', `L${digits}L\n.`],
    ['INT', `I${digits}\n.`],
  ] as const) {
    const started = performance.now();
    assert.throws(
      () => unpickle(Buffer.from(body, 'latin1'), opts),
      (err) => refusedAs(err, opcode, 0),
    );
    assert.ok(performance.now() - started < 2_000, `${opcode} refusal took ${performance.now() - started} ms`);
  }
});

test('integers up to the limit still decode exactly, positive and negative, in linear time', () => {
  const big = new Uint8Array(MAX_INT_BYTES);
  big[MAX_INT_BYTES - 2] = 0x01; // 2^(8*(MAX_INT_BYTES-2)), top byte 0: positive
  assert.equal(unpickle(long4(big), opts).value, 1n << BigInt(8 * (MAX_INT_BYTES - 2)));
  const minusOne = new Uint8Array(MAX_INT_BYTES).fill(0xff);
  assert.equal(unpickle(long4(minusOne), opts).value, -1);
  const negative = new Uint8Array(16).fill(0);
  negative[15] = 0x80; // -2^127
  assert.equal(unpickle(long4(negative), opts).value, -(1n << 127n));
  const mixed = Uint8Array.from([0x01, 0x02, 0x03, 0x84]); // 0x84030201 as int32: negative
  assert.equal(unpickle(long4(mixed), opts).value, 0x84030201 - 2 ** 32);
  assert.equal(unpickle(Buffer.from(`L-${'9'.repeat(40)}L\n.`, 'latin1'), opts).value, -(10n ** 40n - 1n));
});

test('a LONG4 one byte over the limit is refused', () => {
  assert.throws(
    () => unpickle(long4(new Uint8Array(MAX_INT_BYTES + 1)), opts),
    (err) => refusedAs(err, 'LONG4', 2),
  );
});
