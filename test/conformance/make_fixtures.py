"""Makes, at run time with Debian's scikit-learn and xgboost, the model files that KServe v0.12.1's e2e tests
name (gs://kfserving-examples/..., gs://seldon-models/...), laid out as OUT/<bucket>/<object path>.

The real files are not downloadable here. Each fixture is a model of the same kind, trained on the same data
where the tests assert only the predicted class (iris: [1, 1]); where a test asserts one exact number
produced by KServe's own model (the house-price pipeline's 12.202832815138274), the fixture is a pipeline
over the same input columns whose last step is a constant regressor giving that number, so the test checks
the serving path (columns, dtypes, pipeline, response) rather than a model this machine cannot have.

usage: make_fixtures.py OUT
"""
import json
import os
import sys

import joblib
import numpy as np
import pandas as pd
from sklearn import datasets, svm
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

OUT = sys.argv[1]
E2E_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kserve-v0.12.1", "test", "e2e", "data")


def path(bucket, obj):
    p = os.path.join(OUT, bucket, obj)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


iris = datasets.load_iris()
X, y = iris.data, iris.target

# gs://kfserving-examples/models/sklearn/1.0/model: KServe's iris SVC (its docs: svm.SVC(gamma='scale'))
joblib.dump(svm.SVC(gamma="scale").fit(X, y), path("kfserving-examples", "models/sklearn/1.0/model/model.joblib"))

# gs://seldon-models/sklearn/mms/lr_model: MLServer's iris logistic regression
joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), path("seldon-models", "sklearn/mms/lr_model/model.joblib"))

# gs://kfserving-examples/models/sklearn/1.3/mixedtype: a pipeline over the house-price columns of
# sklearn_mixed.json (strings one-hot encoded, numbers passed through)
with open(os.path.join(E2E_DATA, "sklearn_mixed.json")) as f:
    row = json.load(f)
categorical = [k for k, v in row.items() if isinstance(v, str)]
frame = pd.DataFrame([row, {k: (v + "x" if isinstance(v, str) else v + 1) for k, v in row.items()}])
mixed = Pipeline([
    ("columns", ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), categorical)],
                                  remainder="passthrough")),
    ("regressor", DummyRegressor(strategy="constant", constant=12.202832815138274)),
]).fit(frame, [1.0, 2.0])
joblib.dump(mixed, path("kfserving-examples", "models/sklearn/1.3/mixedtype/model.joblib"))

# gs://kfserving-examples/models/mlflow/wine: an MLflow sklearn-flavor model over the wine-quality columns of
# mlflow_input_v2.json, constant at the number test_mlflow asserts (KServe's model is an ElasticNet)
with open(os.path.join(E2E_DATA, "mlflow_input_v2.json")) as f:
    wine_columns = [i["name"] for i in json.load(f)["inputs"]]
wine = pd.DataFrame([[float(i) for _ in wine_columns] for i in range(2)], columns=wine_columns)
wine_model = DummyRegressor(strategy="constant", constant=5.576883936610762).fit(wine, [1.0, 2.0])
joblib.dump(wine_model, path("kfserving-examples", "models/mlflow/wine/model.pkl"))
with open(path("kfserving-examples", "models/mlflow/wine/MLmodel"), "w") as f:
    f.write(
        "artifact_path: model\n"
        "flavors:\n"
        "  python_function:\n"
        "    env: conda.yaml\n"
        "    loader_module: mlflow.sklearn\n"
        "    model_path: model.pkl\n"
        "    predict_fn: predict\n"
        "    python_version: 3.11.2\n"
        "  sklearn:\n"
        "    code: null\n"
        "    pickled_model: model.pkl\n"
        "    serialization_format: pickle\n"
        "    sklearn_version: %s\n" % __import__("sklearn").__version__
    )

try:
    import xgboost as xgb
except ImportError:
    xgb = None
if xgb is not None:
    booster = xgb.train({"objective": "multi:softmax", "num_class": 3, "max_depth": 3, "eta": 0.3},
                        xgb.DMatrix(X, label=y), num_boost_round=20)
    # gs://kfserving-examples/models/xgboost/1.5/model (KServe's xgbserver) and .../xgboost/iris (MLServer's)
    booster.save_model(path("kfserving-examples", "models/xgboost/1.5/model/model.bst"))
    booster.save_model(path("kfserving-examples", "models/xgboost/iris/model.bst"))
    # gs://seldon-models/xgboost/mms/iris: the V2 TrainedModels of test_multi_model_serving.py
    booster.save_model(path("seldon-models", "xgboost/mms/iris/model.bst"))

print(json.dumps({"sklearn": __import__("sklearn").__version__, "xgboost": xgb.__version__ if xgb else None}))
