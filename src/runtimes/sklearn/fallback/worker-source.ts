// The Python side of the fallback worker, run as `python3 -c WORKER_SOURCE`: loads sklearn pickles with a
// restricted unpickler and answers predict calls over stdin/stdout frames (see python-worker.ts for the framing).
// Kept as a string so it ships inside the compiled package with no file to find at run time.
//
// Restriction: a global is resolved only if it is one of a few numpy/joblib/pickle helpers, an sklearn class that
// is an estimator or lives in sklearn's pickling-helper modules (trees, KD-trees, losses), a Cython unpickle helper
// of those modules, a numpy scalar type or ufunc, or a scipy.sparse matrix class. Functions elsewhere
// (os.system, sklearn.utils._testing.*, numpy.memmap, ...) are refused; joblib's nested object-array pickles go
// through the same unpickler.

// biome-ignore lint/complexity/noUselessStringRaw: the Python must reach python3 as written, backslashes included
export const WORKER_SOURCE = String.raw`
import io, json, pickle, struct, sys, traceback

import numpy as np
import joblib.numpy_pickle as jnp
import sklearn
from sklearn.base import BaseEstimator

try:
    import scipy.sparse as sp
except ImportError:
    sp = None

stdin = sys.stdin.buffer
stdout = sys.stdout.buffer

HELPERS = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy.random._pickle", "__randomstate_ctor"), ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__generator_ctor"), ("numpy.random.mtrand", "RandomState"),
    ("numpy.random._mt19937", "MT19937"),
    ("joblib.numpy_pickle", "NumpyArrayWrapper"),
    ("_codecs", "encode"), ("copyreg", "_reconstructor"), ("copy_reg", "_reconstructor"),
    ("builtins", "object"), ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
    ("builtins", "bytearray"), ("builtins", "bytes"), ("builtins", "complex"),
    ("__builtin__", "object"), ("__builtin__", "set"), ("__builtin__", "frozenset"),
}
SKLEARN_HELPER_MODULES = (
    "sklearn.tree._tree", "sklearn.neighbors._kd_tree", "sklearn.neighbors._ball_tree",
    "sklearn.metrics._dist_metrics", "sklearn.neighbors._dist_metrics", "sklearn.ensemble._gb_losses",
    "sklearn._loss.", "sklearn.ensemble._hist_gradient_boosting.", "sklearn.linear_model._sgd_fast",
    "sklearn.utils._bunch", "sklearn.neural_network._stochastic_optimizers", "sklearn.svm._libsvm",
    "sklearn.tree._splitter", "sklearn.tree._criterion", "sklearn.compose._column_transformer",
)


class Forbidden(Exception):
    pass


def resolve(module, name):
    if "." in name or not module.replace(".", "").replace("_", "").isalnum():
        raise Forbidden(module + "." + name)
    if (module, name) in HELPERS:
        return pickle.Unpickler.find_class(DUMMY, module, name)
    root = module.split(".")[0]
    if root not in ("sklearn", "numpy", "scipy"):
        raise Forbidden(module + "." + name)
    obj = pickle.Unpickler.find_class(DUMMY, module, name)
    if root == "sklearn":
        helper_module = any(module == m or (m.endswith(".") and module.startswith(m)) for m in SKLEARN_HELPER_MODULES)
        if isinstance(obj, type) and (issubclass(obj, BaseEstimator) or helper_module):
            return obj
        if helper_module and (name.startswith("__pyx_unpickle_") or name == "newObj"):
            return obj
    elif root == "numpy":
        if isinstance(obj, np.ufunc):
            return obj
        if isinstance(obj, type) and issubclass(obj, np.generic):
            return obj
    elif root == "scipy" and sp is not None:
        if isinstance(obj, type) and issubclass(obj, sp.spmatrix):
            return obj
    raise Forbidden(module + "." + name)


class SafeUnpickler(jnp.NumpyUnpickler):
    def find_class(self, module, name):
        return resolve(module, name)


class PlainSafeUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        return resolve(module, name)


DUMMY = PlainSafeUnpickler(io.BytesIO(b""))


class SafePickleModule:
    """joblib reads object arrays with a nested pickle.load: route it through the same restrictions."""

    def __getattr__(self, attr):
        return getattr(pickle, attr)

    @staticmethod
    def load(f):
        return PlainSafeUnpickler(f).load()


jnp.pickle = SafePickleModule()


def load_model(path):
    with open(path, "rb") as f:
        with jnp._read_fileobject(f, path, None) as fobj:
            if isinstance(fobj, str):
                raise ValueError("the model was saved by joblib < 0.10; re-save it with a current joblib")
            return SafeUnpickler(path, fobj, mmap_mode=None).load()


def read_exact(n):
    data = b""
    while len(data) < n:
        chunk = stdin.read(n - len(data))
        if not chunk:
            sys.exit(0)
        data += chunk
    return data


def read_frame():
    total, header_len = struct.unpack("<II", read_exact(8))
    header = json.loads(read_exact(header_len))
    body = read_exact(total - header_len)
    return header, body


def write_frame(header, body=b""):
    raw = json.dumps(header).encode()
    stdout.write(struct.pack("<II", len(raw) + len(body), len(raw)) + raw + body)
    stdout.flush()


def to_input(header, body):
    if header.get("columns") is not None:
        import pandas as pd
        data = {}
        offset = 0
        for col in header["columns"]:
            if col["kind"] == "f8":
                n = header["rows"]
                data[col["name"]] = np.frombuffer(body, dtype="<f8", count=n, offset=offset)
                offset += 8 * n
            else:
                data[col["name"]] = col["values"]
        return pd.DataFrame(data)
    if header.get("values") is not None:
        return np.array(header["values"]).reshape(header["shape"])
    return np.frombuffer(body, dtype="<f8").reshape(header["shape"])


def answer(out):
    out = np.asarray(out)
    kind = out.dtype.kind
    if kind in "f":
        return {"dtype": "f8", "shape": list(out.shape)}, out.astype("<f8").tobytes()
    if kind in "iu":
        return {"dtype": out.dtype.str.lstrip("<>|="), "shape": list(out.shape)}, out.astype("<i8").tobytes()
    if kind == "b":
        return {"dtype": "b1", "shape": list(out.shape), "values": out.ravel().tolist()}, b""
    return {"dtype": "str", "shape": list(out.shape), "values": [str(v) for v in out.ravel().tolist()]}, b""


models = {}
write_frame({"ready": True, "sklearn": sklearn.__version__, "python": sys.version.split()[0]})
while True:
    header, body = read_frame()
    reply = {"id": header.get("id")}
    try:
        op = header["op"]
        if op == "load":
            model = load_model(header["path"])
            if not hasattr(model, "predict"):
                raise TypeError("the model file holds a %s, which has no predict" % type(model).__name__)
            models[header["model"]] = model
            reply.update(ok=True, className=type(model).__name__, hasProba=hasattr(model, "predict_proba"),
                         nFeatures=int(getattr(model, "n_features_in_", -1)))
            write_frame(reply)
        elif op == "predict":
            model = models[header["model"]]
            x = to_input(header, body)
            out = model.predict_proba(x) if header["method"] == "predict_proba" else model.predict(x)
            meta, data = answer(out)
            reply.update(ok=True, **meta)
            write_frame(reply, data)
        elif op == "unload":
            models.pop(header["model"], None)
            reply.update(ok=True)
            write_frame(reply)
        else:
            raise ValueError("unknown op " + str(op))
    except Forbidden as err:
        reply.update(ok=False, error="forbidden", message=str(err))
        write_frame(reply)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
        reply.update(ok=False, error=type(err).__name__, message=str(err))
        write_frame(reply)
    except Exception as err:
        sys.stderr.write(traceback.format_exc())
        reply.update(ok=False, error=type(err).__name__, message=str(err))
        write_frame(reply)
`;
