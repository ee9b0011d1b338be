"""The command-line application: ``softmaxlab train|evaluate|predict|...``.

Argument parsing (:mod:`.args`), the run configuration and its TOML
(:mod:`.config`), preparing and running a training run (:mod:`.prepare`,
:mod:`.runner`), progress printing (:mod:`.progress`) and the subcommands
(:mod:`.commands`). It sits on top of the library; nothing outside this
package imports it. The console script is ``softmaxlab.cli:main``.
"""
from softmaxlab.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
