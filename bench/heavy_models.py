#!/usr/bin/python3
"""Trains the heavy-model bench's models with Debian's python3-sklearn / python3-xgboost / python3-onnx and
times each library's own predict on the 1,000-row batch (one thread, median of many runs): the kernel
reference the bench compares inferd's kernels with.

  heavy_models.py OUT_DIR [--reps N]

Writes OUT_DIR/<model>/model.{bst,joblib,onnx}, OUT_DIR/batch.f32 (1000 x 20 float32, row-major) and
OUT_DIR/native.json ({model: {file, library, version, single_thread_ms, two_thread_ms|null, expected}}).
LightGBM is not packaged in Debian: its model is xgboost's ensemble written as a LightGBM text model by the
bench itself (same trees, same cost), and its reference is xgboost's time on that ensemble.
"""

import json
import os
import sys
import time

# One thread for every BLAS/OpenMP pool before numpy loads: the single-thread reference.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import joblib  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import xgboost as xgb  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

FEATURES = 20
BATCH = 1000


def median_ms(fn, reps):
    fn()  # warm
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[(len(times) - 1) // 2]


def main():
    out = sys.argv[1]
    reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 30
    os.makedirs(out, exist_ok=True)
    x, y = make_classification(
        n_samples=20000, n_features=FEATURES, n_informative=12, n_redundant=4, random_state=7, flip_y=0.05
    )
    x = x.astype(np.float32)
    rng = np.random.default_rng(11)
    batch = x[rng.choice(len(x), BATCH, replace=False)].copy()
    # Two decimals: the values a JSON client would send, so JSON and binary requests carry the same numbers.
    batch = np.round(batch, 2).astype(np.float32)
    batch.tofile(os.path.join(out, "batch.f32"))
    native = {}

    def save(name, fname, dump):
        os.makedirs(os.path.join(out, name), exist_ok=True)
        path = os.path.join(out, name, fname)
        dump(path)
        return os.path.join(name, fname)

    # XGBoost 500 trees, depth 6 (binary:logistic).
    bst = xgb.XGBClassifier(n_estimators=500, max_depth=6, learning_rate=0.1, tree_method="hist", n_jobs=2)
    bst.fit(x, y)
    booster = bst.get_booster()
    f = save("xgboost", "model.bst", booster.save_model)
    dm = xgb.DMatrix(batch)
    booster.set_param({"nthread": 1})
    one = median_ms(lambda: booster.inplace_predict(batch), reps)
    booster.set_param({"nthread": 2})
    two = median_ms(lambda: booster.inplace_predict(batch), reps)
    booster.set_param({"nthread": 1})
    native["xgboost"] = {
        "file": f,
        "library": "xgboost",
        "version": xgb.__version__,
        "single_thread_ms": one,
        "two_thread_ms": two,
        "expected": booster.predict(dm).tolist(),
    }

    # RandomForest 100 trees, depth 12.
    rf = RandomForestClassifier(n_estimators=100, max_depth=12, random_state=3, n_jobs=2).fit(x, y)
    f = save("rf", "model.joblib", lambda p: joblib.dump(rf, p))
    rf.set_params(n_jobs=1)
    one = median_ms(lambda: rf.predict_proba(batch), reps)
    rf.set_params(n_jobs=2)
    two = median_ms(lambda: rf.predict_proba(batch), reps)
    rf.set_params(n_jobs=1)
    native["rf"] = {
        "file": f,
        "library": "scikit-learn",
        "version": sklearn.__version__,
        "single_thread_ms": one,
        "two_thread_ms": two,
        "expected": rf.predict(batch).tolist(),
    }

    # GradientBoosting 200 trees, depth 4 (sklearn's Cython trees; predict has no n_jobs).
    gb = GradientBoostingClassifier(n_estimators=200, max_depth=4, random_state=5, subsample=0.5)
    gb.fit(x[:8000], y[:8000])
    f = save("gb", "model.joblib", lambda p: joblib.dump(gb, p))
    native["gb"] = {
        "file": f,
        "library": "scikit-learn",
        "version": sklearn.__version__,
        "single_thread_ms": median_ms(lambda: gb.predict_proba(batch), reps),
        "two_thread_ms": None,
        "expected": gb.predict(batch).tolist(),
    }

    # MLP 2 x 256 (relu), a few epochs: the cost is the shape, not the fit.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = MLPClassifier(hidden_layer_sizes=(256, 256), max_iter=5, random_state=1).fit(x[:8000], y[:8000])
    f = save("mlp", "model.joblib", lambda p: joblib.dump(mlp, p))
    native["mlp"] = {
        "file": f,
        "library": "scikit-learn (numpy, 1 BLAS thread)",
        "version": sklearn.__version__,
        "single_thread_ms": median_ms(lambda: mlp.predict_proba(batch), reps),
        "two_thread_ms": None,
        "expected": mlp.predict(batch).tolist(),
    }

    # ONNX: the same MLP as MatMul/Add/Relu/Softmax (skl2onnx is not in Debian; onnx.helper builds it).
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        nodes, inits = [], []
        prev = "input"
        for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
            inits += [
                numpy_helper.from_array(w.astype(np.float32), f"w{i}"),
                numpy_helper.from_array(b.astype(np.float32), f"b{i}"),
            ]
            nodes += [
                helper.make_node("MatMul", [prev, f"w{i}"], [f"m{i}"]),
                helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"]),
            ]
            prev = f"a{i}"
            if i < len(mlp.coefs_) - 1:
                nodes.append(helper.make_node("Relu", [prev], [f"r{i}"]))
                prev = f"r{i}"
        nodes.append(helper.make_node("Sigmoid", [prev], ["output"]))
        graph = helper.make_graph(
            nodes,
            "mlp",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, FEATURES])],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, [None, 1])],
            inits,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        f = save("onnx", "model.onnx", lambda p: onnx.save(model, p))
        native["onnx"] = {
            "file": f,
            "library": "onnx (graph of the MLP; reference: its numpy time)",
            "version": onnx.__version__,
            "single_thread_ms": native["mlp"]["single_thread_ms"],
            "two_thread_ms": None,
            "expected": None,
        }
    except ImportError as err:
        native["onnx"] = {"skipped": f"python3-onnx is not installed ({err})"}

    with open(os.path.join(out, "native.json"), "w") as fh:
        json.dump(native, fh)


if __name__ == "__main__":
    main()
