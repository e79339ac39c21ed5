"""inferd's Python fallback worker: serves one scikit-learn model that the native TypeScript runtime does not
implement, for src/runtimes/python/ (see docs/runtimes.md, "Python fallback").

It is started as `python3 -I -B worker.py` and talks over stdin/stdout with a framed binary protocol; no pickle
ever crosses the pipe. Every frame, in both directions, is

    u32 little-endian  header length H
    u32 little-endian  body length B
    H bytes            header: a UTF-8 JSON object
    B bytes            body: the raw bytes of the tensors the header lists ({offset, length} into the body)

Numeric tensors are little-endian C-order arrays; BYTES tensors are, per element, a u32 little-endian length and
that many bytes (the V2 binary extension's layout). The worker says `hello` first, then answers each request
(`load`, `predict`, `exit`) in order, with the request's `id`.

The model file is read by a restricted unpickler, never by pickle.load or joblib.load: only classes from
scikit-learn, numpy and scipy modules (and a few builtins) may be named, only classes and a short list of
reconstruction functions may be called while loading, and joblib's array records are read here (joblib itself
unpickles object arrays with an unrestricted pickle.load). An audit hook refuses process, network and
file-writing operations while a model loads, as a second line of defence.
"""

import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import re
import signal
import struct
import sys
import types
import warnings
import zlib

PROTOCOL_VERSION = 1
MAX_HEADER_BYTES = 16 * 1024 * 1024  # 16 MiB
MAX_BODY_BYTES = 1024 * 1024 * 1024  # 1 GiB
# Models larger than this (before or after decompression) are refused, as the native runtime refuses them.
MAX_MODEL_BYTES = 1024 * 1024 * 1024  # 1 GiB
MAX_WARNINGS = 5

np = None  # imported in main(), after the pipes are set up, so an ImportError can be reported as a frame


