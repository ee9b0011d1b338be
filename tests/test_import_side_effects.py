"""`import softmaxlab` changes no interpreter-wide state and stays light:
no import hook, no warning filter, no plotting backend, and none of the
heavy optional libraries imported. Each check runs in a fresh interpreter."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("matplotlib", "torch", "onnx", "onnxruntime", "skl2onnx", "starlette", "uvicorn",
         "dask", "distributed", "pandas", "sklearn")

# numpy is imported first: it installs warning filters of its own on import,
# and those are numpy's, not ours.
SNAPSHOT = """
import json, sys, warnings
import numpy
state = lambda: (list(map(repr, sys.meta_path)), list(map(repr, sys.path_hooks)),
                 [repr(f) for f in warnings.filters], sys.getrecursionlimit(),
                 repr(sys.excepthook), repr(sys.displayhook))
before = state()
modules = set(sys.modules)
{statement}
after = state()
names = ["meta_path", "path_hooks", "warning filters", "recursion limit", "excepthook",
         "displayhook"]
changed = [n for n, a, b in zip(names, before, after) if a != b]
heavy = sorted({{m.split(".")[0] for m in set(sys.modules) - modules}} & set({heavy!r}))
print(json.dumps({{"changed": changed, "heavy": heavy}}))
"""


def _import(statement: str) -> dict:
    code = SNAPSHOT.format(statement=textwrap.dedent(statement), heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("statement", [
    "import softmaxlab",
    "import softmaxlab; softmaxlab.Trainer, softmaxlab.mlp, softmaxlab.gradcheck",
    "import softmaxlab.nn, softmaxlab.optim, softmaxlab.train, softmaxlab.io",
])
def test_import_changes_nothing_global_and_imports_nothing_heavy(statement):
    found = _import(statement)
    assert found == {"changed": [], "heavy": []}


def test_the_snapshot_sees_a_change():
    # The check above can fail: a planted hook, filter and heavy import are seen.
    found = _import("""
        import warnings, sys, matplotlib
        warnings.simplefilter("ignore")
        sys.meta_path.insert(0, object())
    """)
    assert found["changed"] == ["meta_path", "warning filters"]
    assert found["heavy"] == ["matplotlib"]
