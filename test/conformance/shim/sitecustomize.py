"""Harness-side shim for running KServe v0.12.1's e2e suite and SDK on Debian bookworm's python3.

Only stand-ins for modules Debian does not package, which the SDK imports at module load but the e2e tests
the runner selects never call (a real installed module always wins: the finder is appended LAST to
sys.meta_path):
  orjson        the SDK's kserve.model imports it; stand-in over the stdlib json (dumps returns bytes).
  portforward   test/e2e/common/utils.py imports it for ModelMesh tests only (predict_modelmesh).
  timing_asgi, cloudevents, ray, tritonclient, grpc_interceptor, google.cloud.storage, azure.*
                imported by kserve's model server modules, which the SDK's __init__ pulls in; the tests use
                only the client side (KServeClient, the V1beta1* models, the gRPC stubs).
kubernetes.client.AutoscalingV2Api  Debian's python3-kubernetes 22.6 predates it (see the end of this file).
Any attribute of a placeholder module is a placeholder class or function that raises when used, so a test
that would need one fails loudly instead of passing.
"""
import importlib.abc
import importlib.machinery
import json as _json
import sys
import types

_STANDIN_ROOTS = {
    "orjson", "portforward", "timing_asgi", "cloudevents", "ray", "tritonclient", "grpc_interceptor",
    "google.cloud", "azure",
}


def _placeholder(name):
    def fail(*_a, **_k):
        raise RuntimeError("conformance shim: %s is a placeholder (not packaged for Debian)" % name)

    return type(name.rsplit(".", 1)[-1], (), {"__init__": fail, "__call__": fail}) if name.rsplit(".", 1)[-1][:1].isupper() else fail


class _Module(types.ModuleType):
    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        value = _placeholder("%s.%s" % (self.__name__, attr))
        setattr(self, attr, value)
        return value


def _orjson(mod):
    mod.OPT_SERIALIZE_NUMPY = 1
    mod.OPT_NON_STR_KEYS = 2
    mod.JSONDecodeError = _json.JSONDecodeError
    mod.dumps = lambda obj, default=None, option=None: _json.dumps(obj, default=default, separators=(",", ":")).encode()
    mod.loads = lambda data: _json.loads(data)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if any(fullname == r or fullname.startswith(r + ".") for r in _STANDIN_ROOTS) or fullname == "google":
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        mod = _Module(spec.name)
        mod.__path__ = []
        return mod

    def exec_module(self, module):
        if module.__name__ == "orjson":
            _orjson(module)


sys.meta_path.append(_Finder())


# Debian bookworm's python3-kubernetes is 22.6; the SDK's KServeClient() builds an AutoscalingV2Api, which
# that client gained in 23.x. The tests run here never call it (no HPA on inferd's local store); the v2beta2
# class has the same shape for what the SDK would call.
try:
    import kubernetes.client as _k8s_client

    if not hasattr(_k8s_client, "AutoscalingV2Api"):
        _k8s_client.AutoscalingV2Api = getattr(_k8s_client, "AutoscalingV2beta2Api", _k8s_client.AutoscalingV1Api)
except ImportError:
    pass