class WorkerError(Exception):
    """An error with one of inferd's error codes (src/errors.ts), sent back as {code, message}."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def unsafe(qualified_name, why="which is not an allowed class"):
    return WorkerError(
        "UNSAFE_MODEL",
        "refusing to load model: pickle references '%s', %s" % (qualified_name, why),
    )


def corrupt(message):
    return WorkerError("MODEL_LOAD_FAILED", "the model file is corrupt or not a pickle: %s" % message)


# ---------------------------------------------------------------------------------------------------------------
# What a pickle may name. Modules first: a module is imported only when its name passes these rules, so naming a
# module whose import runs code (a __main__, a test suite, an example) is refused before anything is imported.

ALLOWED_MODULE_PREFIXES = (
    "sklearn",
    "numpy",  # only the exact module and the sub-packages below
    "numpy.core",
    "numpy._core",
    "numpy.random",
    "numpy.ma",
    "numpy.matrixlib",
    "numpy.dtypes",
    "scipy.sparse",
    "scipy.stats",
    "scipy.interpolate",
    "scipy.special",
    "scipy.spatial",
    "scipy.linalg",
    "scipy.optimize",
    "scipy._lib._util",
)
# Module path parts that are never imported: entry points, test suites, examples, build helpers, file and process
# helpers (sklearn.datasets downloads and writes files, joblib.Parallel runs callables in other processes).
DENIED_MODULE_PARTS = {
    "__main__",
    "conftest",
    "setup",
    "_build_utils",
    "_examples",
    "examples",
    "benchmarks",
    "_pyinstaller",
    "f2py",
    "distutils",
    "datasets",
    "externals",
    "io",
    "parallel",
    "_joblib",
    "_show_versions",
    "estimator_checks",
    "_mocking",
    "_pytesttester",
    "ctypeslib",
}
TEST_PART = re.compile(r"^_?test")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Names that are not in a module above but that pickles of fitted models use; exact matches only.
SAFE_BUILTINS = {
    "set",
    "frozenset",
    "slice",
    "bytearray",
    "bytes",
    "complex",
    "object",
    "tuple",
    "list",
    "dict",
    "int",
    "float",
    "str",
    "bool",
    "range",
}
EXTRA_CLASSES = {("collections", "OrderedDict")}
# Functions a pickle may call while loading: each only rebuilds a value (an array, a scalar, a dtype, a random
# state, bytes) from data in the file.
LOAD_FUNCTIONS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.random._pickle", "__randomstate_ctor"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__generator_ctor"),
    ("_codecs", "encode"),
    ("copyreg", "_reconstructor"),
}
# Cython's pickling helpers in scikit-learn: `__pyx_unpickle_<Type>` and `newObj(cls)` only rebuild an instance
# of a class defined in the same module.
CYTHON_HELPER = re.compile(r"^(__pyx_unpickle_\w+|newObj)$")
# Functions a fitted estimator may hold as a parameter (and call when predicting, e.g. FunctionTransformer's func):
# numpy and scipy.special ufuncs, a few pure numpy reductions, and scikit-learn's scoring and kernel functions.
# They may be named but never called while loading.
NUMPY_VALUE_FUNCTIONS = {
    "mean",
    "median",
    "sum",
    "prod",
    "amax",
    "amin",
    "max",
    "min",
    "std",
    "var",
    "average",
    "nanmean",
    "nanmedian",
    "nansum",
    "nanmax",
    "nanmin",
    "percentile",
    "quantile",
    "clip",
    "round",
    "around",
    "ptp",
    "argmax",
    "argmin",
    "nan_to_num",
}
SKLEARN_VALUE_FUNCTION_MODULES = {
    "sklearn.feature_selection._univariate_selection",
    "sklearn.feature_selection._mutual_info",
    "sklearn.metrics.pairwise",
    "sklearn.metrics._regression",
    "sklearn.metrics._classification",
}


def module_allowed(module):
    parts = module.split(".")
    if not all(IDENTIFIER.match(p) for p in parts):
        return False
    if any(p in DENIED_MODULE_PARTS or TEST_PART.match(p) for p in parts):
        return False
    if parts[0] == "sklearn":
        return True
    if module == "numpy":
        return True
    return any(module == p or module.startswith(p + ".") for p in ALLOWED_MODULE_PREFIXES[2:])


class ArrayRecord:
    """Stands in for joblib.numpy_pickle.NumpyArrayWrapper: its state says how to read the array that follows."""


class RestrictedUnpickler(pickle._Unpickler):
    """pickle's pure-Python unpickler with every way of reaching code narrowed to the rules above.

    find_class decides what a name may resolve to; REDUCE, INST, OBJ, NEWOBJ and NEWOBJ_EX may only call what
    find_class approved as callable (classes and LOAD_FUNCTIONS); BUILD never touches classes, functions or
    modules; extension codes and persistent ids are refused. BUILD also reads joblib's inline arrays.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, depth=0):
        super().__init__(file, fix_imports=True, encoding="ASCII", errors="strict")
        self._file = file
        self._depth = depth
        self._callables = set()

    # -- names -------------------------------------------------------------------------------------------------

    def find_class(self, module, name):
        qualified = "%s.%s" % (module, name)
        if not isinstance(module, str) or not isinstance(name, str) or not IDENTIFIER.match(name):
            # a dotted name is an attribute walk (protocol 4): never allowed
            raise unsafe(qualified.encode("unicode_escape").decode("ascii"))
        module, name = self._py3_name(module, name)
        qualified = "%s.%s" % (module, name)
        if module in ("builtins", "__builtin__"):
            if name in SAFE_BUILTINS:
                return self._callable(getattr(__import__("builtins"), name))
            raise unsafe(qualified)
        if (module, name) in EXTRA_CLASSES:
            return self._callable(getattr(__import__(module), name))
        if module == "joblib.numpy_pickle" and name == "NumpyArrayWrapper":
            return self._callable(ArrayRecord)
        if module.startswith("joblib.numpy_pickle_compat") or (module, name) == ("joblib.numpy_pickle", "NDArrayWrapper"):
            raise WorkerError(
                "MODEL_LOAD_FAILED",
                "the model was saved by joblib < 0.10 (arrays in separate .npy files), which is not supported; "
                "re-save it with a current joblib",
            )
        if (module, name) in LOAD_FUNCTIONS:
            return self._callable(self._import(module, name))
        if not module_allowed(module):
            raise unsafe(qualified)
        obj = self._import(module, name)
        if isinstance(obj, type):
            self._check_class(obj, qualified)
            return self._callable(obj)
        if isinstance(obj, np.ufunc):
            return obj  # a parameter value (FunctionTransformer(func=np.log1p)); not callable while loading
        if callable(obj) and CYTHON_HELPER.match(name) and module.startswith("sklearn."):
            return self._callable(obj)
        if callable(obj) and self._is_value_function(module, name, obj):
            return obj
        raise unsafe(qualified, "which is not an allowed class or function")

    @staticmethod
    def _py3_name(module, name):
        # Protocol 0-2 pickles written by Python 2 name builtins and copyreg by their old names.
        import _compat_pickle

        if (module, name) in _compat_pickle.NAME_MAPPING:
            return _compat_pickle.NAME_MAPPING[(module, name)]
        return _compat_pickle.IMPORT_MAPPING.get(module, module), name

    @staticmethod
    def _import(module, name):
        import importlib

        try:
            mod = importlib.import_module(module)
            return getattr(mod, name)
        except (ImportError, AttributeError) as err:
            raise WorkerError(
                "MODEL_LOAD_FAILED",
                "the model needs '%s.%s', which this Python's scikit-learn does not have (%s); re-save the model "
                "with scikit-learn %s, or point the fallback at a Python with the version it was saved with"
                % (module, name, err, sys.modules["sklearn"].__version__),
            ) from None

    @staticmethod
    def _check_class(cls, qualified):
        # A class re-exported from elsewhere (subprocess.Popen imported into a numpy module) is judged by where it
        # is defined; numpy.memmap creates and truncates files.
        defined_in = getattr(cls, "__module__", "") or ""
        if not module_allowed(defined_in):
            raise unsafe(qualified, "which is defined in '%s', not an allowed module" % defined_in)
        if issubclass(cls, np.memmap):
            raise unsafe(qualified, "which maps files into memory")

    @staticmethod
    def _is_value_function(module, name, obj):
        if module == "numpy" and name in NUMPY_VALUE_FUNCTIONS:
            return True
        return module in SKLEARN_VALUE_FUNCTION_MODULES and getattr(obj, "__module__", None) == module

    def _callable(self, obj):
        self._callables.add(id(obj))
        return obj

    def _check_call(self, func):
        if id(func) not in self._callables:
            what = getattr(func, "__qualname__", None) or type(func).__name__
            raise unsafe(str(what), "which may not be called while loading")

    # -- opcodes that call -------------------------------------------------------------------------------------

    def load_reduce(self):
        self._check_call(self.stack[-2])
        pickle._Unpickler.load_reduce(self)

    dispatch[pickle.REDUCE[0]] = load_reduce

    def _instantiate(self, klass, args):
        self._check_call(klass)
        pickle._Unpickler._instantiate(self, klass, args)

    def load_newobj(self):
        self._check_new(self.stack[-2])
        pickle._Unpickler.load_newobj(self)

    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        self._check_new(self.stack[-3])
        pickle._Unpickler.load_newobj_ex(self)

    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def _check_new(self, cls):
        if not isinstance(cls, type):
            raise corrupt("NEWOBJ on something that is not a class")
        self._check_call(cls)

    def get_extension(self, code):
        raise unsafe("extension code %d" % code, "and the copyreg extension registry is not used")

    def persistent_load(self, pid):
        raise corrupt("persistent ids are not supported")

    def load_build(self):
        inst = self.stack[-2]
        if isinstance(inst, (type, types.FunctionType, types.BuiltinFunctionType, types.ModuleType, np.ufunc)):
            raise unsafe(getattr(inst, "__qualname__", type(inst).__name__), "whose attributes a pickle may not set")
        pickle._Unpickler.load_build(self)
        if type(self.stack[-1]) is ArrayRecord:
            record = self.stack.pop()
            self.append(self._read_array(record.__dict__))

    dispatch[pickle.BUILD[0]] = load_build

    # -- joblib's inline arrays (joblib/numpy_pickle.py NumpyArrayWrapper.read_array, re-implemented) ----------

    def _read_array(self, state):
        dtype = state.get("dtype")
        shape = state.get("shape")
        order = state.get("order", "C")
        subclass = state.get("subclass", np.ndarray)
        if not isinstance(dtype, np.dtype) or not isinstance(shape, tuple):
            raise corrupt("a joblib array record has no dtype or shape")
        if subclass not in (np.ndarray, np.matrix):
            raise unsafe(getattr(subclass, "__qualname__", "?"), "which is not a plain numpy array type")
        shape = tuple(int(d) for d in shape)
        if any(d < 0 for d in shape):
            raise corrupt("negative array dimension")
        count = 1
        for d in shape:
            count *= d
        if dtype.hasobject:
            # joblib writes object arrays as a nested protocol-2 pickle; read it with the same rules.
            if self._depth > 0:
                raise corrupt("nested object arrays")
            array = RestrictedUnpickler(self._file, depth=self._depth + 1).load()
            if not isinstance(array, np.ndarray):
                raise corrupt("a joblib object array record holds no array")
        else:
            alignment = state.get("numpy_array_alignment_bytes")
            if alignment is not None:
                padding = self._read_exact(1)[0]
                self._read_exact(padding)
            nbytes = count * dtype.itemsize
            if nbytes > MAX_MODEL_BYTES:
                raise corrupt("an array of %d bytes" % nbytes)
            data = bytearray(nbytes)
            if self._file.readinto(data) != nbytes:
                raise corrupt("the file ends inside an array")
            array = np.frombuffer(data, dtype=dtype, count=count)
            array = array.reshape(shape[::-1]).transpose() if order == "F" else array.reshape(shape)
        if not array.dtype.isnative:
            array = array.byteswap().view(array.dtype.newbyteorder("="))
        return np.asmatrix(array) if subclass is np.matrix else array

    def _read_exact(self, n):
        data = self._file.read(n)
        if len(data) != n:
            raise corrupt("the file ends inside an array")
        return data


