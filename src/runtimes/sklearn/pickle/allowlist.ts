// The only names a pickle may refer to. Python's unpickler imports whatever GLOBAL names and calls it, which is
// how a model file runs `os.system`; ours looks the name up here and gets back an inert stand-in with behaviour
// we wrote, or refuses the file. Names are matched exactly: no prefixes, no dotted attribute walks.

import { InferdError } from '../../../errors.js';
import { bytesOf, checkShape, decodeArray, decodeScalar, NdArray } from './ndarray.js';
import { DType } from './numpy-dtype.js';
import { corrupt, OpaqueObject, PyGlobal, PyObject, PySlice, PyStateObject } from './py-values.js';

export const NUMPY_ARRAY_WRAPPER = 'joblib.numpy_pickle.NumpyArrayWrapper';
const NDARRAY = 'numpy.ndarray';
const OBJECT_NAMES = new Set(['builtins.object', '__builtin__.object']);

export interface AllowlistOptions {
  /** Classes rebuilt as inert attribute bags (PyObject), e.g. `sklearn.svm._classes.SVC`. */
  readonly objectClasses: ReadonlySet<string>;
  /**
   * Classes we recognise but cannot serve (e.g. a scikit-learn estimator without a native implementation). They
   * are stood in for and recorded, and unpickling goes on, so that an unsafe name later in the file is still
   * found and reported first.
   */
  readonly isRecognisedUnsupported?: (qualifiedName: string) => boolean;
  /** Classes whose BUILD state is not a dict (Cython types such as KDTree): rebuilt as PyStateObject. */
  readonly stateClasses?: ReadonlySet<string>;
  /**
   * Functions that only construct an instance of the class passed to them (Cython's `newObj(cls)` helpers in
   * sklearn's KDTree/BallTree/DistanceMetric pickles).
   */
  readonly constructorFunctions?: ReadonlySet<string>;
  /** Names stood in for by a behaviour-less reference (numpy ufuncs named by a FunctionTransformer, numpy types). */
  readonly inertGlobals?: ReadonlySet<string>;
  /**
   * Harmless names whose objects a prediction never needs (optimizer state, Cython loss objects, Bunch): an inert
   * stand-in that is neither reported as unsupported nor read.
   */
  readonly isIgnored?: (qualifiedName: string) => boolean;
}

type Behaviour = ConstructorParameters<typeof PyGlobal>[1];

function numpyBehaviours(): Record<string, Behaviour> {
  const reconstruct: Behaviour = {
    call: ([cls]) => {
      if (!(cls instanceof PyGlobal) || cls.qualifiedName !== NDARRAY)
        throw corrupt('only plain numpy arrays are supported');
      return NdArray.pending();
    },
  };
  const scalar: Behaviour = {
    call: ([dtype, raw]) => {
      if (!(dtype instanceof DType)) throw corrupt('a numpy scalar has no dtype');
      return decodeScalar(dtype, raw);
    },
  };
  // numpy >= 1.16 with pickle protocol 5: _frombuffer(buffer, dtype, shape, order).
  const fromBuffer: Behaviour = {
    call: ([buffer, dtype, shape, order]) => {
      if (!(dtype instanceof DType)) throw corrupt('a numpy buffer has no dtype');
      return decodeArray(bytesOf(buffer), dtype, checkShape(shape), order === 'F' ? 'F' : 'C');
    },
  };
  const out: Record<string, Behaviour> = {
    [NDARRAY]: {},
    'numpy.dtype': {
      call: ([typestr]) => {
        if (typeof typestr !== 'string') throw corrupt('a numpy dtype has no type string');
        return new DType(typestr);
      },
    },
  };
  // A fitted estimator's RandomState (GradientBoosting, MLP): only used to fit, so an inert stand-in.
  const randomState: Behaviour = { call: () => new OpaqueObject('numpy.random.RandomState') };
  for (const ctor of ['__randomstate_ctor', '__bit_generator_ctor', '__generator_ctor']) {
    out[`numpy.random._pickle.${ctor}`] = randomState;
  }
  for (const core of ['numpy.core', 'numpy._core']) {
    out[`${core}.multiarray._reconstruct`] = reconstruct;
    out[`${core}.multiarray.scalar`] = scalar;
    out[`${core}.numeric._frombuffer`] = fromBuffer;
  }
  return out;
}

