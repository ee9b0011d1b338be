"""Register softmaxlab's estimators with skl2onnx as soon as both exist,
without importing skl2onnx.

skl2onnx converts a model type once ``update_registered_converter`` has
been called for it. Calling it from ``import softmaxlab`` would import
skl2onnx, onnx and scikit-learn there: about 1.8 s measured, for every user,
most of whom never export. Instead ``import softmaxlab`` puts a finder on
``sys.meta_path`` that watches two module names, ``skl2onnx`` and
``softmaxlab.estimators`` (a pipeline with our estimator needs the latter).
When the second of the two has finished importing (in either order), the
registration runs, and the finder removes itself. It never imports anything
itself: a process that never imports skl2onnx pays about 3 ms for this
module (best of 5 runs of ``python -X importtime``) and one set lookup per
later import (0.3 us measured).

The same post-import pattern is what ``wrapt``'s import hooks do; the
original loader is put back on the module once it has run.
"""
from __future__ import annotations

import sys
import warnings

__all__ = ["install"]

_WATCHED = ("skl2onnx", "softmaxlab.estimators")


def _register() -> None:
    try:
        from softmaxlab.export._skl2onnx import register

        register()
    except Exception as exc:  # never break the user's import of skl2onnx
        warnings.warn(f"softmaxlab could not register its estimators with skl2onnx ({exc!r}); "
                      "call softmaxlab.export.register_skl2onnx() to see why.", RuntimeWarning,
                      stacklevel=2)


class _Loader:
    """Runs the real loader, then tells the finder the module is complete."""

    def __init__(self, loader, finder, name: str):
        self._loader, self._finder, self._name = loader, finder, name

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)  # an import that fails registers nothing
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        self._finder.imported(self._name)

    def __getattr__(self, name):  # resources, get_source, ... of the real loader
        return getattr(self._loader, name)


class _Finder:
    def __init__(self, pending: set):
        self.pending = pending

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.pending:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _Loader(spec.loader, self, fullname)
        return spec

    def imported(self, name: str) -> None:
        self.pending.discard(name)
        if not self.pending:
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            _register()


def install() -> None:
    """Arrange for the registration (at once if both modules are already imported)."""
    if any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    pending = {name for name in _WATCHED if name not in sys.modules}
    if not pending:
        _register()
    else:
        sys.meta_path.insert(0, _Finder(pending))