# ---------------------------------------------------------------------------------------------------------------
# While a model loads, operations no unpickling should need are refused by an audit hook (PEP 578).

BLOCKED_EVENTS = {
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "os.kill",
    "os.killpg",
    "os.remove",
    "os.rmdir",
    "os.rename",
    "os.truncate",
    "os.chmod",
    "os.chown",
    "os.mkdir",
    "os.symlink",
    "os.link",
    "os.startfile",
    "subprocess.Popen",
    "shutil.rmtree",
    "shutil.copyfile",
    "shutil.move",
    "socket.connect",
    "socket.bind",
    "socket.sendto",
    "ctypes.dlopen",
    "ctypes.dlsym",
    "ctypes.call_function",
    "webbrowser.open",
    "urllib.Request",
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class LoadGuard:
    def __init__(self):
        self.active = False
        sys.addaudithook(self._hook)

    def _hook(self, event, args):
        if not self.active:
            return
        if event in BLOCKED_EVENTS:
            raise WorkerError("UNSAFE_MODEL", "refusing to load model: loading it tried '%s'" % event)
        if event == "open" and len(args) >= 3:
            mode, flags = args[1], args[2]
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & WRITE_FLAGS
            )
            if writes:
                raise WorkerError("UNSAFE_MODEL", "refusing to load model: loading it tried to write %r" % (args[0],))


