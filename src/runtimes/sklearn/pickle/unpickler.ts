// A restricted pickle VM: it reads pickle protocols 0-5 as CPython's Unpickler does, but it never imports or
// calls anything. GLOBAL names go through the allowlist (allowlist.ts) and come back as inert stand-ins; REDUCE,
// NEWOBJ and BUILD only ever run the fixed behaviour written for those stand-ins.
//
// It also understands joblib's container: after BUILD rebuilds a NumpyArrayWrapper, the array's raw bytes (or,
// for object arrays, a nested pickle) follow inline in the stream, exactly where joblib's NumpyUnpickler reads them.

import { InferdError, isInferdError, messageOf } from '../../../errors.js';
import { type AllowlistOptions, GlobalResolver, NUMPY_ARRAY_WRAPPER } from './allowlist.js';
import { ByteReader } from './byte-reader.js';
import { readWrappedArray } from './joblib-array.js';
import { HIGHEST_PROTOCOL, Op } from './opcodes.js';
import { corrupt, isBuildable, isTuple, OpaqueObject, PyGlobal, PyObject, pyInt, tuple } from './py-values.js';

/** Joblib nests a pickle inside the stream per object array; deeper nesting than this is not a real model. */
const MAX_NESTED_PICKLES = 8;

/** What an opcode that pushes nothing returns. */
const NO_VALUE = Symbol('no value');

export interface UnpickleResult {
  value: unknown;
  /** Recognised-but-unsupported class names met along the way (see AllowlistOptions). */
  unsupportedClasses: readonly string[];
}

/** Unpickles `bytes` (a plain pickle, or an uncompressed joblib stream) without running any of its code. */
export function unpickle(bytes: Uint8Array, options: AllowlistOptions): UnpickleResult {
  const resolver = new GlobalResolver(options);
  const value = new Unpickler(new ByteReader(bytes), resolver, 0).load();
  return { value, unsupportedClasses: resolver.unsupported };
}

class Unpickler {
  readonly #reader: ByteReader;
  readonly #resolver: GlobalResolver;
  readonly #depth: number;
  #stack: unknown[] = [];
  readonly #marks: unknown[][] = [];
  readonly #memo = new Map<number, unknown>();
  #opcodeAt = 0;

  constructor(reader: ByteReader, resolver: GlobalResolver, depth: number) {
    this.#reader = reader;
    this.#resolver = resolver;
    this.#depth = depth;
  }

  load(): unknown {
    try {
      for (;;) {
        this.#opcodeAt = this.#reader.position;
        const op = this.#reader.u8();
        if (op === Op.STOP) return this.#pop();
        const pushed = this.#step(op);
        if (pushed !== NO_VALUE) this.#stack.push(pushed);
      }
    } catch (err) {
      if (isInferdError(err)) throw err;
      // A TypeError/RangeError from malformed structure (e.g. SETITEMS onto a list) is corruption, not a bug.
      throw corrupt(`${messageOf(err)} (at byte ${this.#opcodeAt})`, err);
    }
  }

