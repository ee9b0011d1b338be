"""The command-line application: ``softmaxlab train|evaluate|predict|...``.

Argument parsing (:mod:`.args`), the run configuration and its TOML
(:mod:`.config`), preparing and running a training run (:mod:`.prepare`,
:mod:`.runner`), progress printing (:mod:`.progress`) and the subcommands:
:mod:`.app` dispatches through its ``COMMANDS`` table to the option
declarations and runners of :mod:`.subcommands`, which call the work in
:mod:`.commands`. It sits on top of the library; nothing outside this
package imports it. The console script is ``softmaxlab.cli:main``.
"""
from softmaxlab.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