# ---------------------------------------------------------------------------------------------------------------
# Model files: joblib's compressors are recognised by their first bytes, as joblib does.

def read_model_file(path):
    size = os.path.getsize(path)
    if size > MAX_MODEL_BYTES:
        raise WorkerError("MODEL_LOAD_FAILED", "%s is %d bytes, more than %d" % (path, size, MAX_MODEL_BYTES))
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(b"ZF"):
        raise WorkerError("MODEL_LOAD_FAILED", "the model was written by joblib < 0.10 (zfile format); re-save it")
    if data[:1] == b"\x78":
        return inflate(zlib.decompressobj(), data)
    if data.startswith(b"\x1f\x8b"):
        return inflate(zlib.decompressobj(16 + zlib.MAX_WBITS), data)
    if data.startswith(b"BZ"):
        return inflate(bz2.BZ2Decompressor(), data)
    if data.startswith(b"\xfd7zXZ") or data.startswith(b"\x5d\x00"):
        return inflate(lzma.LZMADecompressor(), data)
    if data.startswith(b"\x04\x22\x4d\x18"):
        raise WorkerError("MODEL_LOAD_FAILED", "lz4-compressed models are not supported; re-save with compress=3")
    return data


def inflate(decompressor, data):
    try:
        if isinstance(decompressor, type(zlib.decompressobj())):
            out = decompressor.decompress(data, MAX_MODEL_BYTES + 1)
        else:
            out = decompressor.decompress(data, max_length=MAX_MODEL_BYTES + 1)
    except (zlib.error, OSError, EOFError, lzma.LZMAError) as err:
        raise corrupt("cannot decompress: %s" % err) from None
    if len(out) > MAX_MODEL_BYTES:
        raise WorkerError("MODEL_LOAD_FAILED", "the model inflates past %d bytes" % MAX_MODEL_BYTES)
    return out


