"""inferd's acceptance for issue 11 (not part of KServe's suite): KServe's SDK creates, waits for, patches and
deletes an InferenceService on inferd the way test/e2e/predictor/test_sklearn.py (create, wait_isvc_ready,
predict, delete) and test_canary.py (patch, then wait) call it."""
import json
import os
from urllib.parse import urlparse

import requests
from kubernetes import client
from kubernetes.client import V1ResourceRequirements

from kserve import (KServeClient, V1beta1InferenceService, V1beta1InferenceServiceSpec, V1beta1ModelFormat,
                    V1beta1ModelSpec, V1beta1PredictorSpec, V1beta1SKLearnSpec, constants)

NAMESPACE = "kserve-ci-e2e-test"
IRIS = {"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}


def isvc(name, predictor):
    return V1beta1InferenceService(api_version=constants.KSERVE_V1BETA1, kind=constants.KSERVE_KIND,
                                   metadata=client.V1ObjectMeta(name=name, namespace=NAMESPACE),
                                   spec=V1beta1InferenceServiceSpec(predictor=predictor))


def predict(kserve_client, name, model_name):
    obj = kserve_client.get(name, namespace=NAMESPACE)
    host = urlparse(obj["status"]["url"]).netloc
    url = "http://%s/v1/models/%s:predict" % (os.environ["KSERVE_INGRESS_HOST_PORT"], model_name)
    res = requests.post(url, json.dumps(IRIS), headers={"Host": host, "Content-Type": "application/json"},
                        timeout=30)
    res.raise_for_status()
    return res.json()


def test_sdk_create_wait_patch_delete():
    name = "isvc-sdk-lifecycle"
    kserve_client = KServeClient(config_file=os.environ.get("KUBECONFIG", "~/.kube/config"))
    resources = V1ResourceRequirements(requests={"cpu": "50m", "memory": "128Mi"},
                                       limits={"cpu": "100m", "memory": "256Mi"})
    kserve_client.create(isvc(name, V1beta1PredictorSpec(min_replicas=1, sklearn=V1beta1SKLearnSpec(
        storage_uri="gs://kfserving-examples/models/sklearn/1.0/model", resources=resources))))
    kserve_client.wait_isvc_ready(name, namespace=NAMESPACE)
    assert predict(kserve_client, name, name)["predictions"] == [1, 1]
    first_rv = kserve_client.get(name, namespace=NAMESPACE)["metadata"]["resourceVersion"]

    # patch: serve the same model under another name (the predictor's args), then wait as test_canary does
    kserve_client.patch(name, isvc(name, V1beta1PredictorSpec(min_replicas=1, model=V1beta1ModelSpec(
        model_format=V1beta1ModelFormat(name="sklearn"), args=["--model_name", "iris-patched"],
        storage_uri="gs://kfserving-examples/models/sklearn/1.0/model", resources=resources))))
    kserve_client.wait_isvc_ready(name, namespace=NAMESPACE)
    patched = kserve_client.get(name, namespace=NAMESPACE)
    assert patched["metadata"]["resourceVersion"] != first_rv
    assert patched["spec"]["predictor"]["model"]["args"] == ["--model_name", "iris-patched"]
    assert predict(kserve_client, name, "iris-patched")["predictions"] == [1, 1]

    kserve_client.delete(name, NAMESPACE)
    names = [i["metadata"]["name"] for i in kserve_client.get(namespace=NAMESPACE)["items"]]
    assert name not in names