  /** Runs one opcode; returns the value it pushes, or NO_VALUE. */
  #step(op: number): unknown {
    const r = this.#reader;
    switch (op) {
      case Op.PROTO: {
        const version = r.u8();
        if (version > HIGHEST_PROTOCOL) throw corrupt(`pickle protocol ${version} is newer than ${HIGHEST_PROTOCOL}`);
        return NO_VALUE;
      }
      case Op.FRAME:
        // Frames only group opcodes for buffered reading; reading straight through is equivalent.
        r.need(r.u64(), 'a pickle frame');
        return NO_VALUE;
      case Op.MARK:
        this.#marks.push(this.#stack);
        this.#stack = [];
        return NO_VALUE;
      case Op.POP:
        if (this.#stack.length > 0) this.#stack.pop();
        else this.#popMark();
        return NO_VALUE;
      case Op.POP_MARK:
        this.#popMark();
        return NO_VALUE;
      case Op.DUP:
        return this.#top();
      case Op.NONE:
        return null;
      case Op.NEWTRUE:
        return true;
      case Op.NEWFALSE:
        return false;
      case Op.INT: {
        const text = r.line('INT');
        if (text === '00' || text === '01') return text === '01';
        return pyInt(parseBigInt(text, 'INT', this.#opcodeAt));
      }
      case Op.LONG:
        return pyInt(parseBigInt(r.line('LONG').replace(/L$/, ''), 'LONG', this.#opcodeAt));
      case Op.BININT:
        return r.i32();
      case Op.BININT1:
        return r.u8();
      case Op.BININT2:
        return r.u16();
      case Op.LONG1:
        return pyInt(littleEndianSigned(r.take(r.u8(), 'LONG1')));
      case Op.LONG4: {
        const length = r.i32();
        checkIntSize(length, 'LONG4', this.#opcodeAt);
        return pyInt(littleEndianSigned(r.take(length, 'LONG4')));
      }
      case Op.FLOAT:
        return parsePythonFloat(r.line('FLOAT'));
      case Op.BINFLOAT:
        return r.f64be();
      case Op.SHORT_BINSTRING:
        // Python 2 `str`: joblib/numpy pickles from Python 2 need it as latin-1 (numpy array data).
        return latin1(r.take(r.u8(), 'SHORT_BINSTRING'));
      case Op.BINSTRING:
        return latin1(r.take(r.i32(), 'BINSTRING'));
      case Op.STRING:
        throw corrupt('protocol 0 STRING opcodes are not supported; re-save the model with pickle protocol 2 or newer');
      case Op.UNICODE:
        return rawUnicodeEscape(r.line('UNICODE'));
      case Op.SHORT_BINUNICODE:
        return r.utf8(r.u8(), 'a string');
      case Op.BINUNICODE:
        return r.utf8(r.u32(), 'a string');
      case Op.BINUNICODE8:
        return r.utf8(r.u64(), 'a string');
      case Op.SHORT_BINBYTES:
        return r.take(r.u8(), 'bytes');
      case Op.BINBYTES:
        return r.take(r.u32(), 'bytes');
      case Op.BINBYTES8:
        return r.take(r.u64(), 'bytes');
      case Op.BYTEARRAY8:
        return new Uint8Array(r.take(r.u64(), 'a bytearray'));
      case Op.NEXT_BUFFER:
        throw corrupt('the pickle uses out-of-band buffers (protocol 5 buffer_callback), which a file cannot carry');
      case Op.READONLY_BUFFER:
        return NO_VALUE;
      case Op.EMPTY_TUPLE:
        return tuple([]);
      case Op.TUPLE:
        return tuple(this.#popMark());
      case Op.TUPLE1:
        return tuple(this.#popN(1));
      case Op.TUPLE2:
        return tuple(this.#popN(2));
      case Op.TUPLE3:
        return tuple(this.#popN(3));
      case Op.EMPTY_LIST:
        return [];
      case Op.LIST:
        return this.#popMark();
      case Op.APPEND: {
        const item = this.#pop();
        this.#list(this.#top()).push(item);
        return NO_VALUE;
      }
      case Op.APPENDS: {
        const items = this.#popMark();
        const list = this.#list(this.#top());
        for (const item of items) list.push(item); // not push(...items): no argument-count limit
        return NO_VALUE;
      }
      case Op.EMPTY_DICT:
        return new Map();
      case Op.DICT:
        return setPairs(new Map(), this.#popMark());
      case Op.SETITEM: {
        const [key, value] = this.#popN(2);
        this.#dict(this.#top()).set(key, value);
        return NO_VALUE;
      }
      case Op.SETITEMS: {
        const items = this.#popMark();
        setPairs(this.#dict(this.#top()), items);
        return NO_VALUE;
      }
      case Op.EMPTY_SET:
        return new Set();
      case Op.ADDITEMS: {
        const items = this.#popMark();
        const set = this.#top();
        if (set instanceof OpaqueObject) return NO_VALUE;
        if (!(set instanceof Set)) throw corrupt('ADDITEMS onto something that is not a set');
        for (const item of items) set.add(item);
        return NO_VALUE;
      }
      case Op.FROZENSET:
        return new Set(this.#popMark());
      case Op.GET:
        return this.#memoGet(Number(r.line('GET')));
      case Op.BINGET:
        return this.#memoGet(r.u8());
      case Op.LONG_BINGET:
        return this.#memoGet(r.u32());
      case Op.PUT:
        this.#memoPut(Number(r.line('PUT')));
        return NO_VALUE;
      case Op.BINPUT:
        this.#memoPut(r.u8());
        return NO_VALUE;
      case Op.LONG_BINPUT:
        this.#memoPut(r.u32());
        return NO_VALUE;
      case Op.MEMOIZE:
        this.#memoPut(this.#memo.size);
        return NO_VALUE;
      case Op.GLOBAL: {
        const module = r.line('GLOBAL');
        return this.#resolver.resolve(module, r.line('GLOBAL'));
      }
      case Op.STACK_GLOBAL: {
        const [module, name] = this.#popN(2);
        if (typeof module !== 'string' || typeof name !== 'string') throw corrupt('STACK_GLOBAL needs two strings');
        return this.#resolver.resolve(module, name);
      }
      case Op.INST: {
        const module = r.line('INST');
        const cls = this.#resolver.resolve(module, r.line('INST'));
        return cls.call(this.#popMark());
      }
      case Op.OBJ: {
        const [cls, ...args] = this.#popMark();
        return callable(cls).call(args);
      }
      case Op.REDUCE: {
        const args = this.#pop();
        if (!isTuple(args)) throw corrupt('REDUCE arguments are not a tuple');
        return callable(this.#pop()).call(args);
      }
      case Op.NEWOBJ: {
        const [cls, args] = this.#popN(2);
        if (!isTuple(args)) throw corrupt('NEWOBJ arguments are not a tuple');
        return callable(cls).instantiate(args);
      }
      case Op.NEWOBJ_EX: {
        const [cls, args, kwargs] = this.#popN(3);
        if (!isTuple(args) || !(kwargs instanceof Map) || kwargs.size > 0) {
          throw corrupt('NEWOBJ_EX with keyword arguments is not supported');
        }
        return callable(cls).instantiate(args);
      }
      case Op.BUILD:
        this.#build();
        return NO_VALUE;
      case Op.PERSID:
      case Op.BINPERSID:
        throw corrupt('the pickle uses persistent IDs, which need the code that wrote it');
      case Op.EXT1:
      case Op.EXT2:
      case Op.EXT4:
        throw corrupt('the pickle uses copyreg extension codes, which are not supported');
      default:
        throw corrupt(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${this.#opcodeAt}`);
    }
  }

  #build(): void {
    const state = this.#pop();
    const target = this.#top();
    if (!isBuildable(target)) throw corrupt('BUILD on an object that has no state');
    target.setState(state);
    if (target instanceof PyObject && target.className === NUMPY_ARRAY_WRAPPER) {
      this.#stack[this.#stack.length - 1] = readWrappedArray(target, this.#reader, () => this.#nested());
    }
  }

  /** joblib writes object arrays as a complete pickle of their own, with its own memo, inline in the stream. */
  #nested(): unknown {
    if (this.#depth >= MAX_NESTED_PICKLES) throw corrupt('too many nested pickles');
    return new Unpickler(this.#reader, this.#resolver, this.#depth + 1).load();
  }

  #pop(): unknown {
    if (this.#stack.length === 0) throw corrupt(`pickle stack underflow at byte ${this.#opcodeAt}`);
    return this.#stack.pop();
  }

  #popN(n: number): unknown[] {
    if (this.#stack.length < n) throw corrupt(`pickle stack underflow at byte ${this.#opcodeAt}`);
    return this.#stack.splice(this.#stack.length - n, n);
  }

  #top(): unknown {
    if (this.#stack.length === 0) throw corrupt(`pickle stack underflow at byte ${this.#opcodeAt}`);
    return this.#stack[this.#stack.length - 1];
  }

  #popMark(): unknown[] {
    const items = this.#stack;
    const previous = this.#marks.pop();
    if (!previous) throw corrupt(`pickle MARK missing at byte ${this.#opcodeAt}`);
    this.#stack = previous;
    return items;
  }

  #memoGet(index: number): unknown {
    if (!this.#memo.has(index)) throw corrupt(`pickle memo entry ${index} is missing`);
    return this.#memo.get(index);
  }

  #memoPut(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0) throw corrupt('invalid pickle memo index');
    this.#memo.set(index, this.#top());
  }

  #list(value: unknown): unknown[] {
    if (value instanceof OpaqueObject) return []; // a list subclass we only scan past
    if (!Array.isArray(value) || Object.isFrozen(value)) throw corrupt('APPEND onto something that is not a list');
    return value;
  }

  #dict(value: unknown): Map<unknown, unknown> {
    if (value instanceof OpaqueObject) return new Map(); // a dict subclass we only scan past
    if (!(value instanceof Map)) throw corrupt('SETITEM onto something that is not a dict');
    return value;
  }
}

function callable(value: unknown): PyGlobal {
  if (!(value instanceof PyGlobal)) throw corrupt('the pickle calls something that is not a class or function');
  return value;
}

function setPairs(dict: Map<unknown, unknown>, items: unknown[]): Map<unknown, unknown> {
  if (items.length % 2 !== 0) throw corrupt('odd number of items for a dict');
  for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  return dict;
}

/**
 * The largest Python int a model may hold, in bytes of two's complement (32,768 bits). Estimators store
 * small ints (PCG64's 128-bit state is the largest seen); a bigger one is an attack: building a BigInt of
 * megabytes costs minutes of CPU. Text INT/LONG get the decimal equivalent, like CPython's
 * int_max_str_digits (4300) guards int(str).
 */
export const MAX_INT_BYTES = 4096;
const MAX_INT_DIGITS = Math.ceil(MAX_INT_BYTES * 8 * Math.log10(2)) + 1;

function checkIntSize(size: number, opcode: string, offset: number, unit = 'bytes', max = MAX_INT_BYTES): void {
  if (size > max) {
    throw new InferdError(
      'UNSAFE_MODEL',
      `refusing to load model: pickle opcode ${opcode} at byte ${offset} holds an integer of ${size} ${unit} (the limit is ${max}); no real estimator stores one`,
      { reason: 'UnsafeModel' },
    );
  }
}

/**
 * Little-endian two's complement, as LONG1/LONG4 store Python ints. Linear time: the bytes become one hex
 * string parsed once, where shifting a BigInt byte by byte is quadratic in the length.
 */
function littleEndianSigned(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  const bigEndian = Buffer.from(bytes).reverse();
  const value = BigInt(`0x${bigEndian.toString('hex')}`);
  if (bytes[bytes.length - 1]! & 0x80) return value - (1n << BigInt(bytes.length * 8));
  return value;
}

function parseBigInt(text: string, opcode: string, offset: number): bigint {
  const trimmed = text.trim();
  // Checked before the regex and BigInt(): both are at least linear in a line an attacker chose.
  checkIntSize(trimmed.length, opcode, offset, 'digits', MAX_INT_DIGITS);
  if (!/^[+-]?\d+$/.test(trimmed)) throw corrupt(`bad integer literal ${JSON.stringify(text)}`);
  return BigInt(trimmed);
}

function parsePythonFloat(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'inf' || t === '+inf') return Number.POSITIVE_INFINITY;
  if (t === '-inf') return Number.NEGATIVE_INFINITY;
  if (t === 'nan' || t === '-nan' || t === '+nan') return Number.NaN;
  const value = Number(t);
  if (t === '' || Number.isNaN(value)) throw corrupt(`bad float literal ${JSON.stringify(text)}`);
  return value;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Python's raw-unicode-escape codec: latin-1 text with \uXXXX and \UXXXXXXXX escapes. */
function rawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u4?: string, u8?: string) => {
    const codePoint = Number.parseInt(u4 ?? u8 ?? '', 16);
    if (codePoint > 0x10ffff) throw corrupt('bad \\U escape in a protocol 0 string');
    return String.fromCodePoint(codePoint);
  });
}