def class_name(obj):
    cls = type(obj)
    return "%s.%s" % (cls.__module__, cls.__qualname__)


# ---------------------------------------------------------------------------------------------------------------
# Tensors on the wire.

NUMPY_DTYPES = {
    "BOOL": "?",
    "UINT8": "<u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
    "INT8": "<i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
}
DATATYPES = {("b", 1): "BOOL", ("f", 2): "FP16", ("f", 4): "FP32", ("f", 8): "FP64"}
for _bits in (1, 2, 4, 8):
    DATATYPES[("i", _bits)] = "INT%d" % (_bits * 8)
    DATATYPES[("u", _bits)] = "UINT%d" % (_bits * 8)


def invalid(message):
    return WorkerError("INVALID_INPUT", message)


def decode_tensor(spec, body):
    datatype = spec.get("datatype")
    shape = spec.get("shape")
    offset, length = spec.get("offset"), spec.get("length")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise invalid("invalid tensor shape %r" % (shape,))
    if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or offset + length > len(body):
        raise invalid("tensor %r lies outside the frame" % spec.get("name"))
    raw = body[offset : offset + length]
    count = 1
    for d in shape:
        count *= d
    if datatype == "BYTES":
        items = []
        pos = 0
        while pos < length:
            if pos + 4 > length:
                raise invalid("truncated BYTES element")
            (n,) = struct.unpack_from("<I", raw, pos)
            pos += 4
            if pos + n > length:
                raise invalid("truncated BYTES element")
            items.append(bytes(raw[pos : pos + n]))
            pos += n
        if len(items) != count:
            raise invalid("BYTES tensor %r has %d elements for shape %r" % (spec.get("name"), len(items), shape))
        if spec.get("elements", "str") == "str":
            items = [b.decode("utf-8", "surrogateescape") for b in items]
        array = np.empty(count, dtype=object)
        array[:] = items
        return array.reshape(shape)
    dtype = NUMPY_DTYPES.get(datatype)
    if dtype is None:
        raise invalid("unsupported datatype %r" % (datatype,))
    dtype = np.dtype(dtype)
    if length != count * dtype.itemsize:
        raise invalid("tensor %r has %d bytes for shape %r" % (spec.get("name"), length, shape))
    return np.frombuffer(raw, dtype=dtype, count=count).reshape(shape)


