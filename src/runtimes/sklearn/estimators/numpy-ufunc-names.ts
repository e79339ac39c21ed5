// The numpy ufuncs a FunctionTransformer may name, as the unpickler's allowlist sees them. Kept apart from
// function-transformer.ts (which implements them) so that the allowlist, checked for every model file, does not
// import the transformer's code: builders load on demand (registry.ts).

/** The ufuncs function-transformer.ts implements (its table is typed by this list). */
export const UFUNC_NAMES = [
  'log1p',
  'expm1',
  'exp',
  'exp2',
  'log',
  'log2',
  'log10',
  'sqrt',
  'cbrt',
  'square',
  'absolute',
  'fabs',
  'negative',
  'reciprocal',
  'sin',
  'cos',
  'tan',
  'arcsin',
  'arccos',
  'arctan',
  'sinh',
  'cosh',
  'tanh',
  'arcsinh',
  'arctanh',
  'floor',
  'ceil',
  'trunc',
  'sign',
] as const;

export type UfuncName = (typeof UFUNC_NAMES)[number];

/** The module paths numpy pickles a ufunc under (its __module__ differs by version). */
const UFUNC_MODULES = ['numpy', 'numpy.core._multiarray_umath', 'numpy._core._multiarray_umath', 'numpy.core.umath'];

/** Every global name under which an allowlisted ufunc may appear in a pickle. */
export const NUMPY_UFUNC_GLOBALS: ReadonlySet<string> = new Set(
  UFUNC_MODULES.flatMap((module) => UFUNC_NAMES.map((name) => `${module}.${name}`)),
);