function pythonBehaviours(): Record<string, Behaviour> {
  // Protocol 2 pickles bytes as _codecs.encode(latin1_text, 'latin1').
  const encode: Behaviour = {
    call: ([text, encoding]) => {
      if (typeof text !== 'string') throw corrupt('_codecs.encode expects a str');
      if (encoding === 'latin1' || encoding === 'latin-1') return Buffer.from(text, 'latin1');
      if (encoding === 'utf-8' || encoding === 'utf8') return Buffer.from(text, 'utf8');
      throw corrupt(`_codecs.encode with encoding ${JSON.stringify(encoding)} is not supported`);
    },
  };
  // Protocols 0/1 rebuild plain objects with copyreg._reconstructor(cls, object, None).
  const reconstructor: Behaviour = {
    call: ([cls, base, state]) => {
      if (!(cls instanceof PyGlobal) || !(base instanceof PyGlobal) || !OBJECT_NAMES.has(base.qualifiedName)) {
        throw corrupt('copyreg._reconstructor is only supported for plain objects');
      }
      if (state !== null) throw corrupt('copyreg._reconstructor with a base state is not supported');
      return cls.instantiate([]);
    },
  };
  const makeSet: Behaviour = { call: ([items]) => new Set(Array.isArray(items) ? items : []) };
  const bytesLike: Behaviour = {
    call: ([source, encoding]) => (source === undefined ? new Uint8Array(0) : encode.call!([source, encoding])),
  };
  const slice: Behaviour = {
    call: ([start, stop, step]) => {
      const index = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);
      return new PySlice(index(start), index(stop), index(step));
    },
  };
  const out: Record<string, Behaviour> = {
    '_codecs.encode': encode,
    'copyreg._reconstructor': reconstructor,
    'copy_reg._reconstructor': reconstructor,
  };
  // Protocol 2 writes Python 3's builtins under their Python 2 module name (pickle's fix_imports).
  for (const module of ['builtins', '__builtin__']) {
    out[`${module}.set`] = makeSet;
    out[`${module}.frozenset`] = makeSet;
    out[`${module}.bytes`] = bytesLike; // empty bytes in protocol 2: bytes()
    out[`${module}.bytearray`] = bytesLike;
    out[`${module}.slice`] = slice;
  }
  for (const name of OBJECT_NAMES) out[name] = {};
  return out;
}

// A Map, not an object literal: a name from the file must never reach Object.prototype.
const FIXED_BEHAVIOURS: ReadonlyMap<string, Behaviour> = new Map(
  Object.entries({
    ...numpyBehaviours(),
    ...pythonBehaviours(),
    [NUMPY_ARRAY_WRAPPER]: { instantiate: () => new PyObject(NUMPY_ARRAY_WRAPPER) },
  }),
);

const DOTTED_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Resolves GLOBAL names for one unpickling run, and remembers the recognised-but-unsupported ones it met. */
export class GlobalResolver {
  readonly unsupported: string[] = [];
  readonly #options: AllowlistOptions;
  readonly #cache = new Map<string, PyGlobal>();

  constructor(options: AllowlistOptions) {
    this.#options = options;
  }

  resolve(module: string, name: string): PyGlobal {
    const qualifiedName = `${module}.${name}`;
    const cached = this.#cache.get(qualifiedName);
    if (cached) return cached;
    const resolved = this.#lookup(module, name, qualifiedName);
    this.#cache.set(qualifiedName, resolved);
    return resolved;
  }

  #lookup(module: string, name: string, qualifiedName: string): PyGlobal {
    // A dotted `name` is an attribute walk in Python (pickle protocol 4): never allowed.
    if (!DOTTED_NAME.test(module) || !DOTTED_NAME.test(name) || name.includes('.')) throw unsafe(qualifiedName);
    const fixed = FIXED_BEHAVIOURS.get(qualifiedName);
    if (fixed) return new PyGlobal(qualifiedName, fixed);
    const options = this.#options;
    if (options.objectClasses.has(qualifiedName)) return inertClass(qualifiedName);
    if (options.stateClasses?.has(qualifiedName)) {
      const make = () => new PyStateObject(qualifiedName);
      return new PyGlobal(qualifiedName, { call: make, instantiate: make });
    }
    if (options.constructorFunctions?.has(qualifiedName)) {
      return new PyGlobal(qualifiedName, {
        call: ([cls]) => {
          if (!(cls instanceof PyGlobal)) throw corrupt(`${qualifiedName} expects a class`);
          return cls.instantiate([]);
        },
      });
    }
    if (options.inertGlobals?.has(qualifiedName)) return new PyGlobal(qualifiedName);
    if (options.isIgnored?.(qualifiedName)) {
      const make = () => new OpaqueObject(qualifiedName);
      return new PyGlobal(qualifiedName, { call: make, instantiate: make });
    }
    if (module.startsWith('joblib.numpy_pickle_compat')) {
      throw new InferdError(
        'MODEL_LOAD_FAILED',
        'the model was saved by joblib < 0.10 (arrays in separate .npy files), which is not supported; re-save it with a current joblib',
        { reason: 'ModelLoadFailed' },
      );
    }
    if (options.isRecognisedUnsupported?.(qualifiedName)) {
      if (!this.unsupported.includes(qualifiedName)) this.unsupported.push(qualifiedName);
      const make = (args: readonly unknown[]) => new OpaqueObject(qualifiedName, args);
      return new PyGlobal(qualifiedName, { call: make, instantiate: make });
    }
    throw unsafe(qualifiedName);
  }
}

function inertClass(qualifiedName: string): PyGlobal {
  const make = (args: readonly unknown[]) => new PyObject(qualifiedName, args);
  return new PyGlobal(qualifiedName, { call: make, instantiate: make });
}

export function unsafe(qualifiedName: string): InferdError {
  const shown = DOTTED_NAME.test(qualifiedName) ? qualifiedName : JSON.stringify(qualifiedName).slice(1, -1);
  return new InferdError(
    'UNSAFE_MODEL',
    `refusing to load model: pickle references '${shown}', which is not an allowed class`,
    { reason: 'UnsafeModel', className: qualifiedName },
  );
}