def encode_tensor(name, value, offset):
    """(header spec, bytes) for a prediction, with the datatype KServe's from_np_dtype gives its numpy dtype."""
    if hasattr(value, "toarray"):  # a scipy.sparse result
        value = value.toarray()
    array = np.asarray(value)
    kind = array.dtype.kind
    spec = {"name": name, "shape": list(array.shape), "offset": offset}
    if kind in "OUS" or (kind, array.dtype.itemsize) not in DATATYPES:
        if kind in "fiub":
            raise WorkerError("INTERNAL", "predictions of dtype %s cannot be sent" % array.dtype)
        parts = []
        for item in array.reshape(-1).tolist():
            data = item if isinstance(item, bytes) else str(item).encode("utf-8", "surrogateescape")
            parts.append(struct.pack("<I", len(data)))
            parts.append(data)
        spec["datatype"] = "BYTES"
        spec["elements"] = "bytes" if kind == "S" else "str"
        data = b"".join(parts)
    else:
        spec["datatype"] = DATATYPES[(kind, array.dtype.itemsize)]
        data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    spec["length"] = len(data)
    return spec, data


# ---------------------------------------------------------------------------------------------------------------
# Requests.

class Worker:
    def __init__(self):
        self.guard = LoadGuard()
        self.model = None

    def handle(self, header, body):
        op = header.get("op")
        if op == "load":
            return self.load(header), []
        if op == "predict":
            return self.predict(header, body)
        if op == "exit":
            return {}, []
        raise WorkerError("INTERNAL", "unknown op %r" % (op,))

    def load(self, header):
        path = header.get("path")
        if not isinstance(path, str):
            raise WorkerError("INTERNAL", "load needs a path")
        data = read_model_file(path)
        caught = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.guard.active = True
            try:
                model = RestrictedUnpickler(io.BytesIO(data)).load()
            except WorkerError:
                raise
            except Exception as err:  # noqa: BLE001 - whatever a broken file makes the unpickler raise
                raise corrupt("%s: %s" % (type(err).__name__, err)) from None
            finally:
                self.guard.active = False
        if not callable(getattr(model, "predict", None)):
            raise WorkerError(
                "MODEL_LOAD_FAILED",
                "the model file holds a %s, which has no predict method" % class_name(model),
            )
        self.model = model
        methods = ["predict"]
        if hasattr(model, "predict_proba"):  # KServe checks hasattr, which is False for SVC(probability=False)
            methods.append("predict_proba")
        messages = []
        for w in caught:
            text = "%s: %s" % (w.category.__name__, w.message)
            if text not in messages and len(messages) < MAX_WARNINGS:
                messages.append(text)
        features = getattr(model, "n_features_in_", None)
        names = getattr(model, "feature_names_in_", None)
        return {
            "class": class_name(model),
            "methods": methods,
            "n_features_in": int(features) if features is not None else None,
            "feature_names_in": [str(n) for n in names] if names is not None else None,
            "warnings": messages,
        }

    def predict(self, header, body):
        if self.model is None:
            raise WorkerError("MODEL_NOT_READY", "no model is loaded")
        specs = header.get("tensors") or []
        methods = header.get("methods") or ["predict"]
        view = memoryview(body)  # slices of a memoryview share the frame's bytes: no copy per tensor
        tensors = [decode_tensor(spec, view) for spec in specs]
        if not tensors:
            raise invalid("Expected at least one input tensor")
        if header.get("content_type") == "pd":
            x = self.data_frame(specs, tensors)
        else:
            x = tensors[0]
        outputs = []
        chunks = []
        offset = 0
        for method in methods:
            if method not in ("predict", "predict_proba") or not hasattr(self.model, method):
                raise invalid("This %s model has no %s" % (type(self.model).__name__, method))
            try:
                result = getattr(self.model, method)(x)
            except (ValueError, TypeError, KeyError, IndexError) as err:
                # what sklearn raises for a request it cannot take (wrong feature count, strings, NaN, ...)
                raise invalid(str(err)) from None
            spec, data = encode_tensor("output-0", result, offset)
            offset += len(data)
            outputs.append(spec)
            chunks.append(data)
        return {"tensors": outputs}, chunks

    @staticmethod
    def data_frame(specs, tensors):
        """KServe's InferRequest.as_dataframe(): one column per input tensor, named after it."""
        try:
            import pandas as pd
        except ImportError:
            raise WorkerError("UNSUPPORTED", "content_type pd needs pandas in the fallback's Python") from None
        rows = tensors[0].size
        columns = {}
        for spec, tensor in zip(specs, tensors):
            if tensor.size != rows:
                raise invalid("All arrays must be of the same length")
            columns[spec.get("name")] = tensor.reshape(-1)
        return pd.DataFrame(columns)


