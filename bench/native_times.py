#!/usr/bin/python3
"""Times the native libraries' own predict on the heavy bench's 1,000-row batch, now, so that the kernel ratios
compare figures taken on the same machine state: one thread (and two where the library can), median of REPS.

  native_times.py MODELS_DIR [REPS]   prints {model: {single_thread_ms, two_thread_ms}} as JSON
"""

import json
import os
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import joblib  # noqa: E402
import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402
from heavy_models import median_ms  # noqa: E402  (the same timing as the trained models' reference)


def main():
    d = sys.argv[1]
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    batch = np.fromfile(os.path.join(d, "batch.f32"), dtype=np.float32).reshape(-1, 20)
    out = {}
    booster = xgb.Booster(model_file=os.path.join(d, "xgboost", "model.bst"))
    booster.set_param({"nthread": 1})
    one = median_ms(lambda: booster.inplace_predict(batch), reps)
    booster.set_param({"nthread": 2})
    out["xgboost"] = {"single_thread_ms": one, "two_thread_ms": median_ms(lambda: booster.inplace_predict(batch), reps)}
    rf = joblib.load(os.path.join(d, "rf", "model.joblib"))
    rf.set_params(n_jobs=1)
    one = median_ms(lambda: rf.predict_proba(batch), reps)
    rf.set_params(n_jobs=2)
    out["rf"] = {"single_thread_ms": one, "two_thread_ms": median_ms(lambda: rf.predict_proba(batch), reps)}
    for name in ("gb", "mlp"):
        m = joblib.load(os.path.join(d, name, "model.joblib"))
        out[name] = {"single_thread_ms": median_ms(lambda: m.predict_proba(batch), reps), "two_thread_ms": None}
    # The ONNX graph is the MLP: its reference is the MLP's numpy time.
    out["onnx"] = dict(out["mlp"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
