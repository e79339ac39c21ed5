"""inferd's acceptance for issue 14 (not part of KServe's suite): KServe's own test_canary.py flow
(test/e2e/predictor/test_canary.py::test_canary_rollout_runtime) through KServe's Python SDK, with sklearn models
in place of the TensorFlow flowers ones: create with min_replicas=1, wait ready, patch with
canary_traffic_percent=10 and another model, wait ready, read the traffic block; then inferd's rollback
(canaryTrafficPercent 0) and promotion, read the same way."""
import os
import time

from kubernetes import client
from kubernetes.client import V1ResourceRequirements

from kserve import (KServeClient, V1beta1InferenceService, V1beta1InferenceServiceSpec, V1beta1ModelFormat,
                    V1beta1ModelSpec, V1beta1PredictorSpec, constants)

NAMESPACE = "kserve-ci-e2e-test"
V1_URI = "gs://kfserving-examples/models/sklearn/1.0/model"
V2_URI = "gs://seldon-models/sklearn/mms/lr_model"


def isvc(name, storage_uri, **predictor):
    resources = V1ResourceRequirements(requests={"cpu": "10m", "memory": "128Mi"},
                                       limits={"cpu": "100m", "memory": "256Mi"})
    spec = V1beta1PredictorSpec(model=V1beta1ModelSpec(model_format=V1beta1ModelFormat(name="sklearn"),
                                                       storage_uri=storage_uri, resources=resources), **predictor)
    return V1beta1InferenceService(api_version=constants.KSERVE_V1BETA1, kind=constants.KSERVE_KIND,
                                   metadata=client.V1ObjectMeta(name=name, namespace=NAMESPACE),
                                   spec=V1beta1InferenceServiceSpec(predictor=spec))


def traffic(kserve_client, name):
    return kserve_client.get(name, namespace=NAMESPACE)["status"]["components"]["predictor"]


def wait_traffic(kserve_client, name, want, timeout=60):
    """The predictor status once its traffic is `want` [(revision, percent)], polled (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        p = traffic(kserve_client, name)
        if [(t["revisionName"], t["percent"]) for t in p.get("traffic", [])] == want:
            return p
        assert time.monotonic() < deadline, "traffic never became %s: %s" % (want, p)
        time.sleep(0.1)


def test_canary_rollout_runtime_sklearn():
    name = "isvc-canary-runtime"
    kserve_client = KServeClient(config_file=os.environ.get("KUBECONFIG", "~/.kube/config"))
    kserve_client.create(isvc(name, V1_URI, min_replicas=1))
    kserve_client.wait_isvc_ready(name, namespace=NAMESPACE)

    # KServe's test: roll out 10% of traffic to the canary version, then read the traffic block
    kserve_client.patch(name, isvc(name, V2_URI, canary_traffic_percent=10), namespace=NAMESPACE)
    kserve_client.wait_isvc_ready(name, namespace=NAMESPACE)
    canary_isvc = kserve_client.get(name, namespace=NAMESPACE)
    latest = [t for t in canary_isvc["status"]["components"]["predictor"]["traffic"] if t["latestRevision"]]
    assert latest, canary_isvc["status"]
    for t in latest:
        assert t["percent"] == 10

    p = wait_traffic(kserve_client, name, [(name + "-predictor-00002", 10), (name + "-predictor-00001", 90)])
    assert p["latestCreatedRevision"] == name + "-predictor-00002"
    assert p["latestRolledoutRevision"] == name + "-predictor-00001"

    # Rollback (canary_traffic_percent=0), then promotion (the field left out), as KServe's docs do them
    kserve_client.patch(name, isvc(name, V2_URI, canary_traffic_percent=0), namespace=NAMESPACE)
    kserve_client.wait_isvc_ready(name, namespace=NAMESPACE)
    wait_traffic(kserve_client, name, [(name + "-predictor-00002", 0), (name + "-predictor-00001", 100)])

    # (min_replicas as the merge patches left it: a change to it would make a new revision, as in Knative)
    kserve_client.replace(name, isvc(name, V2_URI, min_replicas=1), namespace=NAMESPACE)
    kserve_client.wait_isvc_ready(name, namespace=NAMESPACE)
    p = wait_traffic(kserve_client, name, [(name + "-predictor-00002", 100)])
    assert p["latestRolledoutRevision"] == name + "-predictor-00002"
    assert p["previousRolledoutRevision"] == name + "-predictor-00001"

    kserve_client.delete(name, NAMESPACE)
