"""``python -m softmaxlab``: the command line, as ``python -m softmaxlab.cli``.

The library does not import the application: this file only hands over to
the :mod:`softmaxlab.cli` package's own ``__main__``."""
import runpy

if __name__ == "__main__":
    runpy.run_module("softmaxlab.cli", run_name="__main__", alter_sys=True)
