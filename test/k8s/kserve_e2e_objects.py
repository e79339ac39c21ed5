"""Prints, as JSON, the serving.kserve.io objects KServe v0.12.1's Python e2e tests build in code.

Used by test/k8s/crds.test.ts to check inferd's CRDs accept them. Each test_* function of the vendored suite
(test/conformance/kserve-v0.12.1/test/e2e) is called with KServeClient's and the Kubernetes client's writes
replaced by recorders (nothing is sent anywhere) and the suite's network helpers replaced by a raiser, so a
test runs up to its first request and stops; every object it handed to a create call is kept.
argv[1]: the e2e directory. Output: {"objects": [{"test": id, "object": {...}}], "tests": N, "errors": [...]}.
"""
import asyncio
import importlib
import inspect
import json
import os
import pkgutil
import socket
import sys
from unittest import mock

E2E = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.dirname(E2E))
os.chdir(E2E)  # the tests open ./data/... and graph/test-resources/... relative to test/e2e
socket.setdefaulttimeout(2)
os.environ.setdefault("GITHUB_SHA", "0000000")  # image tags of the custom-model tests
os.environ["KSERVE_INGRESS_HOST_PORT"] = "127.0.0.1:9"  # nothing listens: any request fails at once

try:
    import jinja2  # noqa: F401
except ImportError:
    # Debian's python3-jinja2 may be absent; the graph tests only fill `{{ name }}` placeholders.
    import re
    import types

    class Template:
        def __init__(self, text):
            self.text = text

        def render(self, values=None, **kw):
            values = dict(values or {}, **kw)
            return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(values[m.group(1)]), self.text)

    sys.modules["jinja2"] = types.SimpleNamespace(Template=Template)

from kubernetes import client as k8s  # noqa: E402
from kubernetes import config as k8s_config  # noqa: E402

import kserve  # noqa: E402

captured = []
current = {"test": ""}
api = k8s.ApiClient()


class StopTest(Exception):
    """Raised where a test would reach the network: it has built and created all it will."""


def stop(*_a, **_k):
    raise StopTest()


def record(obj):
    current_obj = api.sanitize_for_serialization(obj)
    captured.append({"test": current["test"], "object": current_obj})
    return mock.MagicMock()


def client_method(name):
    def method(self, *args, **kwargs):
        if name in ("create", "create_trained_model", "create_inference_graph", "replace", "patch"):
            # create(isvc, ...) / patch(name, isvc, ...): the object is the first argument that is not a name
            body = next((v for v in list(args) + list(kwargs.values()) if not isinstance(v, str)), None)
            return record(body) if body is not None else mock.MagicMock()
        return mock.MagicMock()
    return method


k8s_config.load_kube_config = lambda *a, **k: None
k8s_config.load_incluster_config = lambda *a, **k: None
kserve.KServeClient.__init__ = lambda self, *a, **k: None
for _name, _fn in inspect.getmembers(kserve.KServeClient, inspect.isfunction):
    if not _name.startswith("_"):
        setattr(kserve.KServeClient, _name, client_method(_name))


def custom_object_create(self, group, version, namespace, plural, body, *a, **k):
    if group == "serving.kserve.io":
        record(body)
    return mock.MagicMock()


k8s.CustomObjectsApi.create_namespaced_custom_object = custom_object_create

# The suite's request helpers (predict, explain, predict_grpc, predict_ig, ...) stop the test.
utils = importlib.import_module("e2e.common.utils")
for _name, _fn in inspect.getmembers(utils, inspect.isfunction):
    if _fn.__module__ == utils.__name__:
        setattr(utils, _name, stop)

errors = []
tests = 0
for module_info in pkgutil.walk_packages([E2E], prefix="e2e."):
    if not module_info.name.rsplit(".", 1)[-1].startswith("test_"):
        continue
    try:
        module = importlib.import_module(module_info.name)
    except Exception as err:  # a test module whose imports Debian lacks: reported, not fatal
        errors.append("%s: import: %s" % (module_info.name, err))
        continue
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if not name.startswith("test_") or fn.__module__ != module.__name__:
            continue
        param_sets = [{}]
        for mark in getattr(fn, "pytestmark", []):
            if mark.name == "parametrize":
                names = [n.strip() for n in mark.args[0].split(",")] if isinstance(mark.args[0], str) else mark.args[0]
                param_sets = [dict(zip(names, v if len(names) > 1 else [v])) for v in mark.args[1]]
        for params in param_sets:
            tests += 1
            current["test"] = "%s::%s" % (module_info.name[len("e2e."):].replace(".", "/") + ".py", name)
            args = {p: params.get(p) for p in inspect.signature(fn).parameters}
            try:
                result = fn(**args)
                if inspect.iscoroutine(result):
                    asyncio.run(result)
            except StopTest:
                pass
            except Exception as err:  # past its creates, a test fails on a mocked reply: expected
                errors.append("%s: %s: %s" % (current["test"], type(err).__name__, str(err)[:200]))

json.dump({"objects": captured, "tests": tests, "errors": errors}, sys.stdout)