# ---------------------------------------------------------------------------------------------------------------
# Framing over the pipes.

class Channel:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer

    def receive(self):
        prefix = self.reader.read(8)
        if not prefix:
            return None
        if len(prefix) != 8:
            raise EOFError("truncated frame")
        header_length, body_length = struct.unpack("<II", prefix)
        if header_length > MAX_HEADER_BYTES or body_length > MAX_BODY_BYTES:
            raise EOFError("frame too large")
        header = json.loads(self._read(header_length).decode("utf-8"))
        body = bytearray(body_length)
        view = memoryview(body)
        filled = 0
        while filled < body_length:
            n = self.reader.readinto(view[filled:])
            if not n:
                raise EOFError("truncated frame")
            filled += n
        return header, body

    def _read(self, n):
        data = self.reader.read(n)
        if len(data) != n:
            raise EOFError("truncated frame")
        return data

    def send(self, header, chunks=()):
        encoded = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
        body_length = sum(len(c) for c in chunks)
        self.writer.write(struct.pack("<II", len(encoded), body_length))
        self.writer.write(encoded)
        for chunk in chunks:
            self.writer.write(chunk)
        self.writer.flush()


def import_libraries():
    global np
    import numpy
    import scipy
    import sklearn

    np = numpy
    return {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "sklearn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "executable": sys.executable,
    }


def main():
    # Ctrl-C in a terminal reaches the whole process group: the parent decides when this worker stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.dont_write_bytecode = True
    # Frames use private copies of fds 0 and 1; anything a library prints goes to stderr, and nothing can read
    # the parent's frames from stdin.
    reader = os.fdopen(os.dup(0), "rb", buffering=1 << 16)
    writer = os.fdopen(os.dup(1), "wb", buffering=1 << 16)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    channel = Channel(reader, writer)
    try:
        versions = import_libraries()
    except Exception as err:  # noqa: BLE001 - any import failure means this Python cannot serve
        channel.send({"op": "hello", "ok": False, "error": {"code": "UNSUPPORTED", "message": "%s: %s" % (type(err).__name__, err)}})
        return 3
    channel.send({"op": "hello", "ok": True, "protocol": PROTOCOL_VERSION, "pid": os.getpid(), **versions})
    worker = Worker()
    while True:
        try:
            frame = channel.receive()
        except (EOFError, ValueError) as err:
            sys.stderr.write("inferd python worker: bad frame from parent: %s\n" % err)
            return 2
        if frame is None:
            return 0  # the parent closed stdin (unload, or it went away)
        header, body = frame
        reply = {"id": header.get("id"), "ok": True}
        chunks = []
        try:
            result, chunks = worker.handle(header, body)
            reply.update(result)
        except WorkerError as err:
            reply = {"id": header.get("id"), "ok": False, "error": {"code": err.code, "message": err.message}}
            chunks = []
        except MemoryError:
            reply = {"id": header.get("id"), "ok": False, "error": {"code": "INTERNAL", "message": "out of memory"}}
            chunks = []
        except Exception as err:  # noqa: BLE001 - reported to the caller, the worker keeps serving
            message = "%s: %s" % (type(err).__name__, err)
            reply = {"id": header.get("id"), "ok": False, "error": {"code": "INTERNAL", "message": message}}
            chunks = []
        channel.send(reply, chunks)
        if header.get("op") == "exit":
            return 0


if __name__ == "__main__":
    sys.exit(main())
