// How Python values look after the restricted unpickler has rebuilt them. Nothing here can run code: a class
// reference is a name plus the fixed behaviour we wrote for it, and an instance is a bag of attributes.
//
//   Python            JavaScript
//   None/bool/float   null/boolean/number
//   int               number (bigint past 2^53)
//   str / bytes       string / Uint8Array
//   list / tuple      array / frozen array
//   dict / set        Map / Set
//   numpy arrays      NdArray (ndarray.ts), numpy dtypes: DType (numpy-dtype.ts)
//   other objects     PyObject (class name + attributes)

import { InferdError } from '../../../errors.js';

/** Objects that BUILD (Python's `__setstate__`) can update in place. */
export interface Buildable {
  setState(state: unknown): void;
}

export function isBuildable(value: unknown): value is Buildable {
  return typeof value === 'object' && value !== null && typeof (value as Buildable).setState === 'function';
}

/**
 * A class or function named by GLOBAL/STACK_GLOBAL that passed the allowlist. Its behaviour is ours: `call` is
 * what REDUCE does with it, `instantiate` what NEWOBJ does (Python's `cls.__new__(cls, *args)`).
 */
export class PyGlobal {
  constructor(
    readonly qualifiedName: string,
    readonly behaviour: {
      call?: (args: readonly unknown[]) => unknown;
      instantiate?: (args: readonly unknown[]) => unknown;
    } = {},
  ) {}

  call(args: readonly unknown[]): unknown {
    if (!this.behaviour.call) throw corrupt(`'${this.qualifiedName}' cannot be called while unpickling`);
    return this.behaviour.call(args);
  }

  instantiate(args: readonly unknown[]): unknown {
    if (!this.behaviour.instantiate) throw corrupt(`'${this.qualifiedName}' cannot be instantiated while unpickling`);
    return this.behaviour.instantiate(args);
  }
}

/** An instance of an allowlisted class: its constructor arguments and the attributes BUILD gave it. */
export class PyObject implements Buildable {
  readonly attributes = new Map<string, unknown>();

  constructor(
    readonly className: string,
    readonly args: readonly unknown[] = [],
  ) {}

  setState(state: unknown): void {
    // Python's default __setstate__: a dict, or a (dict, slots-dict) pair from __getstate__ with __slots__.
    const parts = Array.isArray(state) && state.length === 2 ? state : [state];
    for (const part of parts) {
      if (part === null) continue;
      if (!(part instanceof Map)) throw corrupt(`the state of a '${this.className}' is not a dict`);
      for (const [key, value] of part) {
        if (typeof key !== 'string') throw corrupt(`the state of a '${this.className}' has a non-string key`);
        this.attributes.set(key, value);
      }
    }
  }
}

/**
 * An instance of an allowlisted Cython class whose pickled state is not a dict (a KDTree's `__getstate__` tuple,
 * a DistanceMetric's): the state is kept as it came, for the estimator code to read.
 */
export class PyStateObject extends PyObject {
  state: unknown = null;

  override setState(state: unknown): void {
    this.state = state;
  }
}

/** Python's `slice(start, stop, step)` (ColumnTransformer's output_indices_). */
export class PySlice {
  constructor(
    readonly start: number | null,
    readonly stop: number | null,
    readonly step: number | null,
  ) {}
}

/**
 * A stand-in for a recognised but unsupported class. It accepts any state (Cython classes pickle tuples,
 * list and dict subclasses get APPENDS/SETITEMS) so that unpickling can go on scanning the rest of the file.
 */
export class OpaqueObject extends PyObject {
  override setState(_state: unknown): void {}
}

/** A Python tuple: a frozen array, so a stray APPEND onto it is detected as corruption. */
export function tuple(items: unknown[]): readonly unknown[] {
  return Object.freeze(items);
}

export function isTuple(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && Object.isFrozen(value);
}

/** A Python int as a JavaScript number when exact, else a bigint. */
export function pyInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export function corrupt(detail: string, cause?: unknown): InferdError {
  return new InferdError('MODEL_LOAD_FAILED', `model file is corrupt: ${detail}`, {
    reason: 'ModelLoadFailed',
    ...(cause === undefined ? {} : { cause }),
  });
}
