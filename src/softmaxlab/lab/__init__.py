"""softmaxlab lab: an interactive page where the engine trains softmax
regression and MLPs on 2-D data while the page shows the decision boundary,
the hidden units, the learning curves and one point's forward and backward
pass, all computed by the engine in Python.

Needs the optional extra ``pip install "softmaxlab[lab]"`` (Starlette,
uvicorn, websockets). Start it with ``softmaxlab lab`` or :func:`serve`;
:func:`~softmaxlab.lab.app.create_app` builds the ASGI application alone.
"""
from __future__ import annotations

import importlib.util

__all__ = ["EXTRA_PACKAGES", "require_extra", "serve"]

EXTRA_PACKAGES = ("starlette", "uvicorn", "websockets")


def require_extra() -> None:
    """Raise ImportError naming the extra when its packages are missing."""
    missing = [m for m in EXTRA_PACKAGES if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f"the lab needs the optional packages {', '.join(missing)}; install "
                          "them with: pip install \"softmaxlab[lab]\"")


def serve(*args, **kwargs) -> int:
    """Run the lab server until Ctrl-C; see :func:`softmaxlab.lab.server.serve`."""
    require_extra()
    from softmaxlab.lab.server import serve as _serve

    return _serve(*args, **kwargs)
